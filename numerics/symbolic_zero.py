"""Is a sympy expression zero?  Three answers, never rounded up or down.

``sp.simplify(e) == 0`` proves ``e = 0``; its failing proves nothing (sympy's simplifier is
incomplete).  :func:`zero_or_witness` therefore answers

* ``True``: sympy reduces the expression to 0 (a proof, for every value of its symbols);
* ``False``, with a witness: at an explicit rational point of its symbols the expression evaluates
  (at :data:`WITNESS_DPS` digits) to a number of modulus above :data:`WITNESS_FLOOR`: a
  counterexample a reader can recompute;
* ``None``: neither (undecided: the caller reports a step not shown, never a refutation).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import sympy as sp

__all__ = ["WITNESS_DPS", "WITNESS_FLOOR", "WITNESS_VALUES", "zero_or_witness"]

WITNESS_DPS = 50
WITNESS_FLOOR = sp.Rational(1, 10**30)
# values tried for each free symbol (positive rationals and integers: most symbols here are positive)
WITNESS_VALUES = (sp.Rational(7, 3), sp.Integer(5), sp.Rational(11, 4), sp.Integer(8), sp.Rational(13, 7))


def _value(expr: sp.Expr, point: Mapping[sp.Symbol, Any]):
    v = sp.N(expr.subs(point), WITNESS_DPS)
    return v if v.is_number and v.is_finite is not False and not v.has(sp.zoo, sp.nan) else None


def zero_or_witness(expr: sp.Expr, points: Sequence[Mapping[sp.Symbol, Any]] | None = None
                    ) -> tuple[bool | None, dict[str, str] | None]:
    """``(True, None)``, ``(False, witness)`` or ``(None, None)``; see the module docstring.

    ``points`` are tried in order; by default each free symbol takes the ``i``-th of
    :data:`WITNESS_VALUES` shifted by its position (a few deterministic generic points).
    """
    expr = sp.sympify(expr)
    if expr == 0 or sp.simplify(expr) == 0:
        return True, None
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    if points is None:
        n = len(WITNESS_VALUES)
        points = [{s: WITNESS_VALUES[(i + j) % n] for j, s in enumerate(symbols)} for i in range(n)]
    for point in points:
        v = _value(expr, point)
        if v is not None and abs(v) > WITNESS_FLOOR:
            return False, {**{str(s): str(val) for s, val in point.items()}, "value": str(sp.N(v, 20)),
                           "digits": str(WITNESS_DPS)}
    return None, None
