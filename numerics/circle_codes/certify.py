"""arb certifiers: a bisection for the sign of a function, and a branch-and-bound for |Σ e^{2iθ}|².

Both answer in three values: ``"proved"``, ``"refuted"`` (with a witness a reader can recompute) or
``"undecided"`` (a budget ran out; the witness says which and how far it got)."""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

from .basics import require_K

__all__ = ["bisect_certify_negative", "certify_cos2_upper_bound"]


def bisect_certify_negative(fn, lo, hi, max_depth: int = 40, max_boxes: int = 200000,
                            progress: Callable[[int], None] | None = None):
    """Prove ``fn(x) < 0`` for every x in ``[lo, hi]`` (arb endpoints) by bisection.

    ``fn`` maps an arb ball to an arb ball enclosing the range.  Returns ``(status, boxes, witness)``
    with ``status`` one of ``"proved"`` (witness None), ``"refuted"`` (witness: a point where fn is
    certainly >= 0) or ``"undecided"`` (witness: the box that could not be decided at ``max_depth``,
    or the box budget that ran out, with how many boxes were done).  ``progress(boxes)`` is called
    every 256 boxes (a time budget may raise there).
    """
    stack = [(lo, hi, 0)]
    boxes = 0
    while stack:
        a, b, depth = stack.pop()
        boxes += 1
        if progress is not None and boxes % 256 == 0:
            progress(boxes)
        if boxes > max_boxes:
            return "undecided", boxes, {"undecided_box": (a.str(15), b.str(15)),
                                        "reason": f"box budget exhausted ({max_boxes} boxes)", "left": len(stack) + 1}
        box = a.union(b)
        if bool(fn(box) < 0):
            continue
        mid = (a + b) / 2
        val = fn(mid)
        if bool(val >= 0):
            return "refuted", boxes, {"delta": mid.str(20), "value": val.str(15), "reason": "certainly >= 0 here"}
        if depth >= max_depth:
            return "undecided", boxes, {"undecided_box": (a.str(15), b.str(15)), "reason": f"max depth {max_depth}"}
        stack.append((mid, b, depth + 1))
        stack.append((a, mid, depth + 1))
    return "proved", boxes, None


def certify_cos2_upper_bound(K: int, delta_over_pi: Fraction, claimed_sq, tol, max_boxes: int = 400000,
                             progress: Callable[[int], None] | None = None):
    """Branch-and-bound in arb: ``|Σ e^{2iθ_k}|² <= claimed_sq + tol`` over ALL configurations with gaps >= δ.

    Variables: the gap excesses ``e_k = g_k - δ >= 0`` (``Σ_k e_k = s = 2π - Kδ``), written by stick
    breaking ``e_1 = s u_1, e_2 = s (1-u_1) u_2, ...`` with ``u`` in the unit cube ``[0,1]^{K-1}`` (an exact
    parametrisation of the simplex: every box is feasible).  The rotation does not change the modulus.
    Each box is bounded by the mean-value form ``F(c) + Σ_i sup|∂F/∂u_i (box)| · halfwidth_i``; where
    ``∂F/∂u_i`` has a certain sign on a box, the box collapses onto the face where F is larger
    (monotonicity test).  Returns ``(status, boxes, witness)``: ``"proved"`` (witness None),
    ``"refuted"`` (witness: a point u of the cube, hence a feasible configuration, whose gaps are
    listed, with ``F > claimed_sq + tol`` certified) or ``"undecided"`` (the box budget ran out;
    the witness says how many boxes were done and how many were left).  ``progress(boxes)`` is
    called every 256 boxes (a time budget may raise there).
    """
    import flint

    K = require_K(K, 3)
    q = Fraction(delta_over_pi)
    pi = flint.arb.pi()
    d = pi * q.numerator / q.denominator
    slack_q = 2 - K * q  # units of π
    n = K - 1
    if slack_q == 0:
        return "proved", 0, None  # only the regular K-gon, whose value is 0 <= claimed_sq
    s = pi * slack_q.numerator / slack_q.denominator
    zero = flint.arb(0)

    def F_and_grad(u):
        # stick breaking: e_i = P_i u_i with P_i = s Π_{j<i} (1 - u_j)
        P = [s]
        for i in range(n - 1):
            P.append(P[-1] * (1 - u[i]))
        e = [P[i] * u[i] for i in range(n)]
        th = [zero]  # K angles: θ_0 = 0, θ_j = θ_{j-1} + δ + e_{j-1}
        for i in range(n):
            th.append(th[-1] + d + e[i])
        c2 = [(2 * t).cos() for t in th]
        s2 = [(2 * t).sin() for t in th]
        C, S = sum(c2, zero), sum(s2, zero)
        F = C * C + S * S
        # ∂F/∂e_k: e_k shifts θ_j for j > k
        gE = [2 * C * (-2 * sum(s2[k + 1:], zero)) + 2 * S * (2 * sum(c2[k + 1:], zero)) for k in range(n)]
        # ∂e_k/∂u_i = P_i (k = i); -P_i Π_{i<j<k}(1-u_j) u_k (k > i); 0 (k < i)
        gU = []
        for i in range(n):
            acc = gE[i] * P[i]
            prod = P[i]
            for k in range(i + 1, n):
                acc = acc - gE[k] * prod * u[k]
                prod = prod * (1 - u[k])
            gU.append(acc)
        return F, gU

    bound = claimed_sq + tol
    one = flint.arb(1)
    stack = [([zero] * n, [one] * n)]
    boxes = 0
    while stack:
        lo, hi = stack.pop()
        boxes += 1
        if progress is not None and boxes % 256 == 0:
            progress(boxes)
        if boxes > max_boxes:
            return "undecided", boxes, {"reason": f"box budget exhausted ({max_boxes} boxes)",
                                        "boxes_left": len(stack) + 1}
        box = [a.union(b) for a, b in zip(lo, hi)]
        _, g = F_and_grad(box)
        lo = [b if bool(gi > 0) else a for a, b, gi in zip(lo, hi, g)]  # F increases in u_i: face u_i = hi
        hi = [a if bool(gi < 0) else b for a, b, gi in zip(lo, hi, g)]  # F decreases in u_i: face u_i = lo
        mid = [(a + b) / 2 for a, b in zip(lo, hi)]
        half = [(b - a) / 2 for a, b in zip(lo, hi)]
        Fm, _ = F_and_grad(mid)
        if bool(Fm > bound):
            P, e = s, []
            for x in mid:
                e.append(P * x)
                P = P * (1 - x)
            gaps = [float((d + ei).mid()) for ei in e] + [float((2 * pi - d * n - sum(e, zero)).mid())]
            return "refuted", boxes, {"u": [float(x.mid()) for x in mid], "gaps": gaps,
                                      "sum_exp2i_abs_sq": Fm.str(15), "bound": bound.str(15),
                                      "reason": "a feasible configuration above the bound (certified)"}
        _, g = F_and_grad([a.union(b) for a, b in zip(lo, hi)])
        ub = Fm + sum((abs(gi) * h for gi, h in zip(g, half)), zero)
        if bool(ub <= bound):
            continue
        j = max(range(n), key=lambda i: float((hi[i] - lo[i]).mid()))
        m = mid[j]
        stack.append((lo, hi[:j] + [m] + hi[j + 1:]))
        stack.append((lo[:j] + [m] + lo[j + 1:], hi))
    return "proved", boxes, None
