"""Non-commuting matrix symbols for identities that hold for every size (S2-BAL, D-B.1, L-D.1).

Matrices are sympy symbols with ``commutative=False``; each has a transpose partner (``X`` and
``Xt``).  :func:`transpose` applies ``(A B)^T = B^T A^T`` and linearity; :func:`expand` is
sympy's expansion (which keeps the order of non-commuting factors); an identity between
polynomials in these symbols that expands to 0 holds for all real matrices of compatible
shapes, whatever their sizes (no entries are ever used).  :func:`canonical_trace` normalises
``tr(word)`` by its cyclic rotations and transposition, so trace identities can be compared
the same way.
"""

from __future__ import annotations

from typing import Iterable

import sympy as sp

__all__ = ["Matrices", "transpose", "expand", "is_zero", "canonical_trace", "trace_of"]


class Matrices:
    """A family of non-commuting matrix symbols with transposes: ``M = Matrices("X Y A")``; ``M.X``, ``M.Xt``."""

    def __init__(self, names: str | Iterable[str]):
        names = names.split() if isinstance(names, str) else list(names)
        self.names = names
        self.table: dict[sp.Symbol, sp.Symbol] = {}
        for name in names:
            s, st = sp.symbols(f"{name} {name}t", commutative=False)
            setattr(self, name, s)
            setattr(self, name + "t", st)
            self.table[s] = st
            self.table[st] = s

    def T(self, expr: sp.Expr) -> sp.Expr:
        return transpose(expr, self.table)


def transpose(expr: sp.Expr, table: dict) -> sp.Expr:
    """``expr^T`` for a polynomial in non-commuting matrix symbols (commuting scalars stay put)."""
    expr = sp.expand(expr)
    if expr.is_Add:
        return sp.Add(*[transpose(a, table) for a in expr.args])
    if expr.is_Mul:
        c, nc = expr.args_cnc()
        return sp.Mul(*c) * sp.Mul(*[transpose(f, table) for f in reversed(nc)])
    if expr.is_Pow and not expr.is_commutative:
        return transpose(expr.base, table) ** expr.exp
    if expr in table:
        return table[expr]
    if expr.is_commutative:
        return expr
    raise ValueError(f"cannot transpose {expr!r}: not a known matrix symbol")


def expand(expr: sp.Expr) -> sp.Expr:
    return sp.expand(expr)


def is_zero(expr: sp.Expr) -> bool:
    """True when the expression expands to 0 (then it is 0 for every compatible size)."""
    return sp.expand(expr) == 0


def _word(term: sp.Expr) -> tuple[sp.Expr, tuple]:
    c, nc = term.args_cnc()
    letters: list = []
    for f in nc:
        if f.is_Pow:
            letters.extend([f.base] * int(f.exp))
        else:
            letters.append(f)
    return sp.Mul(*c), tuple(letters)


def canonical_trace(expr: sp.Expr, table: dict) -> dict:
    """``tr(expr)`` as {canonical word: coefficient}: words up to rotation and transposition."""
    out: dict = {}
    expr = sp.expand(expr)
    terms = expr.args if expr.is_Add else (expr,)
    for t in terms:
        coeff, w = _word(t)
        wt = tuple(table[x] for x in reversed(w))
        variants = [w[i:] + w[:i] for i in range(len(w))] + [wt[i:] + wt[:i] for i in range(len(wt))]
        key = min(variants, key=lambda v: tuple(str(x) for x in v)) if w else ()
        key = tuple(str(x) for x in key)
        out[key] = sp.simplify(out.get(key, 0) + coeff)
    return {k: v for k, v in out.items() if v != 0}


def trace_of(expr: sp.Expr, table: dict) -> dict:
    return canonical_trace(expr, table)
