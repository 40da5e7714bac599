"""E-3b (Sec. 3.3, Fig. 3 right; App. E.1): depth-L rank-r margins match width-r single-layer UFMs.

Statement.  The normalised margin (smallest gap ``z_c - max_{c'≠c} z_{c'}`` of the
normalised logits ``Z/||Z||_F``, App. E.1) reached by gradient flow on a depth-L network
that converges to a rank-r logit matrix is close to the normalised margin of a
single-layer UFM (L = 1) of width d = r: depth acts as an implicit width bottleneck
(softmax codes).

How it is checked.  Deep runs are grouped by the rank r of their converged centred mean
logits (:func:`torch_check.metrics.structure_summary`: singular values above 2 % of the
largest).  For every rank with at least ``MIN_RUNS`` deep runs, the reference is
``REF_SEEDS`` single-layer UFMs of width r (Gaussian starts; converged when the margin moved
by at most 2 % over the last decade of log-loss).  The comparison: the relative difference ``mean(deep) / mean(reference) - 1``
judged run by run ("GF on a depth-L network that converges to a rank-r logit matrix"):
each deep run's margin relative to the reference's 95 % bootstrap interval of the mean is
close when it lies inside ±10 %, not close (a refutation, with the run as counterexample)
when it lies entirely outside, undecided when it straddles the band's edge.  The mean
relative difference per rank (how the paper averages runs of the same rank) is recorded
with its bootstrap interval.  Every run, deep or reference, must
meet the convergence criterion of E-3 (:mod:`torch_check.convergence`), else INCONCLUSIVE,
with one exception: a converged deep run that is not close to its converged references
refutes whatever the unconverged deep runs converge to (they can add counterexamples, not
remove one), so the case is decided FAIL and the unconverged count is recorded.

- ``generic_start_margins`` (the paper's protocol: generic starts, ranks as they come):
  the converged generic-start runs of E-3 at (K, L) = (5, 6), (6, 6), d = K (shared through
  the cache; the thorough profile adds K = 7, 8 and L = 4, 8).
- ``deep_rank_r_vs_width_r``: starts forced to rank 2 and rank 3 (balanced factors of a
  random rank-r logit matrix), K = 6, L = 4, d = 4.

Negative control (both checks): the reference of width r + 1 for rank r, judged by the
same rule.

Finding (generic_start_margins FAILS at (K, L) = (6, 6), d = 6).  Rank-2 runs match the
width-2 UFM (the hexagon, normalised margin 0.118) within 2-8 %.  Rank-3 runs do not: of 48
seeds, 8 converged to rank 3, and 5 of those to a stable structure with relative singular
values ≈ (1, 0.99, 0.25) and normalised margin 0.180-0.196, 31-37 % below the width-3
single-layer UFM (0.286, every one of its runs); only the rank-3 runs with three equal
singular values (margin 0.283) match it.  The (1, 0.99, 0.25) structure is a limit, not a
transient: trained on for 14 more decades of log-loss (to log ℒ ≈ -1e16) its spectrum and
margin (0.185) do not move.  So "converges to a rank-r logit matrix" does not fix the
margin; at this (K, L) the paper's "closely matches" holds for rank 2 and for the
equal-spectrum rank-3 code only.  The counterexample (seed, singular values, margins) is in
the check's output.
"""

from __future__ import annotations

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from reports.figures import render
from theorems.experiments._common import budgeted, measurement_part, pins_check
from theorems.experiments.e_3 import CONVERGENCE, GENERIC_SCALE, GENERIC_SEEDS, GENERIC_THOROUGH_SEEDS, MAX_STEPS, RHO
from torch_check import metrics, stats
from torch_check.convergence import Convergence
from torch_check.evidence import seeds_from
from torch_check.experiments import random_init_converged, rank_structure_converged
from torch_check.pins import require_pinned

RANK_TOL = 0.02
RELATIVE_TOLERANCE = 0.10
MIN_RUNS = 3
REF_SEEDS, REF_SCALE = 6, 1.0
# the single-layer references: the margin is what is compared, so their criterion is on the margin alone
REF_CONVERGENCE = Convergence(log_loss_floor=-1e2, window_start=-1e1, margin_rtol=0.02, extra_decades=8,
                              lazy_rho=3e-3, stage_steps=1500)
FORCED_WIDTH, FORCED_RANKS, FORCED_SEEDS = 4, (2, 3), 6
METRICS = ("mean_logits", "effective_rank", "normalised_margin")


def _ranked(r: dict, K: int, seeds) -> tuple[dict[int, list[tuple[int, float]]], list[dict], int]:
    by_rank: dict[int, list[float]] = {}
    rows, unconverged = [], 0
    for b in range(len(seeds)):
        st = metrics.structure_summary(r["mean_logits"][b], RANK_TOL)
        ok = r["convergence"]["runs"][b]["converged"]
        unconverged += not ok
        gm = float(r["normalised_margin"][b])
        rows.append({"seed": int(seeds[b]), "rank": st["rank"], "effective_rank": st["effective_rank"],
                     "relative_singular_values": [float(x) for x in np.round(r["singular_values"][b][:4]
                                                                              / r["singular_values"][b][0], 4)]
                     if "singular_values" in r else None, "normalised_margin": gm, "converged": ok})
        if ok:
            by_rank.setdefault(st["rank"], []).append((int(seeds[b]), gm))
    return by_rank, rows, unconverged


def _compare(ctx: Context, K: int, L: int, by_rank: dict[int, list[tuple[int, float]]], reference: str,
             salt: int) -> list[dict]:
    out = []
    for r, deep in sorted(by_rank.items()):
        if len(deep) < MIN_RUNS or r < 2:
            continue
        width = r if reference == "width_r" else r + 1
        ref_seeds = seeds_from(ctx, 3400 + 10 * K + width, REF_SEEDS)
        ref = random_init_converged(K, 1, width, 1, REF_SCALE, ref_seeds, RHO, MAX_STEPS, REF_CONVERGENCE)
        rm = [float(x) for x in ref["normalised_margin"]]
        ref_ci = stats.mean_ci(rm, ctx.rng(salt + 20 + r))
        lo, hi = ref_ci["interval"]
        runs = []
        for seed, g in deep:
            ratio = [g / hi - 1, g / lo - 1]
            inside = -RELATIVE_TOLERANCE <= ratio[0] and ratio[1] <= RELATIVE_TOLERANCE
            outside = not stats.interval_meets_band(ratio, 0.0, RELATIVE_TOLERANCE)
            runs.append({"seed": seed, "normalised_margin": g, "relative_difference_interval": ratio,
                         "close": True if inside else (False if outside else None)})
        margins = [g for _, g in deep]
        mean_ci = stats.bootstrap_ci([margins, rm], lambda gg: float(np.mean(gg[0]) / np.mean(gg[1]) - 1),
                                     ctx.rng(salt + r))
        verdicts = [x["close"] for x in runs]
        out.append({"rank": r, "deep_runs": stats.mean_ci(margins, ctx.rng(salt + 10 + r)), "per_run": runs,
                    "reference_width": width, "reference_runs": ref_ci,
                    "reference_converged": ref["convergence"]["converged"], "reference_total": REF_SEEDS,
                    "mean_relative_difference": float(np.mean(margins) / np.mean(rm) - 1),
                    "mean_relative_difference_interval": list(mean_ci),
                    "close": False if False in verdicts else (None if None in verdicts else True),
                    "reference_seeds": list(ref_seeds), "reference_hyperparameters": ref["hyperparameters"],
                    "reference_train_config": ref["train_config"]})
    return out


def _decide(cases: list[dict], evidence: dict, reference: str) -> Outcome:
    def draw(fig):
        ax = fig.add_subplot(111)
        for i, c in enumerate(cases):
            for comp in c["comparisons"]:
                r = comp["rank"]
                ax.errorbar([r - 0.1 + 0.04 * i], [comp["deep_runs"]["mean"]],
                            yerr=[[comp["deep_runs"]["mean"] - comp["deep_runs"]["interval"][0]],
                                  [comp["deep_runs"]["interval"][1] - comp["deep_runs"]["mean"]]],
                            fmt="o", color=f"C{i}", label=f"deep K={c['K']}, L={c['L']}" if r == c["comparisons"][0]["rank"] else None)
                ax.plot([r + 0.1 + 0.04 * i], [comp["reference_runs"]["mean"]], "s", color=f"C{i}")
        ax.set_xlabel("rank r of the converged logits (squares: single layer, width " +
                      ("r)" if reference == "width_r" else "r + 1)"))
        ax.set_ylabel("normalised margin")
        ax.legend(fontsize=7)

    figs = [render(f"E-3b: deep rank-r margins vs single-layer width {'r' if reference == 'width_r' else 'r+1'}",
                   draw, "Means with 95% bootstrap intervals; circles: deep runs, squares: single-layer references.")]
    und = [c for c in cases if c.get("undecided")]
    if und and not any(c.get("holds") is False for c in cases):  # a refuting case decides whatever the others do
        return Outcome.undecided("; ".join(f"K={c['K']}, L={c['L']}: {c['undecided']}" for c in und), evidence,
                                 figures=figs)
    if all(c.get("holds") for c in cases):
        return Outcome.held(evidence, figures=figs)
    bad = next(c for c in cases if c.get("holds") is False)
    comp = next(x for x in bad["comparisons"]
                if x["close"] is False and x["reference_converged"] == x["reference_total"])
    run = min((x for x in comp["per_run"] if x["close"] is False), key=lambda x: x["relative_difference_interval"][1])
    row = next(x for x in bad["deep_runs"] if x["seed"] == run["seed"])
    return Outcome.refuted({"K": bad["K"], "L": bad["L"], "rank": comp["rank"], "seed": run["seed"],
                            "width": bad.get("width"), "deep_normalised_margin": run["normalised_margin"],
                            "relative_singular_values": row["relative_singular_values"],
                            "reference_width": comp["reference_width"],
                            "reference_margin_interval": comp["reference_runs"]["interval"],
                            "relative_difference_interval": run["relative_difference_interval"],
                            "start": bad["deep_hyperparameters"]},
                           evidence, figures=figs)


def _case(ctx, K, L, r, seeds, reference, salt) -> dict:
    by_rank, rows, unconverged = _ranked(r, K, seeds)
    case = {"K": K, "L": L, "deep_runs": rows, "deep_hyperparameters": r["hyperparameters"],
            "deep_train_config": r["train_config"],
            "rank_fractions": {str(k): stats.proportion(len(v), len(seeds)) for k, v in sorted(by_rank.items())}}
    comps = _compare(ctx, K, L, by_rank, reference, salt)  # converged deep runs only
    case["comparisons"] = comps
    if unconverged:
        # a converged run not close to a converged reference refutes, whatever the unconverged runs converge to
        refuting = [c for c in comps if c["close"] is False and c["reference_converged"] == c["reference_total"]]
        case["unconverged_deep_runs"] = unconverged
        if refuting:
            case["holds"] = False
            case["decided_over_unconverged"] = (f"{unconverged} deep run(s) did not converge; the converged "
                                                "counterexample stands whatever they converge to")
        else:
            case["undecided"] = f"{len(seeds) - unconverged} of {len(seeds)} deep runs met the convergence criterion"
        return case
    ref_bad = [c for c in comps if c["reference_converged"] < c["reference_total"]]
    if ref_bad:
        case["undecided"] = "; ".join(f"width-{c['reference_width']} references: {c['reference_converged']} of "
                                      f"{c['reference_total']} converged" for c in ref_bad)
    elif not comps:
        case["undecided"] = f"no rank reached by >= {MIN_RUNS} converged deep runs"
    elif any(c["close"] is False for c in comps):
        case["holds"] = False
    elif any(c["close"] is None for c in comps):
        case["undecided"] = "; ".join(
            f"rank {c['rank']}: {sum(x['close'] is None for x in c['per_run'])} run(s) whose margin interval relative to "
            f"the reference straddles ±{RELATIVE_TOLERANCE}" for c in comps if c["close"] is None)
    else:
        case["holds"] = True
    return case


@budgeted
def generic_margins(ctx: Context, reference: str) -> Outcome:
    pins = require_pinned(METRICS)
    m = GENERIC_THOROUGH_SEEDS if ctx.thorough else GENERIC_SEEDS
    pairs = ctx.KL_pairs()
    cases = []
    for i, (K, L) in enumerate(pairs):
        ctx.report(i / len(pairs), f"K={K}, L={L}")
        seeds = seeds_from(ctx, 3000 + 10 * K + L, m)  # the seeds of E-3's generic_start_structures
        r = random_init_converged(K, 1, K, L, GENERIC_SCALE, seeds, RHO, MAX_STEPS, CONVERGENCE)
        case = _case(ctx, K, L, r, seeds, reference, 5000 + 10 * K + L)
        case["width"] = K
        cases.append(case)
    evidence = {"reference": reference, "cases": cases, "relative_tolerance": RELATIVE_TOLERANCE,
                "rule": "each converged deep run of rank r: close if margin / [reference mean interval] - 1 lies inside "
                        "±tolerance, not close if entirely outside, undecided otherwise", "min_runs_per_rank": MIN_RUNS, "rank_tolerance": RANK_TOL,
                "convergence_criterion": CONVERGENCE.describe(),
                "reference_convergence_criterion": REF_CONVERGENCE.describe(), "metric_pins": pins}
    return _decide(cases, evidence, reference)


@budgeted
def forced_margins(ctx: Context, reference: str) -> Outcome:
    pins = require_pinned(METRICS)
    pairs = ctx.KL_pairs()
    cases = []
    for i, (K, L) in enumerate(pairs):
        ctx.report(i / len(pairs), f"K={K}, L={L}")
        merged, seeds_all = None, []
        for r0 in FORCED_RANKS:
            seeds = seeds_from(ctx, 3300 + 10 * K + r0, FORCED_SEEDS)
            r = rank_structure_converged(K, L, FORCED_WIDTH, r0, seeds, RHO, MAX_STEPS, CONVERGENCE)
            seeds_all += list(seeds)
            if merged is None:
                merged = {k: r[k] for k in ("mean_logits", "normalised_margin", "singular_values", "hyperparameters",
                                            "train_config")}
                merged["convergence"] = {"runs": list(r["convergence"]["runs"])}
            else:
                merged["mean_logits"] = np.concatenate([merged["mean_logits"], r["mean_logits"]])
                merged["normalised_margin"] = np.concatenate([merged["normalised_margin"], r["normalised_margin"]])
                merged["singular_values"] = np.concatenate([merged["singular_values"], r["singular_values"]])
                merged["convergence"]["runs"] += r["convergence"]["runs"]
        case = _case(ctx, K, L, merged, seeds_all, reference, 5500 + 10 * K + L)
        case["width"] = FORCED_WIDTH
        cases.append(case)
    evidence = {"reference": reference, "cases": cases, "relative_tolerance": RELATIVE_TOLERANCE,
                "start_ranks": list(FORCED_RANKS), "deep_width": FORCED_WIDTH, "seeds_per_start_rank": FORCED_SEEDS,
                "min_runs_per_rank": MIN_RUNS, "convergence_criterion": CONVERGENCE.describe(),
                "reference_convergence_criterion": REF_CONVERGENCE.describe(), "metric_pins": pins}
    return _decide(cases, evidence, reference)


_CONTROL = "the single-layer reference of width r + 1 for rank r, judged by the same rule"
_WHY = ("the rank of the centred mean logits and the rank of the logits themselves differ by the all-ones direction "
        "softmax ignores; matching the uncentred rank would compare a rank-r solution with a width-(r+1) UFM")

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
    parts=(Part("margins", "deep rank-r margins match width-r single-layer margins"), measurement_part(METRICS)),
    checks=(
        Check(
            name="generic_start_margins", level=Level.EMPIRICAL, fn=generic_margins,
            description=(f"E-3's generic-start runs (d = K, {GENERIC_SEEDS} seeds per (K, L)) grouped by converged rank "
                         f"r; references: {REF_SEEDS} single-layer width-r UFMs (factors {REF_SCALE}·N(0, 1/d)); all "
                         f"to the convergence criterion; bootstrap interval of the relative difference vs "
                         f"±{RELATIVE_TOLERANCE:.0%}"),
            precision=f"float64; relative tolerance {RELATIVE_TOLERANCE}; 4000 bootstrap resamples",
            statement={"reference": "width_r"},
            control={"reference": "width_r_plus_1"},
            control_description=_CONTROL, control_why=_WHY,
            K=(5, 6), L=(6,), thorough_K=(5, 6, 7, 8), thorough_L=(4, 6, 8),
            serves=Serves(K_min=4, K_max=10, L_min=3, L_max=12, what="batched float64 training to convergence",
                          cost="K, L and the seeds"),
            finding=("at K = 6, L = 6, d = 6 some Gaussian starts converge to a rank-3 limit with singular values "
                     "(1, 0.995, 0.253) whose normalised margin (~0.18) is ~36% below the width-3 single-layer UFM's "
                     "(0.287): the match holds for rank 2 and the equal-spectrum rank-3 code, not every rank-3 limit"),
            covers=("margins",), method="bootstrap interval vs band, wrong-width control",
        ),
        Check(
            name="deep_rank_r_vs_width_r", level=Level.EMPIRICAL, fn=forced_margins,
            description=(f"K=6, L=4: deep runs from random rank-2/3 logit starts (d={FORCED_WIDTH}, {FORCED_SEEDS} seeds "
                         f"each) grouped by converged rank r vs single-layer width-r UFMs; all to the convergence "
                         f"criterion; bootstrap interval of the relative difference vs ±{RELATIVE_TOLERANCE:.0%}"),
            precision=f"float64; relative tolerance {RELATIVE_TOLERANCE}",
            statement={"reference": "width_r"},
            control={"reference": "width_r_plus_1"},
            control_description=_CONTROL, control_why=_WHY,
            K=(6,), L=(4,), thorough_K=(6, 8), thorough_L=(4, 8),
            serves=Serves(K_min=4, K_max=12, L_min=2, L_max=16, what="batched float64 training to convergence",
                          cost="K, L (d = 4)"),
            covers=("margins",), method="rank-forced starts, wrong-width control",
        ),
        pins_check(METRICS),
    ),
)
