"""T3.1, steps 2-4: the thresholds are the comparison V_CP < V_DNC; the region for all K, L; the table."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import sympy as sp
import z3

from ncdepth.fuzzing import search, st
from ncdepth.registry import Context, Outcome
from numerics.constructions import (
    centred_odd_gap_arb,
    cp_gap_arb,
    cp_beats_dnc_exact,
    even_form_crossing,
    pl_value,
    singular_values_claimed,
)
from numerics.intervals import arb, exact, working_precision
from numerics.smt import z3_solver

from ._common import L_SYM, _cp_kind, _exponent, _fuzz_grid, _pow2_less

# --------------------------------------------------------------------------- 2. threshold equivalence
def _symbolic_values():
    K, n = sp.symbols("K n", positive=True)
    L = L_SYM
    p = L + 1

    def root(x, q):
        return sp.Pow(x, sp.Integer(1) / q)

    V = {kind: pl_value(singular_values_claimed(kind, K, n), L, root)
         for kind in ("dnc", "cp_even", "cp_odd_plain", "cp_odd_centred")}
    return K, n, L, p, V


def _simp(e: sp.Expr) -> sp.Expr:
    """Simplify with powers' exponents brought over a common denominator (2^{a/b + 1} = 2^{(a+b)/b})."""
    e = sp.powsimp(sp.expand_power_base(e, force=True), force=True)
    e = e.replace(lambda x: isinstance(x, sp.Pow), lambda x: sp.Pow(x.base, sp.cancel(sp.together(x.exp))))
    return sp.simplify(e)


def threshold_equivalence(ctx: Context, even_exponent: str) -> Outcome:
    """sympy: the claimed thresholds are identically ``V_CP / V_DNC < 1``; integer forms derived."""
    K, n, L, p, V = _symbolic_values()
    e = _exponent(even_exponent)
    ev: dict = {}
    # K even: V_CP / V_DNC  vs  lhs/rhs of 2^{e(L)} < 1 - 1/K
    diff_even = _simp(V["cp_even"] / V["dnc"] - 2 ** e / (1 - 1 / K))
    ev["even: V_CP/V_DNC - 2^e/(1-1/K)"] = str(diff_even)
    # K odd (plain singleton): ((K-1)/2) 4^{1/p} + 1 < K - 1
    diff_odd = _simp(V["cp_odd_plain"] / V["dnc"] - ((K - 1) / 2 * 4 ** (1 / p) + 1) / (K - 1))
    ev["odd plain: V_CP/V_DNC - lhs/rhs"] = str(diff_odd)
    diff_centred = _simp(V["cp_odd_centred"] / V["dnc"]
                         - ((K - 1) / 2 * 4 ** (1 / p) + ((K - 1) / K) ** (1 / p)) / (K - 1))
    ev["odd centred: V_CP/V_DNC - lhs/rhs"] = str(diff_centred)
    # integer form (even): (lhs/rhs)^p = K^p / (2^{L-1} (K-1)^p) when e is the paper's exponent
    ratio_p = _simp((2 ** e / (1 - 1 / K)) ** p * 2 ** (L - 1) * (K - 1) ** p / K ** p)
    ev["even: (2^e/(1-1/K))^(L+1) * 2^(L-1) (K-1)^(L+1) / K^(L+1)"] = str(ratio_p)
    # odd plain <=> even form at K - 1: ((K-1)/2) 4^{1/p} / (K-2) is the even ratio at k = K - 1
    k = sp.Symbol("k", positive=True)
    odd_is_even_shift = sp.simplify(((K - 1) / 2 * 4 ** (1 / p) / (K - 2)) / ((k / 2) * 4 ** (1 / p) / (k - 1)).subs(k, K - 1))
    ev["odd plain ratio / even ratio at K-1"] = str(odd_is_even_shift)
    # odd centred, L >= 2 (then 1 - 4^{1/p}/2 > 0): raising both sides to the power p gives the
    # algebraic form  K (K-1)^L c^{L+1} > 1,  c = 1 - 2^{(1-L)/(1+L)}  (used by the table as a second route)
    c = 1 - 2 ** ((1 - L) / (1 + L))
    centred_log = sp.simplify(sp.expand_log(sp.log(((K - 1) * (1 - 4 ** (1 / p) / 2)) ** p / ((K - 1) / K))
                                            - sp.log(K * (K - 1) ** L * c ** (L + 1)), force=True))
    centred_form = 1 if centred_log == 0 else sp.exp(centred_log)
    ev["odd centred (L >= 2): log of ((K-1)(1 - 4^(1/p)/2))^p / ((K-1)/K) minus log of K (K-1)^L c^(L+1)"] = str(centred_log)
    ok = (diff_even == 0 and diff_odd == 0 and diff_centred == 0 and ratio_p == 1 and odd_is_even_shift == 1
          and centred_form == 1)
    if ok:
        return Outcome(True, ev)
    # find a concrete (K, L) where the claimed threshold and the V comparison disagree (exact)
    for Lv in range(1, 40):
        for Kv in range(4, 200, 2):
            claimed = _pow2_less(e.subs(L_SYM, Lv), Fraction(Kv - 1, Kv))
            if claimed != cp_beats_dnc_exact(Kv, Lv):
                return Outcome(False, ev, counterexample={"K": Kv, "L": Lv, "claimed_threshold": claimed,
                                                         "V_CP < V_DNC (exact)": not claimed})
    return Outcome.undecided(f"the threshold is not identically V_CP/V_DNC < 1 (even difference {diff_even}) but no "
                             "(K, L) with K < 200, L < 40 separates them", ev)



# --------------------------------------------------------------------------- 3. region for all K, L
CLAIMED_REGION = {"L=1": None, "L=2": 6, "L>=3": 4}  # smallest K >= 4 where DNC is beaten (None: never)


def region_for_all_K_L(ctx: Context, even_exponent: str) -> Outcome:
    """sympy monotonicity + exact corners (+ z3 on the L = 2, 3 rows): the region for every K >= 3, L >= 1."""
    e = _exponent(even_exponent)
    k, t = sp.symbols("k t", positive=True)
    L = L_SYM
    ev: dict = {}
    # claimed even threshold 2^{e(L)} < 1 - 1/k  <=>  g(k, L) = log(1 - 1/k) - e(L) log 2 > 0
    g = sp.log(1 - 1 / k) - e * sp.log(2)
    dg_dk = sp.simplify(sp.diff(g, k))
    inc_k = sp.simplify(dg_dk.subs(k, 1 + t)).is_positive  # k > 1
    dg_dL = sp.simplify(sp.diff(g, L))
    inc_L = sp.simplify(dg_dL.subs(L, t)).is_nonnegative
    ev["dg/dk"] = str(dg_dk)
    ev["dg/dL"] = str(dg_dL)
    ev["increasing in k (k > 1)"] = bool(inc_k)
    ev["non-decreasing in L (L > 0)"] = bool(inc_L)
    if not (inc_k and inc_L):
        return Outcome.undecided(f"sympy did not prove the monotonicity (dg/dk = {dg_dk}, dg/dL = {dg_dL})", ev)
    # sup over k of g(k, 1) is -e(1) log 2 (k -> oo): no k wins at L = 1 iff e(1) >= 0
    e1 = sp.Rational(e.subs(L, 1))

    def holds(kv: int, Lv: int) -> bool:  # the claimed even threshold at integer k, exactly
        return _pow2_less(e.subs(L, Lv), Fraction(kv - 1, kv))

    def first_k(Lv: int) -> int | None:  # smallest k >= 3 where the claimed threshold holds (increasing in k)
        if sp.Rational(e.subs(L, Lv)) >= 0:  # 2^e >= 1 > 1 - 1/k: never
            return None
        for kv in range(3, 10**6):
            if holds(kv, Lv):
                return kv
        return None

    row = {1: first_k(1), 2: first_k(2), 3: first_k(3)}
    ev["smallest k with the even form, L = 1, 2, 3"] = row
    ev["e(1)"] = str(e1)
    # K = 3 (odd plain uses k = 2): g(2, L) = -(1 + e(L)) log 2 < 0 iff 1 + e(L) > 0 for all L
    k2_never = sp.simplify((1 + e).subs(L, t)).is_positive
    ev["K = 3 (k = 2) never wins"] = bool(k2_never)
    # translate rows: even K wins iff K >= k*(L); odd K >= 5 wins iff K - 1 >= k*(L)
    def first_K_overall(kstar):
        if kstar is None:
            return None
        even = kstar + (kstar % 2)  # smallest even K >= k*
        odd = kstar + 1 if (kstar + 1) % 2 == 1 else kstar + 2  # smallest odd K with K - 1 >= k*
        cands = [x for x in (even, odd) if x >= 3]
        if not k2_never:
            cands.append(3)
        return max(4, min(cands))  # the theorem's range is K >= 4
    derived = {"L=1": first_K_overall(row[1]), "L=2": first_K_overall(row[2]), "L>=3": first_K_overall(row[3])}
    # L >= 3 is one row only because the region is non-decreasing in L (proved above)
    ev["derived region (smallest K >= 4 per row)"] = derived
    # the rows in between must be full intervals: K = 4, 5 at L = 2 undecided, L = 1 never
    # z3 (nlsat over the reals, an independent route) on the integer forms of the L = 2, 3 rows
    x = z3.Real("x")
    s = z3_solver()
    s.add(x >= 5, x ** 3 >= 2 * (x - 1) ** 3)  # L = 2: any k >= 5 where the even form fails?
    z3_L2 = str(s.check())
    s = z3_solver()
    s.add(x >= 4, x ** 4 >= 4 * (x - 1) ** 4)  # L = 3
    z3_L3 = str(s.check())
    s = z3_solver()
    s.add(x >= 3, x ** 2 < (x - 1) ** 2)  # L = 1: any k where it holds?
    z3_L1 = str(s.check())
    ev["z3: exists k >= 5 with k^3 >= 2 (k-1)^3"] = z3_L2
    ev["z3: exists k >= 4 with k^4 >= 4 (k-1)^4"] = z3_L3
    ev["z3: exists k >= 3 with k^2 < (k-1)^2"] = z3_L1
    # centred singleton: dominates plain (((K-1)/K)^{1/p} < 1) so its region contains plain's;
    # it still loses where plain loses: L = 1 (sqrt((K-1)/K) < 0 impossible), K = 3 (convexity), (K, L) = (5, 2)
    p = L + 1
    xx = sp.Symbol("x", positive=True)
    f = 4 ** xx + sp.Rational(2, 3) ** xx  # K = 3: 4^{1/p} + (2/3)^{1/p} < 2 ?
    f_convex = sp.simplify(sp.diff(f, xx, 2)).is_positive
    f_slope0 = sp.simplify(sp.diff(f, xx).subs(xx, 0))
    K3_never = bool(f_convex) and bool(f_slope0.is_positive) and f.subs(xx, 0) == 2
    g52 = centred_odd_gap_arb(5, 2, 128)
    centred_52_loses = bool(g52 < 0)
    ev["centred: K = 3 never (f(x) = 4^x + (2/3)^x convex, f(0) = 2, f'(0) = log(8/3) > 0)"] = K3_never
    ev["centred: (5, 2) gap ball"] = g52.str(10, radius=True)
    # centred singleton at L = 1, K and n symbolic: V_DNC - V_CP = (K-1) sqrt(n) - [(K-1) sqrt(n) + sqrt((K-1) n / K)]
    Ks, ns = sp.Symbol("K", positive=True), sp.Symbol("n", positive=True)
    sym_root = lambda x, q: sp.root(x, q)  # noqa: E731
    gap_L1 = sp.simplify(pl_value(singular_values_claimed("dnc", Ks, ns), 1, sym_root)
                         - pl_value(singular_values_claimed("cp_odd_centred", Ks, ns), 1, sym_root))
    L1_never = bool(sp.simplify(gap_L1.subs(Ks, 1 + t)).is_negative)  # negative for every K > 1, n > 0
    ev["centred: L = 1 gap V_DNC - V_CP (sympy)"] = str(gap_L1)
    ev["centred: L = 1 never (gap < 0 for all K > 1, n > 0)"] = L1_never
    ok_z3 = (z3_L2 == "unsat" and z3_L3 == "unsat" and z3_L1 == "unsat")
    mismatch = {r: (derived[r], CLAIMED_REGION[r]) for r in CLAIMED_REGION if derived[r] != CLAIMED_REGION[r]}
    if mismatch:
        row, (got, want) = next(iter(mismatch.items()))
        Lc = {"L=1": 1, "L=2": 2, "L>=3": 3}[row]
        Kc = min(x for x in (got, want) if x is not None)
        return Outcome.refuted({"K": Kc, "L": Lc, "rows_differing (derived from the threshold, claimed)": mismatch,
                                "threshold claims DNC beaten": got is not None and Kc >= got,
                                "the region claims DNC beaten": want is not None and Kc >= want,
                                "V_CP < V_DNC (exact, even K or centred odd K)": cp_beats_dnc_exact(Kc, Lc, "centred")},
                               ev)
    if not k2_never:
        return Outcome.refuted({"K": 3, "why": "the claimed threshold lets the K = 3 construction win for some L",
                                "1 + e(L)": str(sp.simplify(1 + e))}, ev)
    if not (ok_z3 and K3_never and centred_52_loses and L1_never):
        return Outcome.undecided("an independent route (z3, the K = 3 convexity, the (5, 2) ball or the L = 1 "
                                 "centred gap) did not confirm the derived region", ev)
    ev["conclusion"] = ("for K >= 4: DNC beaten iff (L = 2, K >= 6) or (L >= 3, K >= 4); "
                        "(L = 2, K in {4, 5}) and L = 1 undecided by the construction; same for both odd variants")
    return Outcome(True, ev)



# --------------------------------------------------------------------------- 4. threshold table
def _rational_function(e: sp.Expr):
    """``L -> e(L)`` as an exact Fraction, for a rational function e of L (fast: integer polynomials)."""
    num, den = sp.fraction(sp.together(e))
    pn = [int(c) for c in sp.Poly(num, L_SYM).all_coeffs()]
    pd = [int(c) for c in sp.Poly(den, L_SYM).all_coeffs()]

    def horner(coeffs, x):
        acc = 0
        for c in coeffs:
            acc = acc * x + c
        return acc

    return lambda L: Fraction(horner(pn, L), horner(pd, L))


def threshold_table(ctx: Context, even_exponent: str) -> Outcome:
    """K <= K_max, L <= L_max: exact integer rows, arb crossings of the claimed threshold, float64 cells."""
    K_max, L_max = max(ctx.K), max(ctx.L)
    e = _exponent(even_exponent)
    timings = {}
    # (a) exact integers: per L, the crossing k*(L) of the even form (monotone in k, proved above)
    t0 = time.perf_counter()
    kstar = {L: even_form_crossing(L, K_max) for L in range(1, L_max + 1)}
    timings["exact_integer_rows_s"] = time.perf_counter() - t0
    # (b) arb: the claimed threshold 2^{e(L)} < 1 - 1/K  <=>  K > 1/(1 - 2^{e(L)}) (when e < 0)
    t0 = time.perf_counter()
    karb: dict[int, int | None] = {}
    undecided = []
    e_at = _rational_function(e)
    with working_precision(128):
        for L in range(1, L_max + 1):
            eL = e_at(L)
            if eL >= 0:
                karb[L] = None
                continue
            x = 1 / (1 - arb(2) ** exact(eL))  # real crossing
            fl = x.floor()
            if not fl.is_exact() or x.contains(fl):  # ball straddles an integer: undecidable here
                undecided.append(L)
                karb[L] = None
                continue
            kk = int(fl.unique_fmpz()) + 1
            karb[L] = max(kk, 3) if kk <= K_max else None
    timings["arb_rows_s"] = time.perf_counter() - t0
    # (c) float64 over the full table, cells decided by g = (L+1) log(1-1/K) + (L-1) log 2 (the
    #     log of the integer form), compared with the exact rows; near-zero cells counted
    t0 = time.perf_counter()
    Ks = np.arange(3, K_max + 1, dtype=np.float64)[None, :]
    Ls = np.arange(1, L_max + 1, dtype=np.float64)[:, None]
    g = (Ls + 1) * np.log1p(-1.0 / Ks) + (Ls - 1) * math.log(2.0)
    float_wins = g > 0
    near_zero = int(np.sum(np.abs(g) < 1e-9 * (Ls + 1)))
    kk = np.array([kstar[L] if kstar[L] is not None else K_max + 1 for L in range(1, L_max + 1)])[:, None]
    exact_wins = np.arange(3, K_max + 1)[None, :] >= kk
    float_disagree = int(np.sum(float_wins != exact_wins))
    timings["float64_full_table_s"] = time.perf_counter() - t0
    # (d) centred odd: decided in arb at the two boundary cells of every row (dominance + region proof cover the rest)
    t0 = time.perf_counter()
    centred_bad, value_disagree, value_checked = [], [], 0
    for L in range(1, L_max + 1):
        ks = kstar[L]
        if ks is None:
            cells = [(K_max if K_max % 2 else K_max - 1, False)]
        else:
            first_odd = ks + 1 if (ks + 1) % 2 else ks + 2  # smallest odd K with K - 1 >= k*
            cells = [(first_odd, True)] + ([(first_odd - 2, False)] if first_odd - 2 >= 3 else [])
        for Kc, expect in cells:
            if Kc > K_max:
                continue
            direct = cp_beats_dnc_exact(Kc, L, "centred")
            if L >= 2:  # second route: K (K-1)^L c^{L+1} > 1 with c = 1 - 2^{(1-L)/(1+L)}
                with working_precision(256):
                    cc = 1 - arb(2) ** exact(Fraction(1 - L, 1 + L))
                    val = arb(Kc) * arb(Kc - 1) ** L * cc ** (L + 1) - 1
                    algebraic = True if val > 0 else (False if val < 0 else None)
            else:
                algebraic = False  # L = 1: sqrt((K-1)/K) < 0 is impossible
            if direct != expect or algebraic != expect:
                centred_bad.append((Kc, L))
            if L <= 40 or L % 50 == 0:  # the gap's value, not only its sign: arb ball vs an mpmath evaluation
                value_checked += 1
                if not _centred_gap_value_agrees(Kc, L):
                    value_disagree.append((Kc, L))
    timings["arb_centred_boundaries_s"] = time.perf_counter() - t0
    row_mismatch = [(L, kstar[L], karb[L]) for L in range(1, L_max + 1) if kstar[L] != karb[L]]
    cells = (K_max - 3) * L_max
    # count DNC-suboptimal cells for K >= 4 (even: K >= k*, odd: K - 1 >= k*)
    n_sub = 0
    for L in range(1, L_max + 1):
        ks = kstar[L]
        if ks is None:
            continue
        lo_even = max(4, ks + (ks % 2))
        n_even = 0 if lo_even > K_max else (K_max - lo_even) // 2 + 1
        lo_odd = max(5, ks + 1 if (ks + 1) % 2 else ks + 2)
        n_odd = 0 if lo_odd > K_max else (K_max - lo_odd) // 2 + 1
        n_sub += n_even + n_odd
    ev = {"K_range": [4, K_max], "L_range": [1, L_max], "cells": cells, "dnc_suboptimal_cells": n_sub,
          "crossing_k_even_form_L1_to_10": {L: kstar[L] for L in range(1, min(L_max, 10) + 1)},
          "arb_undecided_rows": undecided, "float64_cells_disagreeing": float_disagree,
          "float64_cells_near_zero": near_zero, "centred_boundary_mismatches": centred_bad[:10],
          "centred_gap_values_checked": value_checked, "centred_gap_value_disagreements": value_disagree[:10],
          "timings_s": {k: round(v, 4) for k, v in timings.items()}}
    if row_mismatch:
        L, ks, ka = row_mismatch[0]
        Kc = min(x for x in (ks, ka) if x is not None)
        Kc = max(Kc, 4)
        return Outcome(False, ev, counterexample={"L": L, "K": Kc, "exact integer crossing": ks,
                                                 "claimed threshold crossing (arb)": ka,
                                                 "rows_mismatched": len(row_mismatch)})
    if centred_bad:
        Kc, Lc = centred_bad[0]
        return Outcome.refuted({"K": Kc, "L": Lc, "why": "the centred odd cross-polytope's comparison at this row "
                                "boundary differs from the even-form row (direct arb and/or algebraic form)",
                                "V_CP < V_DNC (centred, arb)": cp_beats_dnc_exact(Kc, Lc, "centred")}, ev)
    if undecided or float_disagree or value_disagree:
        return Outcome.undecided(f"arb could not place {len(undecided)} row crossings at 128 bits; float64 disagrees "
                                 f"with the exact rows at {float_disagree} cells; the centred gap's arb ball and its "
                                 f"mpmath value disagree at {len(value_disagree)} cells", ev)
    return Outcome.held(ev, figures=[_table_figure()],
                        established={"K": f"∈ [3, {K_max}]", "L": f"∈ [1, {L_max}]"})


def _centred_gap_value_agrees(K: int, L: int, digits: int = 60) -> bool:
    """``centred_odd_gap_arb`` (the ball the exact decision uses) contains an independent mpmath evaluation of
    (K-1) - [((K-1)/2) 4^{1/p} + ((K-1)/K)^{1/p}] (to within 10^-(digits-10))."""
    import mpmath

    with mpmath.workdps(digits):
        p = L + 1
        g = (K - 1) - ((mpmath.mpf(K - 1) / 2) * mpmath.root(4, p) + mpmath.root(mpmath.mpf(K - 1) / K, p))
        ball = centred_odd_gap_arb(K, L, 256)
        mid = mpmath.mpf(ball.mid().str(digits + 5, radius=False))
        return bool(abs(mid - g) < mpmath.mpf(10) ** -(digits - 10) * max(1, K))


def _table_figure():
    from reports.figures import render

    Kr, Lr = list(range(3, 25)), list(range(1, 13))

    def rel_gain(K: int, L: int) -> float:  # 1 - V_CP / V_DNC for the best cross-polytope (n = 1)
        kind = "cp_even" if K % 2 == 0 else "cp_odd_centred"
        v_cp = pl_value(singular_values_claimed(kind, K, 1), L)
        v_dnc = pl_value(singular_values_claimed("dnc", K, 1), L)
        return 1.0 - v_cp / v_dnc

    gain = np.array([[rel_gain(K, L) for K in Kr] for L in Lr])
    wins = np.array([[cp_beats_dnc_exact(K, L, "centred") for K in Kr] for L in Lr])

    def draw(fig):
        ax = fig.add_subplot(111)
        lim = float(np.max(np.abs(gain)))
        im = ax.imshow(gain, origin="lower", cmap="RdBu", vmin=-lim, vmax=lim,
                       extent=(Kr[0] - 0.5, Kr[-1] + 0.5, Lr[0] - 0.5, Lr[-1] + 0.5), aspect="auto")
        for L in Lr:
            for K in Kr:
                ax.text(K, L, "+" if wins[L - 1, K - Kr[0]] else "·", ha="center", va="center", fontsize=7)
        ax.set_xlabel("K (classes)")
        ax.set_ylabel("L (weight matrices after the features)")
        ax.set_xticks(Kr[::2])
        ax.set_yticks(Lr)
        fig.colorbar(im, ax=ax, label="1 - V_CP / V_DNC")
        ax.set_title("+: cross-polytope strictly beats DNC (exact); ·: not decided by it")

    return render("T3.1 threshold table", draw,
                  "Relative advantage 1 - V_CP/V_DNC of the cross-polytope (centred singleton for odd K) over DNC; "
                  "'+' marks cells where it is strictly better, decided exactly (integer form / arb). "
                  "The region is L = 2, K >= 6 and L >= 3, K >= 4; L = 1, K = 3 and (L = 2, K in {4, 5}) are not decided.",
                  size=(7.5, 4.2))



FUZZ_LARGE_K, FUZZ_LARGE_L = tuple(range(4, 10**4 + 1)), tuple(range(1, 10**3 + 1))


FUZZ_DPS = 60  # mpmath digits of the V values
GAP_BALL_BITS = 256  # arb precision of the threshold gap ball
GAP_VALUE_DIGITS = 45  # the two routes' normalised gaps must agree to 10^-45 K


def fuzz_large_k_l(ctx: Context, pair_sigma_sq_per_n: int) -> Outcome:
    """hypothesis over K <= 10^4, L <= 10^3, n <= 10^3: V_DNC vs V_CP at 60 digits (mpmath) against the exact decision."""
    import mpmath

    Ks, Ls = _fuzz_grid(ctx.K, 4, FUZZ_LARGE_K), _fuzz_grid(ctx.L, 1, FUZZ_LARGE_L)
    strategy = st.tuples(st.sampled_from(Ks), st.sampled_from(Ls), st.integers(1, 10**3),
                         st.sampled_from(("plain", "centred")))

    def prop(x):
        K, L, n, singleton = x
        with mpmath.workdps(FUZZ_DPS):
            def root(v, q):
                return mpmath.root(mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator, q)
            v_dnc = pl_value(singular_values_claimed("dnc", K, n), L, root)
            v_cp = pl_value(singular_values_claimed(_cp_kind(K, singleton), K, n,
                                                    pair_sigma_sq_per_n=pair_sigma_sq_per_n), L, root)
            rel = (v_dnc - v_cp) / v_dnc
            # the value, not only its sign: V from the stated singular values (the constructions part) against the
            # gap of the stated threshold formula (the threshold part, an arb ball), for every construction
            p = L + 1
            gap_mp = (v_dnc - v_cp) / (mpmath.mpf(p) / 2 * mpmath.root(n, p))
            ball = cp_gap_arb(K, L, singleton, GAP_BALL_BITS)
            value_ok = abs(mpmath.mpf(ball.mid().str(65, radius=False)) - gap_mp) < mpmath.mpf(10) ** -GAP_VALUE_DIGITS * K
        exact_win = cp_beats_dnc_exact(K, L, singleton)
        decided = abs(rel) > mpmath.mpf(10) ** -50
        sign_ok = decided and ((rel > 0) == exact_win)
        return sign_ok and value_ok, {"rel_gap_60_digits": mpmath.nstr(rel, 15),
                                      "normalised_gap_from_singular_values": mpmath.nstr(gap_mp, 25),
                                      "normalised_gap_from_threshold_ball": ball.str(25, radius=True),
                                      "cp_beats_dnc_exact": exact_win, "sign_agrees": sign_ok, "value_agrees": value_ok}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_range": [min(Ks), max(Ks)], "K_values": len(Ks),
          "L_range": [min(Ls), max(Ls)], "L_values": len(Ls), "n_range": [1, 10**3], "mp_dps": FUZZ_DPS,
          "gap_ball_bits": GAP_BALL_BITS, "gap_value_tolerance_per_K": f"1e-{GAP_VALUE_DIGITS}"}
    if r.holds:
        return Outcome.held(ev)
    K, L, n, singleton = r.counterexample
    # a sign that disagrees with the exact decision, or a value of V_DNC - V_CP (from the stated singular values)
    # off the stated threshold's gap: the constructions and the threshold parts cannot both hold at (K, L, n)
    return Outcome.refuted({"K": K, "L": L, "n": n, "singleton": singleton, **r.detail}, ev)

