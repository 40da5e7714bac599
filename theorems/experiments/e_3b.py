"""E-3b (Sec. 3.3, Fig. 3 right; App. E.1): depth-L rank-r margins match width-r single-layer UFMs.

Statement.  The normalised margin (smallest gap ``z_c - max_{c'≠c} z_{c'}`` of the
normalised logits ``Z/||Z||_F``) reached by gradient flow on a depth-L network that
converges to a rank-r logit matrix is close to the normalised margin of a single-layer
UFM (L = 1) of width d = r: depth acts as an implicit width bottleneck (softmax codes).

How it is checked.  Deep runs (K = 6, L = 4, d = 4, n = 1) start from balanced factors
of random rank-2 and rank-3 logit matrices and train (one batch per start rank,
adaptive steps) until ``log ℒ < -1000`` or 1500 steps; each run is assigned the rank r
of its converged centred mean logits (rounded effective rank, accepted when within 0.05
of an integer).  References: single-layer UFMs of width r from Gaussian starts
(N(0, 0.5²/r), same stopping rule).  Prediction: for every observed r, the mean
normalised margin of the deep rank-r runs is within 10% (relative) of the mean of the
width-r single-layer runs.  Negative control on the same deep runs: the reference is
the single-layer UFM of full width d = K (neural collapse, the shallow optimum).
"""

from __future__ import annotations

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from reports.figures import render
from torch_check.evidence import seeds_from, summary
from torch_check.experiments import random_init_runs, rank_structure_runs

DEEP_WIDTH, START_RANKS, RHO, SEEDS, MAX_STEPS, LOG_LOSS_FLOOR = 4, (2, 3), 2e-3, 4, 1500, -1000.0
SHALLOW_SCALE = 0.5
RELATIVE_TOLERANCE = 0.10
INTEGER_RANK_SLACK = 0.05


def margins_vs_bottleneck(ctx: Context, reference: str) -> Outcome:
    cases, ok, figs_data = [], True, []
    for K in ctx.K:
        for L in ctx.L:
            by_rank: dict[int, list[float]] = {}
            unassigned = []
            for r0 in START_RANKS:
                seeds = seeds_from(ctx, 3300 + 10 * K + r0, SEEDS)
                deep = rank_structure_runs(K, L, DEEP_WIDTH, r0, seeds, RHO, LOG_LOSS_FLOOR, MAX_STEPS)
                for er, gm in zip(deep["effective_rank"], deep["normalised_margin"]):
                    r = int(round(er))
                    if abs(er - r) <= INTEGER_RANK_SLACK and gm > 0:
                        by_rank.setdefault(r, []).append(float(gm))
                    else:
                        unassigned.append({"start_rank": r0, "effective_rank": float(er), "normalised_margin": float(gm)})
            comparisons = []
            for r, deep_margins in sorted(by_rank.items()):
                ref_width = r if reference == "width_r_single_layer" else K
                ref_seeds = seeds_from(ctx, 3400 + 10 * K + ref_width, SEEDS)
                ref = random_init_runs(K, 1, ref_width, 1, SHALLOW_SCALE, ref_seeds, RHO, LOG_LOSS_FLOOR, MAX_STEPS)
                deep_mean = float(np.mean(deep_margins))
                ref_mean = float(np.mean(ref["normalised_margin"]))
                rel = abs(deep_mean - ref_mean) / abs(ref_mean)
                comparisons.append({"rank": r, "deep_runs": summary(deep_margins),
                                    "reference_width": ref_width, "reference_runs": summary(ref["normalised_margin"]),
                                    "relative_difference": rel, "close": rel <= RELATIVE_TOLERANCE,
                                    "reference_hyperparameters": ref["hyperparameters"]})
                figs_data.append((K, L, r, deep_margins, ref["normalised_margin"], ref_width))
            holds = bool(comparisons) and all(c["close"] for c in comparisons)
            ok &= holds
            cases.append({"K": K, "L": L, "comparisons": comparisons, "unassigned_runs": unassigned,
                          "observed_ranks": sorted(by_rank), "holds": holds})
    evidence = {"prediction": f"deep rank-r normalised margin ≈ {reference}", "cases": cases,
                "relative_tolerance": RELATIVE_TOLERANCE,
                "deep_hyperparameters": {"width": DEEP_WIDTH, "start_ranks": list(START_RANKS), "rho": RHO,
                                         "seeds_per_start_rank": SEEDS, "max_steps": MAX_STEPS,
                                         "log_loss_floor": LOG_LOSS_FLOOR}}

    def draw(fig):
        ax = fig.add_subplot(111)
        for i, (K, L, r, dm, rm, w) in enumerate(figs_data):
            ax.plot([r - 0.1] * len(dm), dm, "o", color="C0", label="deep L=%d, rank r" % L if i == 0 else None)
            ax.plot([r + 0.1] * len(rm), rm, "s", color="C1", label=f"single layer, width {'r' if w == r else K}"
                    if i == 0 else None)
        ax.set_xlabel("rank r of the converged logits")
        ax.set_ylabel("normalised margin")
        ax.legend()

    figs = [render(f"E-3b: normalised margins vs {reference}", draw,
                   "Each point is one run; deep runs grouped by the rank they converged to.")]
    if ok:
        return Outcome(True, evidence, figures=figs)
    bad = next(c for c in cases if not c["holds"])
    return Outcome(False, evidence, figures=figs,
                   counterexample={"K": bad["K"], "L": bad["L"],
                                   "relative_differences": {c["rank"]: c["relative_difference"] for c in bad["comparisons"]}})


CLAIM = Claim(
    id="E-3b",
    title="Depth-L rank-r solutions have the normalised margin of a width-r single-layer UFM",
    statement=("The normalised margin reached by gradient flow on a depth-L network converging to a rank-r logit "
               "matrix is close to that of a single-layer UFM of width r."),
    latex=r"\gamma_{\mathrm{norm}}(\text{depth } L, \operatorname{rank} r) \approx \gamma_{\mathrm{norm}}(L = 1, d = r)",
    reference="Sec. 3.3, Fig. 3 (right); App. E.1",
    domain=Domain(K_min=4, L_min=2),
    notes="Softmax codes (T3.2); compare Jiang et al. 2023.",
    depends_on=("T3.2",),
    checks=(
        Check(
            name="deep_rank_r_vs_width_r", level=Level.EMPIRICAL, fn=margins_vs_bottleneck,
            description=(f"K=6, L=4: deep runs from random rank-2/3 logit starts (d={DEEP_WIDTH}, {SEEDS} seeds each) "
                         f"grouped by converged rank r vs single-layer width-r UFMs (N(0,{SHALLOW_SCALE}^2/r) starts); "
                         f"adaptive steps (rho={RHO}) until log loss < {LOG_LOSS_FLOOR} or {MAX_STEPS} steps"),
            precision=f"float64; relative tolerance {RELATIVE_TOLERANCE}",
            statement={"reference": "width_r_single_layer"},
            control={"reference": "full_width_single_layer"},
            control_description="the reference is the full-width single-layer UFM (neural collapse), same deep runs",
            K=(6,), L=(4,), thorough_K=(6, 8), thorough_L=(4, 8),
        ),
    ),
)
