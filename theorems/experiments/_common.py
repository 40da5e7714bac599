"""Pieces the E-* claims share (not a claim module: ``load_claims`` skips names starting with '_').

- :func:`measurement_part` / :func:`pins_check`: every experiment reads torch_check's
  metrics; the "measurement" part of its claim says they are the paper's definitions, and
  the pins check establishes it on known matrices with exact (sympy) values
  (:mod:`torch_check.pins`).  Its control is the set of plausible wrong definitions
  (σ² in the effective rank, ||Zbar|| in the margin, reversed KL, no centring ...), which
  the same pins must reject.
- :func:`convergence_summary`: the per-group convergence counts for the evidence.
"""

from __future__ import annotations

from ncdepth.registry import Check, Context, Level, Outcome, Part
from torch_check.pins import PIN_TOLERANCE, VARIANTS, pin_table, require_pinned

__all__ = ["measurement_part", "pins_check", "convergence_summary"]

_TEXT = {
    "mean_logits": "the class means of the logits",
    "effective_rank": "the effective rank (Eq. 60)",
    "normalised_margin": "the normalised margin (App. E.1)",
    "kl_to_dnc": "the KL divergence to DNC (App. D.4)",
    "distance_to_etf": "the distance to the simplex ETF",
    "distance_to_cross_polytope": "the distance to the cross-polytope",
    "hadamard_modes": "the Hadamard modes λ (Thm 4.2)",
    "feature_angles": "the angles of the Gram factor (App. E.1)",
    "rank2_residual": "the rank-2 residual of the Gram factor",
}


def measurement_part(names: tuple[str, ...]) -> Part:
    return Part("measurement", "the quantities read off the runs are the paper's: "
                + ", ".join(_TEXT[n] for n in names))


def pins_check(names: tuple[str, ...]) -> Check:
    """A check that pins the metrics ``names`` to exact values; control: their wrong definitions."""

    def metrics_pinned(ctx: Context, definitions: str) -> Outcome:
        if definitions == "paper":
            ev = require_pinned(names)  # a mismatch raises: the checker is broken (ERROR), not the paper
            ev["rows"] = pin_table("paper", names)
            return Outcome.held(ev)
        rows = pin_table("variant", names)
        evidence = {"definitions": {n: VARIANTS[n] for n in names}, "rows": rows,
                    "metrics_told_apart": sorted({r["metric"] for r in rows if not r["match"]}),
                    "tolerance": PIN_TOLERANCE}
        if all(r["match"] for r in rows):
            return Outcome.held(evidence)
        bad = next(r for r in rows if not r["match"])
        return Outcome.refuted({k: bad[k] for k in ("metric", "matrix", "definition", "computed", "exact")}, evidence)

    return Check(
        name="metrics_pinned", level=Level.NUMERIC, fn=metrics_pinned,
        description=("torch_check's " + ", ".join(names) + " on known matrices (DNC at known scale, the "
                     "cross-polytope, rank-1 and rank-r matrices with given singular values, Hadamard-diagonal and "
                     "polygon Gram matrices, column shifts) against exact values computed by sympy"),
        precision=f"float64 against 30-digit sympy values; tolerance {PIN_TOLERANCE} (relative to max(1, |value|))",
        statement={"definitions": "paper"},
        control={"definitions": "variant"},
        control_description="the same pins against plausible wrong definitions: " + "; ".join(VARIANTS[n] for n in names),
        control_why=("each is a normalisation slip that the experiments could not notice, because the deep runs and "
                     "their references (shallow runs, placebos, other starts) share the metric and the slip cancels"),
        covers=("measurement",), method="exact values on known matrices",
    )


def convergence_summary(report: dict) -> dict:
    return {k: report[k] for k in ("converged", "total", "largest_margin_change", "largest_stat_change")}
