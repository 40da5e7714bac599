"""Pieces the E-* claims share (not a claim module: ``load_claims`` skips names starting with '_').

- :func:`measurement_part` / :func:`pins_check`: every experiment reads torch_check's
  metrics; the "measurement" part of its claim says they are the paper's definitions, and
  the pins check establishes it on known matrices with exact (sympy) values
  (:mod:`torch_check.pins`).  Its control is the set of plausible wrong definitions
  (σ² in the effective rank, ||Zbar|| in the margin, reversed KL, no centring ...), which
  the same pins must reject.
- :func:`budgeted`: decorator for check functions; the time budget is tested inside training.
- :func:`sweep_outcome`: the Outcome of one or more :func:`torch_check.sweeps.trend_sweep`
  results (undecided if a run did not converge, refuted with the test's numbers), with a
  figure of the means and their bootstrap intervals.
"""

from __future__ import annotations

import numpy as np

from ncdepth.registry import Check, Context, Level, Outcome, Part, Serves
from reports.figures import render
from torch_check.pins import PIN_TOLERANCE, VARIANTS, pin_table, require_pinned

__all__ = ["measurement_part", "pins_check", "convergence_summary", "sweep_outcome", "budgeted"]


def budgeted(fn):
    """Decorate a check function: every training step loop inside it tests the check's time budget
    (every 50 steps, :func:`torch_check.trainer.step_hook`), so a long run ends INCONCLUSIVE on time."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx: Context, **kw):
        from torch_check.trainer import step_hook

        with step_hook(lambda: ctx.check_budget("during training")):
            return fn(ctx, **kw)

    return wrapper

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
        serves=Serves(what="fixed known matrices, no (K, L) grid (a requested K, L changes nothing)"),
    )


def convergence_summary(report: dict) -> dict:
    return {k: report[k] for k in ("converged", "total", "largest_margin_change", "largest_stat_change")}


def sweep_outcome(sweeps: list[dict], evidence: dict, *, title: str, xlabel: str, ylabel: str = "effective rank at convergence",
                  logx: bool = False, keys: tuple[str, ...] = ("K", "L"), hlines=()) -> Outcome:
    """Outcome of trend sweeps (each with ``holds``, ``test``, ``per_label`` and the ``keys``)."""

    def label(res):
        return ", ".join(f"{k}={res[k]}" for k in keys if k in res)

    def draw(fig):
        ax = fig.add_subplot(111)
        for res in sweeps:
            xs = res["levels"]
            mean = [res["per_label"][f"{x:g}"]["value"]["mean"] for x in xs]
            ci = np.array([res["per_label"][f"{x:g}"]["value"]["interval"] for x in xs])
            ax.errorbar(xs, mean, yerr=[np.subtract(mean, ci[:, 0]), np.subtract(ci[:, 1], mean)], marker="o",
                        capsize=3, label=label(res) + (f" (placebo: all at {res['placebo_level']:g})"
                                                       if res["design"] == "placebo" else ""))
        for y, style in hlines:
            ax.axhline(y, color="gray", ls=style, lw=1)
        if logx:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel + (" (label only)" if sweeps and sweeps[0]["design"] == "placebo" else ""))
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)

    m = sweeps[0]["seeds_per_level"] if sweeps else 0
    figs = [render(title, draw, f"Mean and 95% bootstrap interval over {m} seeds per level.")]
    undecided = [s for s in sweeps if s["holds"] is None]
    if undecided:
        return Outcome.undecided("; ".join(f"{label(s)}: {s['undecided']}" for s in undecided), evidence, figures=figs)
    if all(s["holds"] for s in sweeps):
        return Outcome.held(evidence, figures=figs)
    bad = next(s for s in sweeps if not s["holds"])
    ce = {k: bad[k] for k in keys if k in bad}
    ce.update({"levels": bad["levels"], "design": bad["design"],
               "means": [bad["per_label"][f"{x:g}"]["value"]["mean"] for x in bad["levels"]],
               "spearman_rho": bad["test"]["spearman_rho"], "p_value": bad["test"]["p_value"],
               "effect_interval": bad["test"]["effect_interval"], "seeds": bad["seeds"]})
    return Outcome.refuted(ce, evidence, figures=figs)
