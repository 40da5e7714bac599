"""One module per claim of the paper.

Each module defines ``CLAIM``: a :class:`ncdepth.registry.Claim` whose docstring
quotes the statement with the paper's equation numbers, plus the check functions
that mirror its proof.  :func:`load_claims` discovers every module of this package,
so adding a claim means adding a module and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from ncdepth.registry import Claim, paper_order

__all__ = ["load_claims", "claims_by_id"]


@lru_cache(maxsize=1)
def load_claims() -> tuple[Claim, ...]:
    """All registry claims, in paper order; ids unique and dependencies resolved."""
    found: dict[str, Claim] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        claim = getattr(module, "CLAIM", None)
        if claim is None:
            continue
        if claim.id in found:
            raise RuntimeError(f"claim id {claim.id} defined twice (module {info.name})")
        found[claim.id] = claim
    for claim in found.values():
        missing = [d for d in claim.depends_on if d not in found]
        if missing:
            raise RuntimeError(f"claim {claim.id} depends on unknown claim(s) {missing}")
    return tuple(sorted(found.values(), key=lambda c: paper_order(c.id)))


def claims_by_id() -> dict[str, Claim]:
    return {c.id: c for c in load_claims()}
