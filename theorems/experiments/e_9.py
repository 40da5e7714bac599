"""E-9 (App. E.3, Fig. 9): Hadamard setting — effective rank falls with depth towards log2 K
and rises with the initial scale.

Statement.  Train the full deep UFM from balanced Hadamard starts (T4.2) whose reduced
modes λ are drawn U[0, 1] and rescaled to norm s (App. E, Fig. 4).  (i) At fixed s the
effective rank at convergence decreases monotonically with depth, from ≈ K-1 (neural
collapse, L = 1) towards log2 K, the smallest Hadamard support compatible with strict
margins (Prop. C.1: a support must span F_2^m).  (ii) At fixed depth it increases with
the initial scale s (less time in the rich-get-richer regime, T4.4).

How it is checked.  Full model with d = K = 16, n = 1, seeds trained as one batch per
setting, adaptive steps until ``log ℒ < -50``.  (i) strictly decreasing mean erank
over L ∈ {1, 2, 4, 8} and |mean erank(L_max) - limit| <= 0.75 with limit = log2 K; the
negative control predicts the limit 2 (the rank-2 softmax code of T3.2, which the
Hadamard dynamics cannot reach).  (ii) strictly increasing mean erank over
s ∈ {0.01, 0.1, 1, 10} at L = 4; control: "falls with the scale".
"""

from __future__ import annotations

import math

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from reports.figures import render
from torch_check.evidence import seeds_from, summary, trend_holds
from torch_check.experiments import hadamard_runs

RHO, SEEDS, MAX_STEPS, LOG_LOSS_FLOOR = 3e-3, 4, 8000, -50.0
LIMIT_TOLERANCE = 0.75
DEPTH_SCALE = 0.1
SCALES = (0.01, 0.1, 1.0, 10.0)


def _limit_value(limit, K: int) -> float:
    return math.log2(K) if limit == "log2K" else float(limit)


def rank_falls_with_depth(ctx: Context, limit) -> Outcome:
    sweeps, ok, figs_data = [], True, []
    for K in ctx.K:
        seeds = seeds_from(ctx, 900 + K, SEEDS)
        per_L = {}
        for L in sorted(ctx.L):
            r = hadamard_runs(K, L, "random", DEPTH_SCALE, seeds, RHO, LOG_LOSS_FLOOR, MAX_STEPS)
            per_L[L] = {"effective_rank": summary(r["effective_rank"]), "steps_run": r["steps_run"],
                        "final_log_loss_max": float(r["log_loss"].max()), "hyperparameters": r["hyperparameters"]}
        Ls = sorted(per_L)
        means = [per_L[L]["effective_rank"]["mean"] for L in Ls]
        target = _limit_value(limit, K)
        gap = abs(means[-1] - target)
        holds = trend_holds(means, "falls") and gap <= LIMIT_TOLERANCE
        ok &= holds
        sweeps.append({"K": K, "depths": Ls, "mean_effective_rank": means, "predicted_limit": target,
                       "distance_of_deepest_to_limit": gap, "holds": holds,
                       "per_depth": {str(L): per_L[L] for L in Ls}})
        figs_data.append((K, Ls, means, [per_L[L]["effective_rank"]["std"] for L in Ls], target))
    evidence = {"prediction": f"erank falls with depth towards {limit}", "sweeps": sweeps,
                "tolerance_at_deepest": LIMIT_TOLERANCE, "initial_scale": DEPTH_SCALE}

    def draw(fig):
        ax = fig.add_subplot(111)
        for K, Ls, m, s, target in figs_data:
            ax.errorbar(Ls, m, yerr=s, marker="o", capsize=3, label=f"K={K}")
            ax.axhline(target, color="gray", ls=":", lw=1)
            ax.axhline(math.log2(K), color="k", ls="--", lw=0.8)
        ax.set_xlabel("depth L")
        ax.set_ylabel("effective rank at convergence")
        ax.legend()

    figs = [render(f"E-9: Hadamard setting, erank vs depth (predicted limit {limit})", draw,
                   "Mean ± std over seeds; dashed: log2 K; dotted: the predicted limit.")]
    if ok:
        return Outcome(True, evidence, figures=figs)
    bad = next(s for s in sweeps if not s["holds"])
    return Outcome(False, evidence, figures=figs,
                   counterexample={k: bad[k] for k in ("K", "depths", "mean_effective_rank", "predicted_limit")})


def rank_trend_in_scale(ctx: Context, direction: str) -> Outcome:
    sweeps, ok, figs_data = [], True, []
    for K in ctx.K:
        for L in ctx.L:
            seeds = seeds_from(ctx, 950 + K + 100 * L, SEEDS)
            per_s = {}
            for s in SCALES:
                r = hadamard_runs(K, L, "random", s, seeds, RHO, LOG_LOSS_FLOOR, MAX_STEPS)
                per_s[s] = {"effective_rank": summary(r["effective_rank"]), "steps_run": r["steps_run"],
                            "hyperparameters": r["hyperparameters"]}
            means = [per_s[s]["effective_rank"]["mean"] for s in SCALES]
            holds = trend_holds(means, direction)
            ok &= holds
            sweeps.append({"K": K, "L": L, "scales": list(SCALES), "mean_effective_rank": means, "holds": holds,
                           "per_scale": {str(s): per_s[s] for s in SCALES}})
            figs_data.append((K, L, means, [per_s[s]["effective_rank"]["std"] for s in SCALES]))
    evidence = {"prediction": f"erank {direction} with the initial scale", "sweeps": sweeps}

    def draw(fig):
        ax = fig.add_subplot(111)
        for K, L, m, sd in figs_data:
            ax.errorbar(SCALES, m, yerr=sd, marker="o", capsize=3, label=f"K={K}, L={L}")
        ax.set_xscale("log")
        ax.set_xlabel("initial scale ||λ(0)||")
        ax.set_ylabel("effective rank at convergence")
        ax.legend()

    figs = [render("E-9: Hadamard setting, erank vs initial scale", draw, "Mean ± std over seeds.")]
    if ok:
        return Outcome(True, evidence, figures=figs)
    bad = next(s for s in sweeps if not s["holds"])
    return Outcome(False, evidence, figures=figs,
                   counterexample={k: bad[k] for k in ("K", "L", "scales", "mean_effective_rank")})


CLAIM = Claim(
    id="E-9",
    title="Hadamard setting: effective rank falls with depth towards log2 K and rises with the initial scale",
    statement=("From random balanced Hadamard starts, the effective rank at convergence decreases with depth "
               "towards log2 K (the minimal Hadamard rank, Prop. C.1) and increases with the initial scale."),
    latex=r"\mathrm{erank}\searrow \log_2 K \text{ as } L\uparrow;\ \mathrm{erank}\nearrow \text{ in } \|\lambda(0)\|",
    reference="App. E.3, Fig. 9; Prop. C.1; Thm 4.4",
    domain=Domain(K_min=4, K_power_of_two=True, L_min=1),
    depends_on=("T4.2", "T4.4", "P-C.1"),
    checks=(
        Check(
            name="depth_sweep_to_log2_k", level=Level.EMPIRICAL, fn=rank_falls_with_depth,
            description=(f"K=16, d=K, n=1, λ(0) ~ U[0,1] scaled to norm {DEPTH_SCALE}, {SEEDS} seeds per depth, "
                         f"adaptive steps (rho={RHO}) until log loss < {LOG_LOSS_FLOOR}; strictly decreasing mean erank "
                         f"and deepest mean within {LIMIT_TOLERANCE} of log2 K"),
            precision=f"float64; tolerance {LIMIT_TOLERANCE} on the limit",
            statement={"limit": "log2K"},
            control={"limit": 2},
            control_description="the rank falls towards 2 (the rank-2 softmax code) instead of log2 K (same runs)",
            K=(16,), L=(1, 2, 4, 8), thorough_K=(8, 16), thorough_L=(1, 2, 3, 4, 6, 8, 12),
        ),
        Check(
            name="scale_sweep", level=Level.EMPIRICAL, fn=rank_trend_in_scale,
            description=(f"K=16, L=4, d=K, λ(0) ~ U[0,1] scaled to norms {SCALES}, {SEEDS} seeds each; "
                         "strictly increasing mean erank"),
            precision="float64",
            statement={"direction": "rises"},
            control={"direction": "falls"},
            control_description="the effective rank FALLS with the initial scale (same runs)",
            K=(16,), L=(4,), thorough_K=(8, 16), thorough_L=(3, 4, 6),
        ),
    ),
)
