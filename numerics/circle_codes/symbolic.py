"""sympy and z3 machinery of the L-D.3 and T3.2 proofs (imported lazily: sympy and z3 load slowly)."""

from __future__ import annotations

from typing import Callable, Sequence

__all__ = ["sympy_run_sum", "sympy_is_zero", "z3_runs_on_circle"]


def sympy_run_sum(m, delta, centre=0):
    """``Σ_{j<m} e^{2i(c + (j - (m-1)/2) δ)}`` summed by sympy for a symbolic (or integer) ``m``: the
    run of m angles at spacing δ centred at c.  The generic branch of sympy's Piecewise is kept
    (``e^{2iδ} != 1``: 0 < δ < π)."""
    import sympy as sp

    j = sp.Dummy("j", integer=True, nonnegative=True)
    S = sp.summation(sp.exp(2 * sp.I * (centre + (j - (m - 1) / sp.Integer(2)) * delta)), (j, 0, m - 1))
    return S.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[-1][0])


def sympy_is_zero(expr, half_angle=None) -> bool:
    """True when sympy reduces ``expr`` to 0.  False means "not shown", never "shown non-zero".

    Tried in turn: ``simplify``; the exponential form with exponents factored (so that e.g.
    ``e^{iπ(m+1)/(m+1)}`` collapses); and, when ``half_angle`` (a positive symbol δ) is given, the
    substitution δ = 2u followed by ``expand_trig`` (identities between δ and δ/2)."""
    import sympy as sp

    if sp.simplify(expr) == 0:
        return True
    e = sp.expand(expr.rewrite(sp.exp))
    if sp.simplify(e) == 0:
        return True
    e = sp.powsimp(e, combine="exp")
    e = e.replace(sp.exp, lambda a: sp.exp(sp.factor(sp.expand(a))))
    if sp.simplify(e) == 0:
        return True
    if half_angle is not None:
        u = sp.Dummy("u", positive=True)
        e = sp.expand_trig(sp.expand(expr.subs(half_angle, 2 * u)))
        if sp.simplify(e) == 0 or sp.simplify(sp.expand(e.rewrite(sp.exp))) == 0:
            return True
    return False


def z3_runs_on_circle(runs: Sequence[str], extra: Callable | None = None) -> str:
    """Can runs of these kinds sit together on the circle?  z3 (linear real arithmetic), for every δ.

    A *run* is a maximal block of consecutive angles at spacing exactly δ; its length ``x = m δ``
    (m angles) is a real ``x >= δ``; distinct runs are separated by free gaps ``> δ``.  Kinds:
    ``"pos"`` (``x < π``: its Σ e^{2iθ} points along ``e^{2ic}`` with a positive factor, so a locally
    optimal run is centred at c ∈ {0, π}), ``"neg"`` (π < x < 2π: centred at π/2 or 3π/2) and
    ``"zero"`` (``x = π``: any centre).  Geometry, for every pair of runs i, j: the counter-clockwise
    arc from c_i to c_j, and the one back, each contain the halves ``(x_i - δ)/2`` and ``(x_j - δ)/2``
    and a free gap ``> δ``.  Besides, ``Σ x <= Kδ`` with ``3δ <= Kδ < 2π``.  ``π`` and ``Kδ`` are
    real unknowns too: the answer holds for every K >= 3 and δ.  ``extra(z3, env)`` may add
    constraints (``env``: ``p``, ``d``, ``X``, lists ``x``, ``c``).  Returns z3's ``"sat"`` /
    ``"unsat"`` / ``"unknown"``.
    """
    import z3

    from numerics.smt import z3_solver

    p, d, X = z3.Reals("pi delta K_delta")
    s = z3_solver()
    s.add(p > 0, d > 0, X >= 3 * d, X < 2 * p)
    xs, cs = [], []
    for i, kind in enumerate(runs):
        x, c = z3.Real(f"x{i}"), z3.Real(f"c{i}")
        s.add(x >= d)
        if kind == "pos":
            s.add(x < p, z3.Or(c == 0, c == p))
        elif kind == "neg":
            s.add(x > p, x < 2 * p, z3.Or(c == p / 2, c == 3 * p / 2))
        elif kind == "zero":
            s.add(x == p, c >= 0, c < 2 * p)
        else:
            raise ValueError(f"unknown run kind {kind!r}")
        xs.append(x)
        cs.append(c)
    s.add(z3.Sum(xs) <= X if len(xs) > 1 else xs[0] <= X)
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            D = z3.If(cs[j] - cs[i] >= 0, cs[j] - cs[i], cs[j] - cs[i] + 2 * p)
            half = (xs[i] - d) / 2 + (xs[j] - d) / 2
            g, h = z3.Real(f"g{i}_{j}"), z3.Real(f"h{i}_{j}")
            s.add(g > d, h > d, D >= half + g, 2 * p - D >= half + h)
    if extra is not None:
        s.add(extra(z3, {"p": p, "d": d, "X": X, "x": xs, "c": cs}))
    return str(s.check())
