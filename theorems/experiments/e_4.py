"""E-4 (Sec. 4.3, Fig. 4; Thm 4.4; App. E.1): rich get richer.

Statement.  From a small Hadamard start, while the scale is small the singular values
separate when L >= 2: by T4.4, ``λ̇_k ≈ λ_k^β (1 - λ_k/K)`` with β = 2L/(L+1) > 1, so
``d(λ_k/λ_j)/dt`` has the sign of ``λ_k - λ_j`` and ratios grow.  With L = 1 (β = 1) the
sign is that of ``λ_j - λ_k``: the ratios contract and the singular values do not separate.

Two starts, one check each:

- ``small_uniform_start``: nearly uniform modes ``λ_k = ε (1 + 0.1 u_k)``, u ~ U[-1, 1]
  (the DNC direction plus a small perturbation: where T4.4's instability of DNC shows);
- ``uniform_random_small_start``: the start of Fig. 4 (App. E.1): entries drawn uniformly
  and renormalised to a small norm.  The interval and the norm did not survive in the
  text; we take U[0, 1] (entries below 1e-3 raised to 1e-3, so no mode starts dead) and
  the norm ε √(K-1), the norm of the first start.

How it is checked.  The full model (d = K = 16, n = 1, ε = 1e-3), ``SEEDS`` independent
seeds per depth trained as one batch with adaptive steps and logged every 10 steps.  At
the first snapshot where the mean λ reaches 1 (= K/16: still the small-scale regime) the
spread ``max λ / min λ`` is compared with its initial value: ``log S``,
``S = spread(t*)/spread(0)``.  A run that never reaches that scale within the step budget
makes the check INCONCLUSIVE.  The prediction holds when (i) for every depth L >= 2 of
the grid, a one-sided exact permutation test of mean log S (depth L vs L = 1) is
significant at α = 0.01 (Bonferroni over the deep depths), and (ii) the 95 % bootstrap
interval of the mean log S lies above 0 at every L >= 2 and below 0 at L = 1.

Negative control (placebo): every run trained at the deepest depth of the grid (fresh
seeds), labelled with the grid's depths; the same criterion must fail.
"""

from __future__ import annotations

import math

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from reports.figures import render
from theorems.experiments._common import budgeted, measurement_part, pins_check
from torch_check import stats
from torch_check.evidence import seeds_from
from torch_check.experiments import hadamard_runs
from torch_check.pins import require_pinned

EPS, JITTER, RHO, MAX_STEPS, LOG_EVERY = 1e-3, 0.1, 3e-3, 8000, 10
SEEDS, THOROUGH_SEEDS = 8, 12
SMALL_SCALE_MEAN_LAMBDA = 1.0
ALPHA = stats.DEFAULT_ALPHA
METRICS = ("mean_logits", "hadamard_modes")


def separation_factors(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per run: S = spread at the first snapshot with mean λ >= 1, over the initial spread;
    the snapshot index; whether the run reached that scale at all."""
    mean = lam.mean(axis=-1)
    spread = lam.max(axis=-1) / lam.min(axis=-1)
    reached = np.any(mean >= SMALL_SCALE_MEAN_LAMBDA, axis=0)
    idx = np.argmax(mean >= SMALL_SCALE_MEAN_LAMBDA, axis=0)
    cols = np.arange(lam.shape[1])
    return spread[idx, cols] / spread[0], idx, reached


def _start(kind: str, K: int) -> tuple[str, float]:
    """(lambda_start kind, scale) of the two starts."""
    if kind == "near_uniform":
        return "uniform", EPS
    if kind == "uniform_random":
        return "random", EPS * math.sqrt(K - 1)
    raise ValueError(f"unknown start {kind!r}")


@budgeted
def rich_get_richer(ctx: Context, design: str, start: str) -> Outcome:
    pins = require_pinned(METRICS)
    Ls = sorted(ctx.L)
    if 1 not in Ls or len(Ls) < 2:
        return Outcome.undecided(f"the depth contrast needs L = 1 and a depth >= 2 in the grid, got {Ls}")
    m = THOROUGH_SEEDS if ctx.thorough else SEEDS
    deep = [L for L in Ls if L >= 2]
    cases, figs_data = [], []
    for K in ctx.K:
        kind, scale = _start(start, K)
        base = 4000 + 100 * K + (0 if start == "near_uniform" else 50)
        groups: dict[int, dict] = {}
        if design == "sweep":
            for i, L in enumerate(Ls):
                ctx.report(i / len(Ls), f"K={K}, L={L}")
                seeds = seeds_from(ctx, base + L, m)
                r = hadamard_runs(K, L, kind, scale, seeds, RHO, 0.0, MAX_STEPS, log_every=LOG_EVERY, jitter=JITTER,
                                  with_metrics=False)
                groups[L] = {"trained_at": L, "run": r, "sl": slice(None), "seeds": seeds}
        else:
            L0 = max(Ls)
            ctx.report(0.0, f"K={K}: placebo at L={L0}")
            seeds = seeds_from(ctx, base + 99, m * len(Ls))
            r = hadamard_runs(K, L0, kind, scale, seeds, RHO, 0.0, MAX_STEPS, log_every=LOG_EVERY, jitter=JITTER,
                              with_metrics=False)
            for i, L in enumerate(Ls):
                groups[L] = {"trained_at": L0, "run": r, "sl": slice(i * m, (i + 1) * m),
                             "seeds": seeds[i * m:(i + 1) * m]}
        per, unreached = {}, []
        for L, g in groups.items():
            S, idx, reached = separation_factors(g["run"]["lam"][:, g["sl"]])
            logS = np.log(S)
            if not np.all(reached):
                unreached.append(f"L={L}: {int(np.sum(~reached))} of {reached.size} runs")
            per[L] = {"trained_at": g["trained_at"], "log_separation": [float(x) for x in logS],
                      "mean_log_separation": stats.mean_ci(logS, ctx.rng(base + L)),
                      "snapshot_step": [int(x) for x in idx * LOG_EVERY], "reached_scale": int(np.sum(reached)),
                      "seeds": list(g["seeds"]), "hyperparameters": g["run"]["hyperparameters"],
                      "train_config": g["run"]["train_config"]}
        case = {"K": K, "start": start, "lambda_start": kind, "initial_scale": scale, "per_depth": per}
        if unreached:
            case["undecided"] = ("runs never reached mean λ = 1 within " f"{MAX_STEPS} steps (" + "; ".join(unreached) + ")")
            cases.append(case)
            continue
        alpha_each = ALPHA / len(deep)
        tests = {L: stats.two_sample_test(per[L]["log_separation"], per[1]["log_separation"], ctx.rng(base + 10 * L),
                                          alternative="greater", alpha=alpha_each) for L in deep}
        signs = {L: (per[L]["mean_log_separation"]["interval"][1] < 0 if L == 1
                     else per[L]["mean_log_separation"]["interval"][0] > 0) for L in Ls}
        case.update(tests={str(L): t for L, t in tests.items()}, alpha_per_test=alpha_each,
                    sign_conditions={str(L): v for L, v in signs.items()},
                    holds=bool(all(t["significant"] for t in tests.values()) and all(signs.values())))
        cases.append(case)
        figs_data.append((K, groups, per))
    evidence = {"design": design, "start": start, "cases": cases, "seeds_per_depth": m, "alpha": ALPHA,
                "reference_scale": f"first snapshot with mean lambda >= {SMALL_SCALE_MEAN_LAMBDA}",
                "criterion": ("for every L >= 2: exact one-sided permutation test of mean log S (L vs L = 1) at "
                              "alpha / #deep depths; 95% bootstrap interval of mean log S above 0 at L >= 2 and "
                              "below 0 at L = 1"), "metric_pins": pins}

    def draw(fig):
        ax = fig.add_subplot(111)
        for K, groups, per in figs_data:
            Ls_ = sorted(per)
            ax.plot(Ls_, [per[L]["mean_log_separation"]["mean"] for L in Ls_], "o-", label=f"K={K}")
            for L in Ls_:
                ax.plot([L] * len(per[L]["log_separation"]), per[L]["log_separation"], ".", color="gray", ms=3)
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_xlabel("depth L" + (" (label only)" if design == "placebo" else ""))
        ax.set_ylabel("log S (spread growth until mean λ = 1)")
        ax.legend(fontsize=7)

    figs = [render(f"E-4: rich get richer ({start}, {design})", draw,
                   "log S per run (gray) and mean; S > 1: the modes separated.")]
    und = [c for c in cases if "undecided" in c]
    if und:
        return Outcome.undecided("; ".join(f"K={c['K']}: {c['undecided']}" for c in und), evidence, figures=figs)
    if all(c["holds"] for c in cases):
        return Outcome.held(evidence, figures=figs)
    bad = next(c for c in cases if not c["holds"])
    return Outcome.refuted({"K": bad["K"], "design": design, "start": start,
                            "mean_log_separation": {str(L): v["mean_log_separation"]["mean"]
                                                    for L, v in bad["per_depth"].items()},
                            "p_values": {L: t["p_value"] for L, t in bad["tests"].items()},
                            "sign_conditions": bad["sign_conditions"]}, evidence, figures=figs)


_WHY = ("a separation of the modes could be a property of the small start, of the reference scale or of the stopping "
        "rule at every depth, not of depth; trained at one depth, the same start, read-off and test must not show a "
        "depth contrast")


def _check(name: str, start: str, desc: str) -> Check:
    return Check(
        name=name, level=Level.EMPIRICAL, fn=rich_get_richer,
        description=(f"full model, K=16, d=K, n=1, {desc}; {SEEDS} independent seeds per depth ({THOROUGH_SEEDS} "
                     f"thorough), adaptive steps (rho={RHO}); log S at the first snapshot with mean λ >= 1; exact "
                     f"permutation tests L vs L = 1 at alpha={ALPHA} (Bonferroni) and bootstrap intervals of mean log S"),
        precision=f"float64; alpha {ALPHA}; 4000 bootstrap resamples",
        statement={"design": "sweep", "start": start},
        control={"design": "placebo", "start": start},
        control_description="placebo: every run trained at the deepest depth of the grid, labelled with the grid's depths",
        control_why=_WHY,
        K=(16,), L=(1, 3), thorough_K=(8, 16), thorough_L=(1, 2, 3, 6),
        serves=Serves(K_max=64, L_max=12, what="batched float64 Hadamard training to mean λ = 1", cost="K and L"),
        covers=("separation",), method="exact permutation tests, fixed-depth placebo",
    )


CLAIM = Claim(
    id="E-4",
    title="Rich get richer: small Hadamard starts separate for L >= 2, not for L = 1",
    statement=("From a small Hadamard initialisation (near-uniform, or with uniformly drawn modes as in Fig. 4) the "
               "logit singular values separate while the scale is small when L >= 2; with L = 1 they do not."),
    latex=r"\tfrac{d}{dt}\tfrac{\lambda_k}{\lambda_j} \gtrless 0 \iff (\lambda_k - \lambda_j)(L-1) \gtrless 0",
    reference="Thm 4.4, Sec. 4.3, Fig. 4; App. E.1",
    domain=Domain(K_min=4, K_power_of_two=True, L_min=1),
    depends_on=("T4.4",),
    parts=(Part("separation", "small starts separate for L >= 2 and contract for L = 1"), measurement_part(METRICS)),
    checks=(
        _check("small_uniform_start", "near_uniform", f"λ = {EPS}(1 + {JITTER} U[-1,1])"),
        _check("uniform_random_small_start", "uniform_random",
               f"λ entries U[0,1] (floor 1e-3) renormalised to norm {EPS}·sqrt(K-1) (the start of Fig. 4)"),
        pins_check(METRICS),
    ),
)
