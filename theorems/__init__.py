"""One module per claim of the paper, grouped by the paper's parts.

``theorems/<part>/<module>.py`` defines ``CLAIM``: a :class:`ncdepth.registry.Claim`
whose docstring quotes the statement with the paper's equation numbers, plus the check
functions that mirror its proof.  The module is named mechanically from the claim id
(:func:`module_name`: ``T3.1`` -> ``t3_1``, ``L-D.5`` -> ``l_d_5``, ``E-3b`` -> ``e_3b``),
so an id leads to its file without searching.  The parts:

    setup/           Sec. 2, App. B           dynamics/      Sec. 4, App. D.4-D.6
    hadamard_core/   Sec. 4, App. C, D.3      random_init/   Sec. 4.3, App. D.6
    landscape/       Sec. 3, App. D.1-D.2     experiments/   App. E (torch_check)
                                              beyond/        ncdepth's own findings

:func:`load_claims` discovers every module of these packages, so adding a claim means
adding a module and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache

from ncdepth.registry import Claim, paper_order

__all__ = ["load_claims", "claims_by_id", "module_name"]


def module_name(claim_id: str) -> str:
    """The module of a claim, from its id: lower case, '.' and '-' become '_'."""
    return re.sub(r"[.-]", "_", claim_id.lower())


@lru_cache(maxsize=1)
def load_claims() -> tuple[Claim, ...]:
    """All registry claims, in paper order; ids unique and dependencies resolved."""
    found: dict[str, Claim] = {}
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        claim = getattr(module, "CLAIM", None)
        if claim is None:
            continue
        if claim.id in found:
            raise RuntimeError(f"claim id {claim.id} defined twice (module {info.name})")
        if module_name(claim.id) not in info.name.split("."):
            raise RuntimeError(f"claim {claim.id} lives in {info.name}; its module must be named {module_name(claim.id)}")
        found[claim.id] = claim
    for claim in found.values():
        missing = [d for d in claim.depends_on if d not in found]
        if missing:
            raise RuntimeError(f"claim {claim.id} depends on unknown claim(s) {missing}")
    return tuple(sorted(found.values(), key=lambda c: paper_order(c.id)))


def claims_by_id() -> dict[str, Claim]:
    return {c.id: c for c in load_claims()}
