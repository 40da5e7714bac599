"""Run a property with hypothesis inside a check and keep the shrunk counterexample.

``search(strategy, predicate, examples=..., seed=...)`` draws inputs, calls
``predicate(x) -> (ok, detail)`` on each, and, when one fails, lets hypothesis
shrink it; the last failing input seen is the minimal one (hypothesis replays it
last).  Exceptions other than a failed property propagate (they are ERRORs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import HealthCheck, Phase, Verbosity, given, seed as hseed, settings
from hypothesis import strategies as st

__all__ = ["FuzzResult", "search", "powers_of_two", "st"]

# Named profiles: `ci` (pytest's default, fast) and `thorough` (long sweeps).
settings.register_profile("ci", max_examples=40, deadline=None, database=None, derandomize=False)
settings.register_profile("thorough", max_examples=400, deadline=None, database=None)


class _PropertyFailed(AssertionError):
    pass


@dataclass
class FuzzResult:
    holds: bool
    examples_run: int
    counterexample: Any = None
    detail: Any = None


def search(
    strategy: st.SearchStrategy,
    predicate: Callable[[Any], tuple[bool, Any]],
    *,
    examples: int,
    seed: int,
) -> FuzzResult:
    """Fuzz ``predicate`` over ``strategy``; return the minimal failing input, if any."""
    failures: list[tuple[Any, Any]] = []
    count = [0]

    @settings(
        max_examples=max(1, int(examples)),
        deadline=None,
        database=None,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        print_blob=False,
    )
    @hseed(seed)
    @given(strategy)
    def prop(x):
        count[0] += 1
        ok, detail = predicate(x)
        if not ok:
            failures.append((x, detail))
            raise _PropertyFailed(str(detail))

    try:
        prop()
    except _PropertyFailed:
        x, detail = failures[-1]
        return FuzzResult(False, count[0], x, detail)
    except Exception as group:  # an ExceptionGroup of several distinct failures: report the last shrunk one
        inner = getattr(group, "exceptions", None)
        if failures and inner and all(isinstance(e, _PropertyFailed) for e in inner):
            x, detail = failures[-1]
            return FuzzResult(False, count[0], x, detail)
        raise
    return FuzzResult(True, count[0])


def powers_of_two(min_exp: int = 1, max_exp: int = 12) -> st.SearchStrategy[int]:
    """K = 2^m with m drawn from [min_exp, max_exp] (shrinks towards small K)."""
    return st.integers(min_exp, max_exp).map(lambda m: 2**m)
