"""E-5 (Sec. 4.4, Fig. 5 right; App. E.1): wider networks reach higher effective rank.

Statement.  At fixed depth L and initial scale, training the deep UFM from random
initialisation (entries N(0, s²/d), T4.5) reaches a converged mean logit matrix whose
effective rank increases with the width d: wider networks start closer to the ETF
direction (T4.5) and so leave the rich-get-richer regime with more balanced singular
values.

How it is checked.  Widths d in {8, 32, 128} (K = 8, L = 4), several seeds per width
trained as one batched model until ``ℒ < 1e-6``.  The mean effective rank must rise
strictly with d and by more than twice the largest seed standard deviation between the
narrowest and the widest network.  Negative control on the same runs: "the effective
rank FALLS with width".  (The initial-velocity half of the claim is T4.5, checked
separately.)
"""

from __future__ import annotations

import math

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from reports.figures import render
from torch_check.evidence import seeds_from, summary, trend_holds
from torch_check.experiments import random_init_runs

SCALE, RHO, SEEDS, MAX_STEPS = 0.5, 3e-3, 5, 6000
THOROUGH_MAX_STEPS = 30000  # deep/narrow runs sit on the rank-1 saddle (L-D.2) for ~8000 steps
LOG_LOSS_FLOOR = math.log(1e-6)


def rank_trend_in_width(ctx: Context, direction: str, widths: tuple = (8, 32, 128)) -> Outcome:
    results, ok, figs_data = [], True, []
    for K in ctx.K:
        for L in ctx.L:
            seeds = seeds_from(ctx, 500 + 10 * K + L, SEEDS)
            per_d = {}
            for d in widths:
                r = random_init_runs(K, 1, d, L, SCALE, seeds, RHO, LOG_LOSS_FLOOR,
                                 THOROUGH_MAX_STEPS if ctx.thorough else MAX_STEPS)
                per_d[d] = {"effective_rank": summary(r["effective_rank"]),
                            "final_log_loss_max": float(r["log_loss"].max()), "steps_run": r["steps_run"],
                            "hyperparameters": r["hyperparameters"]}
            means = [per_d[d]["effective_rank"]["mean"] for d in widths]
            spread = max(per_d[d]["effective_rank"]["std"] for d in widths)
            change = means[-1] - means[0] if direction == "rises" else means[0] - means[-1]
            converged = all(per_d[d]["final_log_loss_max"] < LOG_LOSS_FLOOR + 1e-9 for d in widths)
            holds = trend_holds(means, direction) and change > 2 * spread and converged
            ok &= holds
            results.append({"K": K, "L": L, "widths": list(widths), "mean_effective_rank": means,
                            "largest_std": spread, "change_first_to_last": change,
                            "all_runs_reached_loss_floor": converged, "holds": holds,
                            "per_width": {str(d): per_d[d] for d in widths}})
            figs_data.append((K, L, means, [per_d[d]["effective_rank"]["std"] for d in widths]))
    evidence = {"prediction": f"effective rank {direction} with width", "sweeps": results,
                "criterion": "strictly monotone means and |first - last| > 2 * largest std"}

    def draw(fig):
        ax = fig.add_subplot(111)
        for K, L, m, s in figs_data:
            ax.errorbar(widths, m, yerr=s, marker="o", capsize=3, label=f"K={K}, L={L}")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("width d")
        ax.set_ylabel("effective rank at convergence")
        ax.legend()

    figs = [render("E-5: effective rank vs width", draw,
                   f"Mean ± std over {SEEDS} seeds, init N(0, {SCALE}^2/d), stopped at loss < 1e-6.")]
    if ok:
        return Outcome(True, evidence, figures=figs)
    bad = next(r for r in results if not r["holds"])
    return Outcome(False, evidence, figures=figs,
                   counterexample={k: bad[k] for k in ("K", "L", "widths", "mean_effective_rank")})


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
    checks=(
        Check(
            name="random_init_width_sweep", level=Level.EMPIRICAL, fn=rank_trend_in_width,
            description=(f"K=8, L=4, n=1, widths 8/32/128, init N(0, {SCALE}^2/d), {SEEDS} seeds per width as one "
                         f"batch, adaptive steps (rho={RHO}) until loss < 1e-6"),
            precision="float64; criterion: strictly increasing means, total rise > 2 x largest std",
            statement={"direction": "rises"},
            control={"direction": "falls"},
            control_description="the effective rank FALLS with width (same runs)",
            K=(8,), L=(4,), thorough_K=(8,), thorough_L=(3, 4, 6),
        ),
    ),
)
