"""E-3 (Sec. 3.3, Fig. 3; Thm 3.2; App. E.1, E.2 Fig. 8): for large L, rank-2 solutions are regular K-gons.

Statement.  When gradient flow on a deep network converges to a rank-2 mean logit matrix,
its Gram factor (``M_K Zbar ≈ U S V^T``, class vectors ``g_c = S^{1/2} V^T e_c``) places
the K classes at uniformly spaced angles on a circle: adjacent angles equal 2π/K (the
2-dimensional softmax code of T3.2).  "When GD converges to rank two solutions they always
correspond to the theorem's structure" (Sec. 3.3).

Two checks, both reading the structure off converged runs with
:func:`torch_check.metrics.structure_summary` (rank: singular values of ``M_K Zbar``
above 2 % of the largest; a rank-2 run is a regular K-gon when every adjacent gap is within
0.1 rad of 2π/K):

- ``generic_start_structures`` (the paper's protocol): generic Gaussian starts (every factor
  ``A``, entries N(0, 1/d), d = K), ``SEEDS`` seeds per (K, L), (K, L) = (5, 6) and (6, 6)
  by default.  The fraction of runs ending in each structure (rank 2 K-gon / rank 2 not a
  K-gon / rank 3 / rank >= 4) is reported with Clopper-Pearson 95 % intervals, with the
  angle spread of every run.  The claim: every converged rank-2 run is a K-gon (a single
  converged rank-2 run that is not refutes it, whatever the unconverged runs, if any, would
  become; a PASS needs every run converged, since an unconverged rank-2 run may or may not
  end as a K-gon); at least ``MIN_RANK2`` rank-2 runs per (K, L) are needed to decide (else
  INCONCLUSIVE).
- ``rank2_start_angles``: starts forced to rank 2 (balanced factors of a random rank-2
  logit matrix; the flow keeps zero singular values at zero), K = 6, L = 8, d = 4.

Convergence (:mod:`torch_check.convergence`): every run must reach log ℒ below the stage
floor with positive margins, and over each of its last two decades of log ℒ move its
normalised margin by at most 2 %, its effective rank by at most 0.1 and, when it is of rank
<= 2 at either end, its largest gap deviation by at most 0.05 rad (the read-off jitters by
~0.03 rad at the relative step 3e-3; for a rank-3 limit the rank-2 angles are not a
well-posed read-off and jump by up to 1 rad at rest, :mod:`torch_check.convergence`); a run
that does not makes the check INCONCLUSIVE.  (A
thorough run at (K, L) = (5, 12), stopped by its step budget at log ℒ > floor, was rank 2
with gaps (0.77, 0.77, 0.70, 2.08, 0.68) x 2π/K; trained on it became the regular pentagon:
slow directional convergence, not a second limit.  Such runs are now undecided, not
evidence.)

Negative control (both checks): the same read-off and criterion on runs from the same kind
of start stopped as soon as every sample is separated (ℒ < log 2 guarantees every margin
> 0).  The wrong claim: any separating rank-2 configuration is a regular K-gon, so the
K-gon says nothing about the implicit bias of the long (lazy) phase.
"""

from __future__ import annotations

import math

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from reports.figures import render
from theorems.experiments._common import budgeted, measurement_part, pins_check
from torch_check import metrics, stats
from torch_check.convergence import RANK_READ_TOL, Convergence
from torch_check.evidence import seeds_from
from torch_check.experiments import (random_init_converged, random_init_runs, rank_structure_converged,
                                     rank_structure_runs)
from torch_check.pins import require_pinned

GENERIC_SCALE, RHO, MAX_STEPS = 1.0, 3e-3, 6000
GENERIC_SEEDS, GENERIC_THOROUGH_SEEDS = 16, 24
FORCED_WIDTH, FORCED_SEEDS, FORCED_THOROUGH_SEEDS = 4, 6, 8
RANK_TOL, KGON_TOL, ANGLE_ATOL = RANK_READ_TOL, 0.1, 0.05  # the angles' convergence is judged at the same rank read-off
MIN_RANK2 = 5
SEPARATION_LOG_LOSS = math.log(math.log(2.0))  # ℒ < log 2: every sample's cross-entropy < log 2, every margin > 0
CONVERGENCE = Convergence(log_loss_floor=-1e2, window_start=-1e1, margin_rtol=0.02, stat_atol=0.1, stat_name="erank",
                          extra_decades=12, lazy_rho=3e-3, stage_steps=3000,
                          extra_stats=(("max_gap_deviation", ANGLE_ATOL),), quiet_decades=2)
METRICS = ("mean_logits", "effective_rank", "normalised_margin", "feature_angles", "rank2_residual")


def _read(Z_final: np.ndarray, Z_window: np.ndarray | None, K: int, seeds, conv_rows) -> list[dict]:
    rows = []
    for b in range(Z_final.shape[0]):
        st = metrics.structure_summary(metrics.mean_logits(Z_final[b], K, 1), RANK_TOL, KGON_TOL)
        st["seed"] = int(seeds[b])
        st["normalised_margin"] = metrics.normalised_margin(Z_final[b], K, 1)
        if conv_rows is not None:
            st["converged"] = bool(conv_rows[b]["converged"])
            st["gap_deviation_change_last_decade"] = conv_rows[b].get("max_gap_deviation_change")
        else:
            st["converged"] = None  # stopped at separation on purpose
        rows.append(st)
    return rows


def _decide(K: int, L: int, rows: list[dict], stage: str) -> dict:
    n = len(rows)
    counts = {lab: sum(r["label"] == lab for r in rows) for lab in metrics.STRUCTURES}
    rank2 = [r for r in rows if r["rank"] <= 2]
    # only a run that met the criterion can be a counterexample (converged is None: stopped at separation on purpose)
    bad = [r for r in rank2 if r["label"] != metrics.STRUCTURES[0] and r["converged"] is not False]
    case = {"K": K, "L": L, "stage": stage, "runs": rows,
            "fractions": {lab: stats.proportion(c, n) for lab, c in counts.items()},
            "kgon_among_rank2": stats.proportion(len(rank2) - len(bad), len(rank2)) if rank2 else None,
            "rank2_runs": len(rank2), "angle_spread_rad_rank2": [r["angle_spread_rad"] for r in rank2]}
    unconverged = [r for r in rows if r["converged"] is False]
    if unconverged:
        case["unconverged_runs"] = len(unconverged)
    if unconverged and not bad:  # an unconverged rank-2 run may or may not end as a K-gon
        case["undecided"] = f"{n - len(unconverged)} of {n} runs met the convergence criterion"
    elif not unconverged and len(rank2) < MIN_RANK2:
        case["undecided"] = f"only {len(rank2)} of {n} runs ended at rank 2 (need {MIN_RANK2} to decide)"
    else:  # every run converged, or a converged run refutes (unconverged ones cannot undo it)
        case["holds"] = not bad
        if bad:
            w = max(bad, key=lambda r: r["max_gap_deviation_rad"])
            case["counterexample"] = {"K": K, "L": L, "seed": w["seed"], "rank": w["rank"],
                                      "gaps_over_2pi_by_K": w["gaps_over_2pi_by_K"],
                                      "max_gap_deviation_rad": w["max_gap_deviation_rad"]}
    return case


def _outcome(cases: list[dict], evidence: dict, title: str) -> Outcome:
    def draw(fig):
        ax = fig.add_subplot(111, projection="polar")
        i = 0
        for c in cases:
            for r in c["runs"]:
                if r["rank"] > 2 or i >= 12:
                    continue
                gaps = np.asarray(r["gaps_over_2pi_by_K"]) * 2 * np.pi / c["K"]
                ang = np.concatenate([[0.0], np.cumsum(gaps)[:-1]])
                ax.plot(ang, np.full_like(ang, 1.0 + 0.12 * i), "o", ms=3, label=f"K={c['K']}, L={c['L']}, seed {r['seed']}")
                i += 1
        ax.set_yticklabels([])
        ax.legend(fontsize=5, loc="lower left", bbox_to_anchor=(1.0, 0.0))

    figs = [render(title, draw, "Adjacent class angles of rank-2 runs (one ring per run); a regular K-gon has gaps 2π/K.",
                   size=(6.5, 4.0))]
    und = [c for c in cases if "undecided" in c]
    if und and not any(c.get("holds") is False for c in cases):  # a refuting case decides whatever the others do
        return Outcome.undecided("; ".join(f"K={c['K']}, L={c['L']}: {c['undecided']}" for c in und), evidence,
                                 figures=figs)
    if all(c.get("holds") for c in cases):
        return Outcome.held(evidence, figures=figs)
    bad = next(c for c in cases if c.get("holds") is False)
    return Outcome.refuted(bad["counterexample"], evidence, figures=figs)


@budgeted
def generic_structures(ctx: Context, stage: str) -> Outcome:
    pins = require_pinned(METRICS)
    m = GENERIC_THOROUGH_SEEDS if ctx.thorough else GENERIC_SEEDS
    pairs = ctx.KL_pairs()
    cases = []
    for i, (K, L) in enumerate(pairs):
        ctx.report(i / len(pairs), f"K={K}, L={L}, {stage}")
        d = K
        if stage == "converged":
            seeds = seeds_from(ctx, 3000 + 10 * K + L, m)
            r = random_init_converged(K, 1, d, L, GENERIC_SCALE, seeds, RHO, MAX_STEPS, CONVERGENCE)
            rows = _read(r["final_logits"], r["window_logits"], K, seeds, r["convergence"]["runs"])
        else:
            seeds = seeds_from(ctx, 3100 + 10 * K + L, m)
            r = random_init_runs(K, 1, d, L, GENERIC_SCALE, seeds, RHO, SEPARATION_LOG_LOSS, MAX_STEPS)
            rows = _read(r["final_logits"], None, K, seeds, None)
        case = _decide(K, L, rows, stage)
        case.update(width=d, seeds=list(seeds), hyperparameters=r["hyperparameters"], train_config=r["train_config"])
        cases.append(case)
    evidence = {"stage": stage, "cases": cases, "rank_tolerance": RANK_TOL, "kgon_tolerance_rad": KGON_TOL,
                "angle_change_tolerance_rad": ANGLE_ATOL, "min_rank2_runs": MIN_RANK2, "seeds_per_pair": m,
                "convergence_criterion": CONVERGENCE.describe() if stage == "converged" else
                f"stopped at log-loss < log(log 2) = {SEPARATION_LOG_LOSS:.4f} (every sample separated)",
                "metric_pins": pins}
    return _outcome(cases, evidence, f"E-3: generic starts, rank-2 runs ({stage})")


@budgeted
def forced_rank2(ctx: Context, stage: str) -> Outcome:
    pins = require_pinned(METRICS)
    m = FORCED_THOROUGH_SEEDS if ctx.thorough else FORCED_SEEDS
    pairs = ctx.KL_pairs()
    cases = []
    for i, (K, L) in enumerate(pairs):
        ctx.report(i / len(pairs), f"K={K}, L={L}, {stage}")
        if stage == "converged":
            seeds = seeds_from(ctx, 300 + 10 * K + L, m)
            r = rank_structure_converged(K, L, FORCED_WIDTH, 2, seeds, RHO, MAX_STEPS, CONVERGENCE)
            rows = _read(r["final_logits"], r["window_logits"], K, seeds, r["convergence"]["runs"])
        else:
            seeds = seeds_from(ctx, 350 + 10 * K + L, m)
            r = rank_structure_runs(K, L, FORCED_WIDTH, 2, seeds, RHO, SEPARATION_LOG_LOSS, MAX_STEPS)
            rows = _read(r["final_logits"], None, K, seeds, None)
        case = _decide(K, L, rows, stage)
        case.update(width=FORCED_WIDTH, seeds=list(seeds), hyperparameters=r["hyperparameters"],
                    train_config=r["train_config"])
        cases.append(case)
    evidence = {"stage": stage, "cases": cases, "rank_tolerance": RANK_TOL, "kgon_tolerance_rad": KGON_TOL,
                "angle_change_tolerance_rad": ANGLE_ATOL, "seeds_per_pair": m,
                "convergence_criterion": CONVERGENCE.describe() if stage == "converged" else
                f"stopped at log-loss < log(log 2) = {SEPARATION_LOG_LOSS:.4f} (every sample separated)",
                "metric_pins": pins}
    return _outcome(cases, evidence, f"E-3: rank-2 starts ({stage})")


_CONTROL_WHY = ("separating K classes with a rank-2 logit matrix already forces the class vectors into convex "
                "position in cyclic order, so one could think any separating rank-2 solution is a regular polygon "
                "and the K-gon says nothing about the long lazy phase of gradient flow")
_CONTROL = ("the same read-off and criterion on runs from the same kind of start stopped as soon as every sample is "
            "separated (loss < log 2), fresh seeds")

CLAIM = Claim(
    id="E-3",
    title="For large depth, rank-2 solutions are regular K-gons",
    statement=("For large L, gradient-flow solutions of rank 2 place the class vectors of the Gram factor at "
               "uniformly spaced angles (adjacent angles 2π/K): the 2-dimensional softmax code."),
    latex=r"\theta_{c+1} - \theta_c = 2\pi/K",
    reference="Thm 3.2, Sec. 3.3, Fig. 3; App. E.1; App. E.2, Fig. 8",
    domain=Domain(K_min=4, L_min=2),
    depends_on=("T3.2", "L-D.3"),
    parts=(Part("kgon", "converged rank-2 solutions are regular K-gons"), measurement_part(METRICS)),
    checks=(
        Check(
            name="generic_start_structures", level=Level.EMPIRICAL, fn=generic_structures,
            description=(f"generic Gaussian starts (factors {GENERIC_SCALE}·A, A_ij ~ N(0, 1/d), d = K), "
                         f"{GENERIC_SEEDS} seeds per (K, L) ({GENERIC_THOROUGH_SEEDS} thorough), adaptive steps "
                         f"(rho={RHO}) to the convergence criterion; fractions of each structure with Clopper-Pearson "
                         f"95% intervals; every converged rank-2 run within {KGON_TOL} rad of 2π/K"),
            precision=f"float64; rank tolerance {RANK_TOL}; K-gon tolerance {KGON_TOL} rad",
            statement={"stage": "converged"},
            control={"stage": "at_separation"},
            control_description=_CONTROL, control_why=_CONTROL_WHY,
            K=(5, 6), L=(6,), thorough_K=(5, 6, 7, 8), thorough_L=(6, 8),
            serves=Serves(K_min=4, K_max=10, L_min=3, L_max=12, what="batched float64 training to convergence",
                          cost="K, L and the seeds"),
            covers=("kgon",), method="structure fractions (Clopper-Pearson), separation-time control",
        ),
        Check(
            name="rank2_start_angles", level=Level.EMPIRICAL, fn=forced_rank2,
            description=(f"starts forced to rank 2 (balanced factors of a random rank-2 logit matrix of norm 3), "
                         f"d={FORCED_WIDTH}, n=1, {FORCED_SEEDS} seeds ({FORCED_THOROUGH_SEEDS} thorough) as one "
                         f"batch, to the convergence criterion; every run within {KGON_TOL} rad of 2π/K"),
            precision=f"float64; K-gon tolerance {KGON_TOL} rad",
            statement={"stage": "converged"},
            control={"stage": "at_separation"},
            control_description=_CONTROL, control_why=_CONTROL_WHY,
            K=(6,), L=(8,), thorough_K=(5, 6, 8), thorough_L=(8, 12),
            serves=Serves(K_min=4, K_max=12, L_min=2, L_max=16, what="batched float64 training to convergence",
                          cost="K, L (d = 4)"),
            covers=("kgon",), method="rank-2 starts, separation-time control",
        ),
        pins_check(METRICS),
    ),
)
