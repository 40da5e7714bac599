"""E-9 (App. E.3, Fig. 9; Prop. C.1): Hadamard setting — effective rank falls with depth towards
log2 K and rises with the initial scale.

Statement.  Train the full deep UFM from balanced Hadamard starts (T4.2).  (i) After long
training the effective rank decreases monotonically with depth, from K-1 (neural
collapse, L = 1) and concentrates at log2 K for large L, the smallest rank a Hadamard
logit matrix with strict margins can have (Prop. C.1: a support must span F_2^m).
(ii) At fixed depth it increases with the initial scale (less time in the rich-get-richer
regime of T4.4).

The starts.  The paper does not say how the reduced modes λ(0) of Fig. 9 were drawn.  We
use the recipe it gives for Fig. 4 (App. E.1): entries drawn uniformly and renormalised
to a given norm.  The interval did not survive in the text; we take U[0, 1] (entries
below 1e-3 raised to 1e-3, so that no mode starts dead: the flow never revives a zero
mode), :func:`torch_check.inits.random_lambda`, norm 0.1 for the depth sweep.

How it is checked.  Full model with d = K = 16, n = 1, ``SEEDS`` independent seeds per
setting trained as one batch to the convergence criterion of :mod:`torch_check.convergence`
(log-loss below the stage floor, margins positive, and over the last decade of log-loss
the normalised margin moved by at most 5 % and the effective rank by at most 0.1; a run
that never meets it makes the check INCONCLUSIVE).

- ``depth_sweep``: one-sided permutation test of Spearman's ρ (depth vs erank) at
  α = 0.01 with the effect (shallowest minus deepest mean) required to have a 95 %
  bootstrap interval above 0.  Control: placebo, every run at the middle depth.
- ``deepest_depth_limit``: at the deepest depth of the grid (L >= 4), the 95 % bootstrap
  interval of the mean erank must meet the band log2 K ± 0.5.  Control: the competing
  prediction that deep Hadamard runs fall to rank 2 (the softmax code of T3.2, the large-L
  optimum of (P_L)), judged by the same rule on the same runs: rejected only when the
  interval lies entirely outside 2 ± 0.5, so noisy data would accept both (UNSOUND).
  Needs K >= 8 (at K = 4, log2 K = 2).
- ``scale_sweep``: the trend in the initial norm s ∈ {0.01, 0.1, 1, 10} at L = 4, same
  test (rises).  Control: placebo, every run at s = 1.  Served for L >= 2 and K >= 8 only:
  at L = 1 the rank is K - 1 at every scale (T4.4: DNC is the only stable direction), which
  is the theory's prediction, not a counterexample (a first stranger's run at K = 4, L = 1
  reported a false FAIL).
"""

from __future__ import annotations

import math

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from reports.figures import render
from theorems.experiments._common import budgeted, measurement_part, pins_check, sweep_outcome
from torch_check import stats
from torch_check.convergence import Convergence
from torch_check.evidence import seeds_from
from torch_check.experiments import hadamard_converged
from torch_check.pins import require_pinned
from torch_check.stats import DEFAULT_ALPHA
from torch_check.sweeps import trend_sweep

RHO, MAX_STEPS = 3e-3, 8000
SEEDS, THOROUGH_SEEDS = 5, 10
DEPTH_SCALE = 0.1
SCALES, THOROUGH_SCALES = (0.01, 0.1, 1.0, 10.0), (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)
CONVERGENCE = Convergence(log_loss_floor=-1e2, window_start=-1e1, margin_rtol=0.05, stat_atol=0.1, stat_name="erank",
                          extra_decades=8, lazy_rho=1e-2, stage_steps=1500)
ALPHA = DEFAULT_ALPHA
LIMIT_BAND = 0.5
METRICS = ("mean_logits", "effective_rank", "normalised_margin", "hadamard_modes")


def _seeds(ctx: Context, K: int, levels, design: str, kind: str) -> tuple[tuple[int, ...], int, int]:
    """Seeds for a sweep: each level's own stream (so every check that trains a level shares its runs);
    the placebo draws one fresh stream for all its runs."""
    m = THOROUGH_SEEDS if ctx.thorough else SEEDS
    base = {"depth": 900_000, "scale": 950_000}[kind] + 1000 * K
    if design == "placebo":
        return seeds_from(ctx, base + 999, m * len(levels)), m, base + 999
    seeds: tuple[int, ...] = ()
    for lev in levels:
        seeds += seeds_from(ctx, base + int(round(100 * math.log10(lev))) + 500, m)
    return seeds, m, base


def _depth_train(K: int):
    def train_level(L, s):
        return hadamard_converged(K, int(L), "random", DEPTH_SCALE, s, RHO, MAX_STEPS, CONVERGENCE)
    return train_level


def _depth_grid(ctx: Context) -> list[int]:
    return sorted(ctx.L)


@budgeted
def rank_falls_with_depth(ctx: Context, design: str) -> Outcome:
    pins = require_pinned(METRICS)
    Ls = _depth_grid(ctx)
    if len(Ls) < 3:
        return Outcome.undecided(f"a depth trend needs at least 3 depths, got {Ls}")
    sweeps = []
    for K in ctx.K:
        seeds, m, salt = _seeds(ctx, K, Ls, design, "depth")
        res = trend_sweep(levels=Ls, train_level=_depth_train(K), seeds=seeds, seeds_per_level=m, direction="falls",
                          design=design, placebo_level=Ls[len(Ls) // 2], rng=ctx.rng(salt), alpha=ALPHA,
                          progress=lambda f, msg: ctx.report(f, f"K={K}: {msg}"))
        res["K"] = K
        sweeps.append(res)
    evidence = {"design": design, "sweeps": sweeps, "init": "random_lambda: U[0,1] entries (floor 1e-3) renormalised",
                "initial_norm": DEPTH_SCALE, "rho": RHO, "first_stage_max_steps": MAX_STEPS, "alpha": ALPHA,
                "criterion": "one-sided permutation test of Spearman's rho (depth vs erank) at alpha and the 95% "
                             "bootstrap interval of mean erank(shallowest) - mean erank(deepest) above 0",
                "metric_pins": pins}
    return sweep_outcome(sweeps, evidence, title=f"E-9: Hadamard setting, erank vs depth ({design})",
                         xlabel="depth L", keys=("K",), hlines=[(math.log2(K), "--") for K in ctx.K])


@budgeted
def deepest_limit(ctx: Context, limit) -> Outcome:
    """The deepest depth's mean erank: its bootstrap interval must meet ``limit`` ± LIMIT_BAND."""
    pins = require_pinned(METRICS)
    cases = []
    for K in ctx.K:
        L = max(_depth_grid(ctx))
        # the depth sweep's seeds for this depth: the runs are shared through the cache
        seeds, m, salt = _seeds(ctx, K, (L,), "sweep", "depth")
        ctx.report(0.0, f"K={K}, L={L}")
        r = _depth_train(K)(L, seeds)
        conv = r["convergence"]
        target = math.log2(K) if limit == "log2K" else float(limit)
        ci = stats.mean_ci(r["effective_rank"], ctx.rng(salt + 7))
        meets = stats.interval_meets_band(ci["interval"], target, LIMIT_BAND)
        cases.append({"K": K, "L": L, "predicted_limit": target, "band": [target - LIMIT_BAND, target + LIMIT_BAND],
                      "effective_rank": ci, "runs": [float(x) for x in r["effective_rank"]],
                      "meets_band": meets, "converged": conv["converged"], "total": conv["total"],
                      "all_converged": conv["all_converged"], "seeds": list(seeds),
                      "hyperparameters": r["hyperparameters"], "train_config": r["train_config"]})
    evidence = {"prediction": f"the deepest runs' mean erank is consistent with {limit} ± {LIMIT_BAND}",
                "rule": "rejected only if the 95% bootstrap interval of the mean lies entirely outside the band",
                "cases": cases, "convergence_criterion": CONVERGENCE.describe(), "metric_pins": pins}
    bad_conv = [c for c in cases if not c["all_converged"]]
    if bad_conv:
        return Outcome.undecided("; ".join(f"K={c['K']}, L={c['L']}: only {c['converged']} of {c['total']} runs met "
                                           "the convergence criterion" for c in bad_conv), evidence)
    if all(c["meets_band"] for c in cases):
        return Outcome.held(evidence)
    bad = next(c for c in cases if not c["meets_band"])
    return Outcome.refuted({k: bad[k] for k in ("K", "L", "predicted_limit", "band", "effective_rank", "seeds")},
                           evidence)


@budgeted
def rank_rises_with_scale(ctx: Context, design: str) -> Outcome:
    pins = require_pinned(METRICS)
    scales = THOROUGH_SCALES if ctx.thorough else SCALES
    sweeps = []
    for K in ctx.K:
        for L in ctx.L:
            seeds, m, salt = _seeds(ctx, K + 100 * L, scales, design, "scale")

            def train_level(s, sd, K=K, L=L):
                return hadamard_converged(K, L, "random", float(s), sd, RHO, MAX_STEPS, CONVERGENCE)

            res = trend_sweep(levels=scales, train_level=train_level, seeds=seeds, seeds_per_level=m,
                              direction="rises", design=design, placebo_level=scales[len(scales) // 2],
                              rng=ctx.rng(salt), alpha=ALPHA, progress=lambda f, msg: ctx.report(f, f"K={K}, L={L}: {msg}"))
            res.update(K=K, L=L)
            sweeps.append(res)
    evidence = {"design": design, "sweeps": sweeps, "init": "random_lambda: U[0,1] entries (floor 1e-3) renormalised "
                "to the initial norm", "rho": RHO, "first_stage_max_steps": MAX_STEPS, "alpha": ALPHA,
                "metric_pins": pins}
    return sweep_outcome(sweeps, evidence, title=f"E-9: Hadamard setting, erank vs initial scale ({design})",
                         xlabel="initial norm ||λ(0)||", logx=True)


DEPTH_CHECK_L, DEPTH_CHECK_THOROUGH_L = (1, 2, 4, 8), (1, 2, 3, 4, 6, 8, 12)
_CONV = "trained to the convergence criterion (torch_check.convergence)"

CLAIM = Claim(
    id="E-9",
    title="Hadamard setting: effective rank falls with depth towards log2 K and rises with the initial scale",
    statement=("From random balanced Hadamard starts, the effective rank at convergence decreases with depth and "
               "concentrates at log2 K (the minimal Hadamard rank, Prop. C.1) for large L, and increases with the "
               "initial scale."),
    latex=r"\mathrm{erank}\searrow \log_2 K \text{ as } L\uparrow;\ \mathrm{erank}\nearrow \text{ in } \|\lambda(0)\|",
    reference="App. E.3, Fig. 9; App. C.1 (Prop. C.1); Thm 4.4",
    domain=Domain(K_min=4, K_power_of_two=True, L_min=1),
    depends_on=("T4.2", "T4.4", "P-C.1"),
    parts=(Part("depth_trend", "the effective rank at convergence decreases with depth"),
           Part("limit", "for large L it concentrates at log2 K"),
           Part("scale_trend", "at fixed depth it increases with the initial scale"),
           measurement_part(METRICS)),
    checks=(
        Check(
            name="depth_sweep", level=Level.EMPIRICAL, fn=rank_falls_with_depth,
            description=(f"K=16, d=K, n=1, λ(0) U[0,1] renormalised to norm {DEPTH_SCALE}; {SEEDS} independent seeds "
                         f"per depth ({THOROUGH_SEEDS} thorough), {_CONV}; one-sided permutation test of Spearman's "
                         f"rho, alpha={ALPHA}, effect with a 95% bootstrap interval"),
            precision=f"float64; alpha {ALPHA}; 20000 permutations; 4000 bootstrap resamples",
            statement={"design": "sweep"},
            control={"design": "placebo"},
            control_description="placebo: every run at the middle depth (fresh seeds), labelled with the sweep's depths",
            control_why=("the fall could come from the pipeline (seeds per depth, a step budget that deep runs use "
                         "differently, a biased read-off) rather than from depth; at one depth the test must find nothing"),
            K=(16,), L=DEPTH_CHECK_L, thorough_K=(8, 16), thorough_L=DEPTH_CHECK_THOROUGH_L,
            serves=Serves(K_max=32, L_max=12, what="batched float64 Hadamard training to convergence",
                          cost="K and L (d = K)"),
            covers=("depth_trend",), method="permutation test, fixed-depth placebo",
        ),
        Check(
            name="deepest_depth_limit", level=Level.EMPIRICAL, fn=deepest_limit,
            description=(f"the runs of depth_sweep at its deepest depth (L >= 4): the 95% bootstrap interval of the "
                         f"mean erank meets log2 K ± {LIMIT_BAND}"),
            precision=f"float64; band ± {LIMIT_BAND}",
            statement={"limit": "log2K"},
            control={"limit": 2},
            control_description=f"competing prediction: the deepest runs fall to rank 2 (band 2 ± {LIMIT_BAND})",
            control_why=("T3.2 makes the rank-2 softmax code the large-L optimum of (P_L), and E-3 sees gradient flow "
                         "reach it from generic starts; one could expect the Hadamard runs to get there too, but "
                         "Prop. C.1 forbids a Hadamard support of fewer than log2 K modes"),
            K=(16,), L=DEPTH_CHECK_L, thorough_K=(8, 16), thorough_L=DEPTH_CHECK_THOROUGH_L,
            serves=Serves(K_min=8, K_max=32, L_min=4, L_max=12, what="the deepest depth of the sweep",
                          cost="K and L (d = K)"),
            covers=("limit",), method="bootstrap interval vs band",
        ),
        Check(
            name="scale_sweep", level=Level.EMPIRICAL, fn=rank_rises_with_scale,
            description=(f"K=16, L=4, d=K, λ(0) U[0,1] renormalised to norms {SCALES} (thorough {THOROUGH_SCALES}); "
                         f"{SEEDS} seeds each, {_CONV}; one-sided permutation test of Spearman's rho, alpha={ALPHA}"),
            precision=f"float64; alpha {ALPHA}",
            statement={"design": "sweep"},
            control={"design": "placebo"},
            control_description="placebo: every run at the middle scale (fresh seeds), labelled with the sweep's scales",
            control_why=("larger starts also start with larger losses' gradients and take fewer steps; a trend could "
                         "come from that budget or from the seeds; at one scale the same test must find nothing"),
            K=(16,), L=(4,), thorough_K=(8, 16), thorough_L=(3, 4, 6),
            serves=Serves(K_min=8, K_max=32, L_min=2, L_max=12,
                          what=("batched float64 Hadamard training to convergence; L >= 2 (at L = 1 DNC is the only "
                                "stable direction, T4.4, so the rank is K-1 at every scale) and K >= 8 (at K = 4 the "
                                "Hadamard ranks are 2 and 3 only)"),
                          cost="K and L (d = K)"),
            covers=("scale_trend",), method="permutation test, fixed-scale placebo",
        ),
        pins_check(METRICS),
    ),
)
