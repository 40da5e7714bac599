"""z3, set up once for every check: deterministic, with a time limit.

z3's heuristics draw from random seeds (the SMT core, the SAT core, nlsat); with the seeds fixed
the same query gets the same answer and the same model on every run, so a verdict is reproducible.
A query that runs out of its time limit answers ``unknown``: callers treat that as a budget
(``Outcome.undecided``), never as a refutation and never as a proof.
"""

from __future__ import annotations

__all__ = ["Z3_SEED", "Z3_TIMEOUT_MS", "z3_solver", "z3_settings"]

Z3_SEED = 0
Z3_TIMEOUT_MS = 60_000  # per query; a caller may set a smaller one


def z3_solver(timeout_ms: int = Z3_TIMEOUT_MS):
    """A fresh ``z3.Solver`` with every random seed fixed to :data:`Z3_SEED` and a time limit."""
    import z3

    for name in ("smt.random_seed", "sat.random_seed", "nlsat.seed"):
        z3.set_param(name, Z3_SEED)
    s = z3.Solver()
    s.set("random_seed", Z3_SEED)
    s.set("timeout", int(timeout_ms))
    return s


def z3_settings(timeout_ms: int = Z3_TIMEOUT_MS) -> dict:
    """The settings :func:`z3_solver` uses, for a check's evidence."""
    import z3

    return {"z3_version": z3.get_version_string(), "seeds": Z3_SEED, "timeout_ms": int(timeout_ms)}
