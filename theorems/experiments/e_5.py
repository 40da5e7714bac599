"""E-5 (Sec. 4.4, Fig. 5 right; App. E.1): wider networks reach higher effective rank.

Statement.  At fixed depth L and initial scale, training the deep UFM from random
initialisation (every factor ``s A``, entries of A i.i.d. N(0, 1/d), T4.5) reaches a
converged mean logit matrix whose effective rank increases with the width d: wider
networks start closer to the ETF direction (T4.5) and so leave the rich-get-richer
regime with more balanced singular values.

How it is checked (:func:`torch_check.sweeps.trend_sweep`).  Widths d in {8, 24, 64}
(K = 8, L = 4), ``SEEDS`` independent seeds per width trained as one batched model to the
convergence criterion of :mod:`torch_check.convergence` (as in E-2; a run that never
meets it makes the check INCONCLUSIVE).  The trend is decided by a one-sided permutation
test of Spearman's ρ between width and effective rank (α = 0.01) with the effect, mean
erank at the widest minus at the narrowest width, required to have a 95 % bootstrap
interval above 0.  (The initial-velocity half of the claim is T4.5, checked separately.)

Negative control (placebo): every run trained at the middle width (fresh seeds), labelled
with the sweep's widths; the same test must find no trend.
"""

from __future__ import annotations

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from reports.figures import render
from theorems.experiments._common import budgeted, measurement_part, pins_check
from torch_check.convergence import Convergence
from torch_check.evidence import seeds_from
from torch_check.experiments import random_init_converged
from torch_check.pins import require_pinned
from torch_check.stats import DEFAULT_ALPHA
from torch_check.sweeps import trend_sweep

SCALE, RHO, MAX_STEPS = 0.5, 3e-3, 6000
SEEDS, THOROUGH_SEEDS = 6, 10
WIDTHS, THOROUGH_WIDTHS = (8, 24, 64), (8, 16, 32, 64, 128)
THOROUGH_MAX_STEPS = 30000
CONVERGENCE = Convergence(log_loss_floor=-1e2, window_start=-1e1, margin_rtol=0.05, stat_atol=0.1, stat_name="erank",
                          extra_decades=6, lazy_rho=1e-2, stage_steps=1500)
ALPHA = DEFAULT_ALPHA
METRICS = ("mean_logits", "effective_rank", "normalised_margin")


@budgeted
def rank_trend_in_width(ctx: Context, design: str) -> Outcome:
    pins = require_pinned(METRICS)
    m = THOROUGH_SEEDS if ctx.thorough else SEEDS
    steps = THOROUGH_MAX_STEPS if ctx.thorough else MAX_STEPS
    widths = THOROUGH_WIDTHS if ctx.thorough else WIDTHS
    placebo_width = widths[len(widths) // 2]
    sweeps = []
    for K in ctx.K:
        for L in ctx.L:
            salt = 500 + 10 * K + L if design == "sweep" else 550 + 10 * K + L
            seeds = seeds_from(ctx, salt, m * len(widths))

            def train_level(d, s, K=K, L=L):
                return random_init_converged(K, 1, int(d), L, SCALE, s, RHO, steps, CONVERGENCE)

            res = trend_sweep(levels=widths, train_level=train_level, seeds=seeds, seeds_per_level=m,
                              direction="rises", design=design, placebo_level=placebo_width, rng=ctx.rng(salt),
                              alpha=ALPHA, progress=lambda f, msg: ctx.report(f, f"K={K}, L={L}: {msg}"))
            res.update(K=K, L=L)
            sweeps.append(res)
    evidence = {"design": design, "sweeps": sweeps, "init_scale": SCALE, "rho": RHO, "first_stage_max_steps": steps,
                "seeds_per_width": m, "alpha": ALPHA,
                "criterion": "one-sided permutation test of Spearman's rho (width vs erank) significant at alpha, and "
                             "the 95% bootstrap interval of mean erank(widest) - mean erank(narrowest) above 0",
                "metric_pins": pins}

    def draw(fig):
        ax = fig.add_subplot(111)
        for res in sweeps:
            xs = res["levels"]
            mean = [res["per_label"][f"{x:g}"]["value"]["mean"] for x in xs]
            ci = np.array([res["per_label"][f"{x:g}"]["value"]["interval"] for x in xs])
            ax.errorbar(xs, mean, yerr=[np.subtract(mean, ci[:, 0]), np.subtract(ci[:, 1], mean)], marker="o",
                        capsize=3, label=f"K={res['K']}, L={res['L']}" + (
                            f" (placebo: all at d={res['placebo_level']:g})" if design == "placebo" else ""))
        ax.set_xscale("log", base=2)
        ax.set_xlabel("width d" + (" (label only)" if design == "placebo" else ""))
        ax.set_ylabel("effective rank at convergence")
        ax.legend(fontsize=7)

    figs = [render(f"E-5: effective rank vs width ({design})", draw,
                   f"Mean and 95% bootstrap interval over {m} seeds, init {SCALE}·N(0, 1/d), trained to convergence.")]
    undecided = [s for s in sweeps if s["holds"] is None]
    if undecided:
        return Outcome.undecided("; ".join(f"K={s['K']}, L={s['L']}: {s['undecided']}" for s in undecided), evidence,
                                 figures=figs)
    if all(s["holds"] for s in sweeps):
        return Outcome.held(evidence, figures=figs)
    bad = next(s for s in sweeps if not s["holds"])
    return Outcome.refuted({"K": bad["K"], "L": bad["L"], "widths": bad["levels"], "design": design,
                            "mean_effective_rank": [bad["per_label"][f"{x:g}"]["value"]["mean"] for x in bad["levels"]],
                            "spearman_rho": bad["test"]["spearman_rho"], "p_value": bad["test"]["p_value"],
                            "effect_interval": bad["test"]["effect_interval"], "seeds": bad["seeds"]},
                           evidence, figures=figs)


CLAIM = Claim(
    id="E-5",
    title="Wider networks reach higher effective rank at convergence",
    statement=("From random initialisation at a fixed small scale, the effective rank of the converged mean logit "
               "matrix increases with the width d."),
    latex=r"\mathrm{erank}(\bar Z_\infty) \nearrow \text{ in } d",
    reference="Sec. 4.4, Fig. 5 (right); App. E.1",
    domain=Domain(K_min=3, L_min=2),
    notes="T4.5: the initial velocity approaches the ETF as d grows.",
    depends_on=("T4.5",),
    parts=(Part("trend", "the effective rank of the converged mean logits increases with the width d"),
           measurement_part(METRICS)),
    checks=(
        Check(
            name="random_init_width_sweep", level=Level.EMPIRICAL, fn=rank_trend_in_width,
            description=(f"K=8, L=4, n=1, widths {WIDTHS} (thorough {THOROUGH_WIDTHS}), factors {SCALE}·A with "
                         f"A_ij ~ N(0, 1/d); {SEEDS} independent seeds per width ({THOROUGH_SEEDS} thorough) as one "
                         f"batch, adaptive steps (rho={RHO}) to the convergence criterion; one-sided permutation test "
                         f"of Spearman's rho (width vs erank), alpha={ALPHA}; effect size with a 95% bootstrap interval"),
            precision=f"float64; alpha {ALPHA}; 20000 permutations; 4000 bootstrap resamples",
            statement={"design": "sweep"},
            control={"design": "placebo"},
            control_description=("placebo: every run trained at the middle width (fresh seeds), labelled with the "
                                 "sweep's widths; the same test must find no trend"),
            control_why=("a rise of the effective rank along the width sweep could come from the pipeline: the "
                         "initial variance scale 1/d, seeds drawn per width, a step budget that wide runs use "
                         "differently; at one fixed width the same pipeline and test must find nothing"),
            K=(8,), L=(4,), thorough_K=(8,), thorough_L=(3, 4, 6),
            serves=Serves(K_max=12, L_max=8, L_min=2, what="batched float64 training to convergence, widths up to 128",
                          cost="K, L and the widest network (d = 128)"),
            method="permutation test, fixed-width placebo", covers=("trend",),
        ),
        pins_check(METRICS),
    ),
)
