"""T3.1 (Theorem 3.1, Sec. 3; proof in App. D.1, Eq. 10-16): DNC is not globally optimal for deep UFMs.

Statement.  Consider the max-margin problem (P_L) (Eq. 3): minimise
``½ (Σ_l ||W_l||_F² + ||H||_F²)`` s.t. every margin ``z_ci[c] - z_ci[c'] >= 1``.
By Lemma D.7 its value at the best factorisation of a logit matrix Z is
``V(Z) = ((L+1)/2) Σ_i σ_i(Z)^{2/(L+1)}``.

* DNC (Eq. 10-11): ``Z = M_K ⊗ 1_n^T``, margins exactly 1, ``V_DNC = ((L+1)/2) (K-1) n^{1/(L+1)}``.
* cross-polytope, K even (Eq. 12-15): ``Zbar = I_{K/2} ⊗ [[1,-1],[-1,1]]``, margins >= 1
  (tight), σ = 2√n (multiplicity K/2), ``V_CP = ((L+1)/2) (K/2) (4n)^{1/(L+1)}``.
* K odd (Eq. 16): one singleton class, ``V = ((L+1)/2)[((K-1)/2)(4n)^{1/(L+1)} + n^{1/(L+1)}]``;
  the centred singleton (column ``e_K - 1/K``, σ = sqrt((K-1)n/K)) is also checked.
* CP beats DNC iff (K even) ``2^{(1-L)/(1+L)} < 1 - 1/K``, (K odd) ``((K-1)/2) 4^{1/(L+1)} + 1 < K - 1``.
  Hence, for K >= 4, DNC is not globally optimal when (L = 2, K >= 6) or (L >= 3, K >= 4);
  the construction does not decide (L = 2, K in {4, 5}); for L = 1 it never wins, and the
  L = 1 problem (a convex nuclear-norm program) has DNC as its global optimum.
* DNC remains a strict local minimum of (P_L) for every L (App. D.1, second half).

How it is checked (one check per piece of the proof):

1. ``constructions_on_factors``: the actual balanced factor matrices (random orthogonal
   gauges ``Q_l``, width d > rank) are built; margins are checked exactly in fractions,
   singular values against the claimed ones, and ½Σ||F||² on the factors against the
   closed forms.  Evidence per (K, L): ``dnc_objective``, ``cp_objective``, ``dnc_suboptimal``.
2. ``threshold_equivalence``: sympy shows the claimed threshold is *identically* the
   comparison ``V_CP / V_DNC < 1`` and derives the exact forms: K even
   ``K^{L+1} < 2^{L-1} (K-1)^{L+1}``; K odd, plain singleton ``(K-1)^{L+1} < 2^{L-1} (K-2)^{L+1}``
   (the even form at K-1); K odd, centred singleton (L >= 2)
   ``K (K-1)^L (1 - 2^{(1-L)/(1+L)})^{L+1} > 1`` (no integer form: two radicals).
3. ``region_all_k_l``: sympy proves the region for all K >= 3, L >= 1 by monotonicity
   of ``g(k, L) = log(rhs/lhs)`` in k and L plus exact corner values; z3 (nlsat, reals)
   independently decides the L = 2 and L = 3 rows.
4. ``threshold_table``: K <= 10^4, L <= 10^3 decided three ways (exact integer boundary per
   row, arb balls for the claimed threshold's crossing, float64 over all 10^7 cells).
5. ``l1_nuclear_norm_certificate``: CLARABEL solves the L = 1 program; the answer becomes a
   rigorous bracket (rounded multipliers + exactly repaired primal, flint root isolation).
6. ``l1_uniform_dual_all_k``: sympy, K and n symbolic: the uniform multipliers 1/(K sqrt n)
   certify that DNC is the global L = 1 optimum for every K, n.
7. ``local_perturbations`` (fuzz) and ``local_optimizer_returns``: DNC is a local minimum.  The
   perturbations are feasible and keep the rank (``U_r A V_r^T``) or follow segments toward other
   feasible points; a generic Gaussian perturbation would add a new small singular value and raise
   Σσ^{2/(L+1)} by ~ε^{2/(L+1)} at any point, minimum or not.  Control: the cross-polytope at L = 1.
8. ``fuzz_constructions`` / ``fuzz_large_k_l``: hypothesis over (K, L, n), factors built each
   time for small K; 60-digit values against the exact decision up to K = 10^4, L = 10^3.

Finding (from the negative control of ``local_optimizer_returns``): started near the
cross-polytope at (K, L) = (4, 2), SLSQP stays there (value 4.762 > V_DNC = 4.5): the
cross-polytope looks locally optimal there too, though not globally.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import sympy as sp
import z3
from scipy.optimize import minimize

from ncdepth.fuzzing import search, st
from ncdepth.formal import t3_1_region_check
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part
from numerics.certificates import exact_margins, nuclear_norm_ball, nuclear_norm_bracket
from numerics.constructions import (
    centred_odd_gap_arb,
    cp_beats_dnc_exact,
    cross_polytope_mean_logits,
    dnc_mean_logits,
    even_form_crossing,
    even_form_holds,
    gauged_balanced_factors,
    logits_of,
    pl_value,
    singular_values_claimed,
)
from numerics.deep_ufm import class_labels
from numerics.intervals import arb, exact, working_precision
from numerics.schatten import margins, pl_objective, product

PAPER_EXPONENT = "(1 - L)/(1 + L)"  # even threshold 2^{e(L)} < 1 - 1/K
WRONG_EXPONENT = "-L/(L + 1)"  # the negative control of the issue
L_SYM = sp.Symbol("L", positive=True)


def _exponent(expr: str) -> sp.Expr:
    return sp.sympify(expr, locals={"L": L_SYM})


def _cp_kind(K: int, singleton: str) -> str:
    return "cp_even" if K % 2 == 0 else f"cp_odd_{singleton}"


def _cp_mean_logits(K: int, singleton: str, exact_arith: bool = False) -> np.ndarray:
    return cross_polytope_mean_logits(K, singleton=singleton, exact_arith=exact_arith)


# --------------------------------------------------------------------------- 1. constructions
def _closed_form(kind: str, K: int, L: int, n: int, pair_sigma_sq_per_n) -> float:
    """The claimed closed forms of V_DNC / V_CP (Eq. 11, 15, 16), in float."""
    return pl_value(singular_values_claimed(kind, K, n, pair_sigma_sq_per_n=pair_sigma_sq_per_n), L)


def _check_construction(kind: str, Zbar_exact: np.ndarray, K: int, L: int, n: int, pair: float,
                        rng: np.random.Generator) -> dict:
    labels = class_labels(K, n)
    Zq = logits_of(Zbar_exact, n)
    ms = exact_margins(Zq, labels)
    Z = Zq.astype(float)
    d = K + 1  # wider than the rank: the padding must not change anything
    F = gauged_balanced_factors(Z, L, d, rng)
    prod_err = float(np.max(np.abs(product(F) - Z)))
    obj = pl_objective(F)
    claimed_sq = singular_values_claimed(kind, K, n, pair_sigma_sq_per_n=pair)
    claimed = np.sort(np.concatenate([[math.sqrt(float(s))] * m for s, m in claimed_sq]))[::-1]
    s = np.linalg.svd(Z, compute_uv=False)
    s = s[s > 1e-9]
    sv_err = float(np.max(np.abs(s - claimed))) if s.shape == claimed.shape else float("inf")
    # every factor balanced: the same non-zero singular values σ^{1/(L+1)}
    fac_sv = [np.sort(np.linalg.svd(Fj, compute_uv=False))[::-1][: len(s)] for Fj in F]
    balance_err = float(max(np.max(np.abs(fs - s ** (1.0 / (L + 1)))) for fs in fac_sv))
    closed = _closed_form(kind, K, L, n, pair)
    return {"min_margin": str(min(ms)), "all_margins_ge_1": all(m >= 1 for m in ms),
            "tight": min(ms) == 1, "product_err": prod_err, "sv_err": sv_err, "balance_err": balance_err,
            "objective_on_factors": obj, "closed_form": closed, "objective_rel_err": abs(obj - closed) / closed}


def constructions_on_factors(ctx: Context, pair_sigma_sq_per_n: int) -> Outcome:
    """Build DNC and cross-polytope factors; margins exact, objective vs the closed forms."""
    rng = ctx.rng(31)
    by_K_L: dict[str, dict] = {}
    worst = {"product_err": 0.0, "sv_err": 0.0, "balance_err": 0.0, "objective_rel_err": 0.0}
    tol = 1e-11
    ns = (1, 2, 3)
    total = len(ctx.K) * len(ctx.L)
    for a, K in enumerate(ctx.K):
        for b, L in enumerate(ctx.L):
            ctx.report((a * len(ctx.L) + b) / total, f"K={K}, L={L}")
            rows = {}
            kinds = [("dnc", dnc_mean_logits(K, exact_arith=True))]
            if K % 2 == 0:
                kinds.append(("cp_even", _cp_mean_logits(K, "plain", True)))
            else:
                kinds += [("cp_odd_plain", _cp_mean_logits(K, "plain", True)),
                          ("cp_odd_centred", _cp_mean_logits(K, "centred", True))]
            for n in ns:
                for kind, Zbar in kinds:
                    r = _check_construction(kind, Zbar, K, L, n, pair_sigma_sq_per_n, rng)
                    rows[(kind, n)] = r
                    for key in worst:
                        worst[key] = max(worst[key], r[key])
                    bad = (not r["all_margins_ge_1"]) or (not r["tight"]) or r["product_err"] > tol \
                        or r["sv_err"] > tol or r["balance_err"] > tol or r["objective_rel_err"] > tol
                    if bad:
                        return Outcome(False, {"worst": worst, "by_K_L": by_K_L},
                                       counterexample={"K": K, "L": L, "n": n, "construction": kind, **r})
            dnc = rows[("dnc", 1)]["objective_on_factors"]
            cps = {kind: rows[(kind, 1)]["objective_on_factors"] for kind, _ in kinds[1:]}
            cp_best = min(cps.values())
            by_K_L[f"{K},{L}"] = {
                "K": K, "L": L, "n": 1, "dnc_objective": dnc, "cp_objective": cp_best,
                "cp_construction": min(cps, key=cps.get), "cp_objectives": cps,
                "dnc_suboptimal": bool(cp_best < dnc * (1 - 1e-12)),
                "dnc_suboptimal_exact": cp_beats_dnc_exact(K, L, "centred") if K >= 3 else False,
            }
            if K >= 3 and by_K_L[f"{K},{L}"]["dnc_suboptimal"] != by_K_L[f"{K},{L}"]["dnc_suboptimal_exact"]:
                return Outcome(False, {"by_K_L": by_K_L}, counterexample={"K": K, "L": L, "why": "float comparison "
                               "of the factor objectives disagrees with the exact threshold"})
    ev = {"worst": worst, "tolerance": tol, "n_values": list(ns), "width_d": "K + 1", "by_K_L": by_K_L}
    return Outcome(True, ev)


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
    return Outcome(False, ev, counterexample={"note": "not identically equivalent", "diff_even": str(diff_even)})


def _pow2_less(e: sp.Rational, q: Fraction) -> bool:
    """Exactly: ``2^e < q`` for rational e and positive rational q (raise both sides to the denominator)."""
    e = sp.Rational(e)
    a, b = int(e.p), int(e.q)  # e = a/b, b > 0
    two_a = Fraction(2) ** a
    return two_a < q ** b


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
        return Outcome(False, ev, counterexample={"why": "monotonicity not proved", "dg/dk": str(dg_dk), "dg/dL": str(dg_dL)})
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
    s = z3.Solver()
    s.add(x >= 5, x ** 3 >= 2 * (x - 1) ** 3)  # L = 2: any k >= 5 where the even form fails?
    z3_L2 = str(s.check())
    s = z3.Solver()
    s.add(x >= 4, x ** 4 >= 4 * (x - 1) ** 4)  # L = 3
    z3_L3 = str(s.check())
    s = z3.Solver()
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
    if mismatch or not k2_never:
        ce = {"rows_differing (derived, claimed)": mismatch}
        if derived["L=1"] is not None:
            ce.update({"K": derived["L=1"], "L": 1, "claimed threshold holds": True,
                       "V_CP < V_DNC": cp_beats_dnc_exact(derived["L=1"], 1)})
        return Outcome(False, ev, counterexample=ce)
    if not (ok_z3 and K3_never and centred_52_loses and L1_never):
        return Outcome(False, ev, counterexample={"why": "an independent route disagrees"})
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
    centred_bad = []
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
          "timings_s": {k: round(v, 4) for k, v in timings.items()}}
    if row_mismatch:
        L, ks, ka = row_mismatch[0]
        Kc = min(x for x in (ks, ka) if x is not None)
        Kc = max(Kc, 4)
        return Outcome(False, ev, counterexample={"L": L, "K": Kc, "exact integer crossing": ks,
                                                 "claimed threshold crossing (arb)": ka,
                                                 "rows_mismatched": len(row_mismatch)})
    if float_disagree or centred_bad or undecided:
        return Outcome(False, ev, counterexample={"why": "routes disagree"})
    return Outcome(True, ev, figures=[_table_figure()])


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


# --------------------------------------------------------------------------- 5. L = 1 certificate
def _solve_l1(K: int, n: int):
    import cvxpy as cp

    N = K * n
    labels = class_labels(K, n)
    Y = np.zeros((K, N))
    Y[labels, np.arange(N)] = 1.0
    Z = cp.Variable((K, N))
    own = cp.sum(cp.multiply(Y, Z), axis=0)
    con = cp.multiply(1 - Y, cp.reshape(own, (1, N), order="C") - Z) >= 1 - Y
    prob = cp.Problem(cp.Minimize(cp.normNuc(Z)), [con])
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    if prob.status != "optimal":
        raise RuntimeError(f"CLARABEL status {prob.status} at K={K}, n={n}")
    return Z.value, con.dual_value, float(prob.value), labels


def l1_nuclear_norm_certificate(ctx: Context, claimed_optimum: str) -> Outcome:
    """L = 1: CLARABEL + rigorous bracket; the claimed optimal construction's value must lie in it."""
    rows = []
    ns = (1, 2)
    for a, K in enumerate(ctx.K):
        for n in ns:
            ctx.report(a / len(ctx.K), f"K={K}, n={n}")
            t0 = time.perf_counter()
            Zs, mu, val, labels = _solve_l1(K, n)
            t_solve = time.perf_counter() - t0
            br = nuclear_norm_bracket(Zs, mu, labels)
            t_cert = time.perf_counter() - t0 - t_solve
            Zbar = dnc_mean_logits(K) if claimed_optimum == "dnc" else cross_polytope_mean_logits(K)
            kind = "dnc" if claimed_optimum == "dnc" else _cp_kind(K, "plain")
            with working_precision(200):
                claimed = arb(1) * pl_value(singular_values_claimed(kind, K, n), 1,
                                            root=lambda x, q: exact(Fraction(x)).sqrt())
                # certainly inside [lower end of the lower-bound ball, upper end of the upper-bound ball]
                inside = bool(claimed >= br["lower"].lower()) and bool(claimed <= br["upper"].upper())
                width = br["upper"].upper() - br["lower"].lower()
                # DNC itself is exactly feasible (margins 1, checked in fractions); its nuclear norm enclosed
                # rigorously (charpoly roots of the exact Gram n M_K): a second rigorous upper bound
                dnc_exact = logits_of(dnc_mean_logits(K, exact_arith=True), n)
                dnc_feasible = min(exact_margins(dnc_exact, labels)) >= 1
                v_dnc = nuclear_norm_ball(dnc_exact, 200)
                gap_dnc = v_dnc - br["lower"]
            Zc = logits_of(Zbar, n)
            shape_err = float(np.linalg.norm(Zs - Zc) / np.linalg.norm(Zc))
            row = {"K": K, "n": n, "solver_value": val, "claimed_value": claimed.mid().str(17),
                   "certified_lower": br["lower"].lower().str(17), "certified_upper": br["upper"].upper().str(17),
                   "bracket_width": float(width.upper()), "repair_factor": str(br["repair_factor"]),
                   "V_DNC_minus_certified_lower": float(gap_dnc.upper()), "dnc_exactly_feasible": dnc_feasible,
                   "distinct_rounded_multipliers": br["distinct_multipliers"],
                   "solver_Z_vs_claimed_shape_rel": shape_err, "solve_s": round(t_solve, 3), "certify_s": round(t_cert, 3)}
            rows.append(row)
            if not inside or shape_err > 1e-5 or float(width.upper()) > 1e-7 or float(gap_dnc.upper()) > 1e-9 \
                    or not dnc_feasible:
                return Outcome(False, {"rows": rows}, counterexample={"K": K, "n": n, "L": 1,
                                                                      "claimed": claimed_optimum, **row})
    return Outcome(True, {"rows": rows, "solver": "cvxpy CLARABEL, tol_gap_abs = tol_gap_rel = tol_feas = 1e-12",
                          "certificate": "rounded multipliers (denominators <= 1e8) + repaired primal, flint charpoly roots at 200 bits"})


def l1_uniform_dual_all_K(ctx: Context, claimed_optimum: str) -> Outcome:
    """sympy, K and n symbolic: uniform multipliers μ = 1/(K sqrt n) certify V_DNC = (K-1) sqrt(n) at L = 1.

    Matrices are polynomials in J = 1 1^T (K x K) reduced with J² = K J.  Column i of
    ``G = Σ μ ∇a`` is ``μ Σ_{c' != c} (e_c - e_c') = μ (K e_c - 1)``, i.e. ``G = μ (K I - J) ⊗ 1_n^T``;
    ``G G^T = n μ² (K I - J)²`` must reduce to the projector ``M_K = I - J/K`` (so ||G||_op = 1 for K >= 2),
    and weak duality gives ``||Z||_* >= Σ μ = μ K n (K - 1)`` for every feasible Z.
    """
    K, n = sp.symbols("K n", positive=True)
    J, I = sp.symbols("J I")  # I the identity (commuting symbols: every matrix here is a polynomial in J)
    mu = 1 / (K * sp.sqrt(n))

    def reduce(expr):  # reduce modulo J^2 = K J, then I * anything = anything
        poly = sp.Poly(sp.expand(expr.subs(I, 1)), J)
        return sp.simplify(sp.rem(poly.as_expr(), J ** 2 - K * J, J))

    G_core = mu * (K * I - J)
    gram = reduce(n * G_core ** 2)
    projector = reduce(1 - J / K)
    is_projector = sp.simplify(reduce(projector ** 2) - projector) == 0
    dual_value = sp.simplify(mu * K * n * (K - 1))
    kind = "dnc" if claimed_optimum == "dnc" else "cp_even"
    claimed = sp.simplify(pl_value(singular_values_claimed(kind, K, n), 1, lambda x, q: sp.sqrt(x)))
    ev = {"G G^T": str(gram), "M_K": str(projector), "G G^T - M_K": str(sp.simplify(gram - projector)),
          "M_K^2 = M_K": bool(is_projector), "dual bound sum(mu)": str(dual_value),
          "claimed optimum value": str(claimed), "claimed - dual bound": str(sp.simplify(claimed - dual_value))}
    ok = sp.simplify(gram - projector) == 0 and is_projector and sp.simplify(claimed - dual_value) == 0
    if ok:
        ev["conclusion"] = ("for every K >= 2, n >= 1: ||Z||_* >= (K-1) sqrt(n) on the feasible set, attained by DNC: "
                            "DNC is the global optimum at L = 1")
        return Outcome(True, ev)
    return Outcome(False, ev, counterexample={"K": 4, "n": 1, "claimed": str(claimed.subs({K: 4, n: 1})),
                                             "certified optimum": str(dual_value.subs({K: 4, n: 1}))})


# --------------------------------------------------------------------------- 6. local optimality
SV_ZERO_RTOL = 1e-12  # singular values below this (relative to the largest) are rounding noise


def _schatten(Z: np.ndarray, L: int) -> float:
    """Σσ^{2/(L+1)}, with singular values below SV_ZERO_RTOL σ_max set to zero: a rounding-level
    σ ~ 1e-16 would otherwise add (1e-16)^{2/(L+1)} (2.8e-4 at L = 8) to a rank-deficient Z."""
    s = np.linalg.svd(Z, compute_uv=False)
    s = np.where(s < SV_ZERO_RTOL * s[0], 0.0, s)
    return float(np.sum(s ** (2.0 / (L + 1))))


BASE_POINTS = ("dnc", "cross_polytope")
DIRECTIONS = ("rank_preserving", "segment_other_construction", "segment_random_feasible")


def _base_point(point: str, K: int) -> np.ndarray:
    if point == "dnc":
        return dnc_mean_logits(K)
    if point == "cross_polytope":
        return cross_polytope_mean_logits(K, singleton="centred")
    raise ValueError(f"unknown base point {point!r}; expected one of {BASE_POINTS}")


def _other_construction(point: str, K: int) -> np.ndarray:
    return _base_point("cross_polytope" if point == "dnc" else "dnc", K)


def _random_feasible(Z0: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random feasible, tight point ``G + s M_K`` (G Gaussian, ||G|| = ||Z0||): adding s M_K
    raises every margin by exactly s, and s = 1 - min margin(G) makes the smallest margin 1."""
    K = Z0.shape[0]
    G = rng.standard_normal(Z0.shape)
    G *= np.linalg.norm(Z0) / np.linalg.norm(G)
    s = 1.0 - float(np.min(margins(G, labels)))
    return G + s * logits_of(dnc_mean_logits(K), Z0.shape[1] // K)


def _perturbed(Z0: np.ndarray, labels: np.ndarray, point: str, direction: str, t: float,
               rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A feasible point near Z0 and the min margin before any repair.

    * ``rank_preserving``: ``Z0 + t U_r A V_r^T`` (A Gaussian r x r, ||U_r A V_r^T|| = ||Z0||): stays in
      the row/column spaces of Z0 (for DNC: centred rows and columns, NC1 since n = 1), so no new
      small singular value appears; divided by its min margin when that drops below 1.
    * ``segment_*``: ``(1 - t) Z0 + t Z1`` with Z1 feasible (the other construction, or a random
      feasible point): feasible for every t in [0, 1] since the margin constraints are linear.
    """
    if direction == "rank_preserving":
        U, s, Vt = np.linalg.svd(Z0)
        r = int(np.sum(s > 1e-9 * s[0]))
        D = U[:, :r] @ rng.standard_normal((r, r)) @ Vt[:r]
        D *= np.linalg.norm(Z0) / np.linalg.norm(D)
        Z = Z0 + t * D
        m = float(np.min(margins(Z, labels)))
        return (Z / m if m < 1 else Z), m
    if direction == "segment_other_construction":
        Z1 = logits_of(_other_construction(point, Z0.shape[0]), Z0.shape[1] // Z0.shape[0])
    elif direction == "segment_random_feasible":
        Z1 = _random_feasible(Z0, labels, rng)
    else:
        raise ValueError(f"unknown direction {direction!r}; expected one of {DIRECTIONS}")
    Z = (1 - t) * Z0 + t * Z1
    return Z, float(np.min(margins(Z, labels)))


def local_perturbations(ctx: Context, point: str, L: int | None = None) -> Outcome:
    """hypothesis: feasible points near Z0 (rank-preserving perturbations repaired to feasibility, and
    segments toward other feasible points) never have a smaller Σσ^{2/(L+1)}: Z0 is a local minimum.

    ``L`` fixes the depth (the negative control: the cross-polytope at L = 1, where the problem is convex
    and DNC is the global optimum, so the cross-polytope is not a local minimum); otherwise ctx.L.
    """
    n = 1
    Ls = (L,) if L is not None else tuple(ctx.L)
    strategy = st.tuples(st.sampled_from(tuple(ctx.K)), st.sampled_from(Ls), st.sampled_from(DIRECTIONS),
                         st.integers(0, 2**32 - 1), st.floats(-4.0, -1.5))
    changes: dict[str, list[float]] = {d: [] for d in DIRECTIONS}

    def prop(x):
        K, L_, direction, seed, log_t = x
        rng = np.random.default_rng(seed)
        labels = class_labels(K, n)
        Z0 = logits_of(_base_point(point, K), n)
        Z, m = _perturbed(Z0, labels, point, direction, 10.0 ** log_t, rng)
        feasible = float(np.min(margins(Z, labels))) >= 1 - 1e-12
        f0, f = _schatten(Z0, L_), _schatten(Z, L_)
        changes[direction].append((f - f0) / f0)
        return feasible and f > f0 * (1 + 1e-12), {"f_base": f0, "f_perturbed": f, "relative_change": (f - f0) / f0,
                                                  "t": 10.0 ** log_t, "min_margin_before_repair": m,
                                                  "feasible": feasible}

    r = search(strategy, prop, examples=max(ctx.examples, 60), seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "point": point, "L": list(Ls), "t_range": [1e-4, 10 ** -1.5],
          "directions": list(DIRECTIONS),
          "tolerance": "strict increase: f > f0 (1 + 1e-12); feasibility min margin >= 1 - 1e-12",
          "smallest_relative_change_by_direction": {d: (min(v) if v else None) for d, v in changes.items()},
          "repair": "rank_preserving only: divide by the min margin when it is below 1"}
    if r.holds:
        return Outcome(True, ev)
    K, L_, direction, seed, log_t = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": L_, "direction": direction, "seed": seed,
                                             "t": 10.0 ** log_t, **r.detail})


def _local_solve(K: int, L: int, start: str, rng: np.random.Generator, noise: float = 0.05) -> dict:
    """SLSQP on the factors of (P_L) (n = 1, d = K) from a perturbed balanced start."""
    n, d = 1, K
    labels = class_labels(K, n)
    Zbar = dnc_mean_logits(K) if start == "dnc" else cross_polytope_mean_logits(K, singleton="centred")
    F0 = gauged_balanced_factors(logits_of(Zbar, n), L, d, rng)
    shapes = [F.shape for F in F0]
    sizes = [int(np.prod(s)) for s in shapes]
    x0 = np.concatenate([F.ravel() for F in F0])
    x0 = x0 + noise * np.linalg.norm(x0) / math.sqrt(x0.size) * rng.standard_normal(x0.size)
    pairs = [(i, int(labels[i]), c) for i in range(K * n) for c in range(K) if c != labels[i]]
    rows_i = np.array([p[0] for p in pairs])
    rows_c = np.array([p[1] for p in pairs])
    rows_o = np.array([p[2] for p in pairs])

    def unpack(x):
        out, pos = [], 0
        for s, m in zip(shapes, sizes):
            out.append(x[pos:pos + m].reshape(s))
            pos += m
        return out

    def cons(x):
        Z = product(unpack(x))
        return Z[rows_c, rows_i] - Z[rows_o, rows_i] - 1.0

    def cons_jac(x):
        F = unpack(x)
        blocks = []
        for j in range(L + 1):
            A = product(F[j + 1:]) if j < L else np.eye(K)  # F_L ... F_{j+1}
            B = product(F[:j]) if j > 0 else np.eye(K * n)  # F_{j-1} ... F_0
            # d a / d F_j = outer(A[c] - A[c'], B[:, i])
            blocks.append(np.einsum("pa,pb->pab", A[rows_c] - A[rows_o], B[:, rows_i].T).reshape(len(pairs), -1))
        return np.concatenate(blocks, axis=1)

    res = minimize(lambda x: 0.5 * float(x @ x), x0, jac=lambda x: x, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": cons, "jac": cons_jac}],
                   options={"maxiter": 2000, "ftol": 1e-13})
    Z = product(unpack(res.x))
    Zd = logits_of(dnc_mean_logits(K), n)
    return {"objective": float(res.fun), "dist_to_dnc_rel": float(np.linalg.norm(Z - Zd) / np.linalg.norm(Zd)),
            "min_margin": float(np.min(cons(res.x)) + 1.0), "success": bool(res.success), "iterations": int(res.nit)}


def local_optimizer_returns(ctx: Context, start: str) -> Outcome:
    """A local constrained optimiser started near ``start`` returns to DNC (logits and value V_DNC)."""
    rows = {}
    for K in ctx.K:
        for L in ctx.L:
            r = _local_solve(K, L, start, ctx.rng(1000 * K + L))
            v_dnc = _closed_form("dnc", K, L, 1, 4)
            r["V_DNC"] = v_dnc
            r["dnc_suboptimal"] = cp_beats_dnc_exact(K, L, "centred")
            rows[f"{K},{L}"] = r
            back = r["dist_to_dnc_rel"] < 1e-4 and abs(r["objective"] - v_dnc) < 1e-6 * v_dnc and r["min_margin"] > 1 - 1e-8
            if not back:
                return Outcome(False, {"runs": rows}, counterexample={"K": K, "L": L, "start": start, **r})
    return Outcome(True, {"runs": rows, "optimiser": "scipy SLSQP on all factors, d = K, n = 1, ftol 1e-13",
                          "start_noise": "5% of the factor norm, Gaussian", "accept": "rel. distance to DNC < 1e-4"})


# --------------------------------------------------------------------------- 7. fuzz (K, L, n)
FUZZ_SMALL_K, FUZZ_SMALL_L = tuple(range(3, 17)), tuple(range(1, 13))  # factors are built: small K
FUZZ_LARGE_K, FUZZ_LARGE_L = tuple(range(4, 10**4 + 1)), tuple(range(1, 10**3 + 1))


def _fuzz_grid(values, minimum: int, default: tuple[int, ...]) -> tuple[int, ...]:
    """The (K or L) values a fuzz check draws from: ctx's grid (the check's default, or the user's
    override) restricted to what the check supports (>= minimum, <= max of its default range)."""
    top = max(default)
    kept = tuple(v for v in values if minimum <= v <= top)
    if not kept:
        raise ValueError(f"no value of {tuple(values)[:20]} in the supported range [{minimum}, {top}]")
    return kept


def fuzz_constructions(ctx: Context, pair_sigma_sq_per_n: int) -> Outcome:
    """hypothesis over (K, L, n): factors built, objective vs closed form, winner vs the exact threshold."""
    Ks, Ls = _fuzz_grid(ctx.K, 3, FUZZ_SMALL_K), _fuzz_grid(ctx.L, 1, FUZZ_SMALL_L)
    strategy = st.tuples(st.sampled_from(Ks), st.sampled_from(Ls), st.integers(1, 6), st.integers(0, 2**32 - 1),
                         st.sampled_from(("plain", "centred")))

    def prop(x):
        K, L, n, seed, singleton = x
        rng = np.random.default_rng(seed)
        kind = _cp_kind(K, singleton)
        rd = _check_construction("dnc", dnc_mean_logits(K, exact_arith=True), K, L, n, pair_sigma_sq_per_n, rng)
        rc = _check_construction(kind, _cp_mean_logits(K, singleton, True), K, L, n, pair_sigma_sq_per_n, rng)
        ok_c = all(r["all_margins_ge_1"] and r["tight"] and r["objective_rel_err"] < 1e-11 and r["sv_err"] < 1e-11
                   for r in (rd, rc))
        gap = rd["objective_on_factors"] - rc["objective_on_factors"]
        exact_win = cp_beats_dnc_exact(K, L, singleton)
        ok_w = (abs(gap) < 1e-9 * rd["objective_on_factors"]) or ((gap > 0) == exact_win)
        return ok_c and ok_w, {"dnc": rd, "cp": rc, "cp_beats_dnc_exact": exact_win}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_range": [min(Ks), max(Ks)], "K_values": len(Ks),
          "L_range": [min(Ls), max(Ls)], "L_values": len(Ls), "n_range": [1, 6]}
    if r.holds:
        return Outcome(True, ev)
    K, L, n, seed, singleton = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": L, "n": n, "seed": seed, "singleton": singleton,
                                             "detail": r.detail})


def fuzz_large_k_l(ctx: Context, pair_sigma_sq_per_n: int) -> Outcome:
    """hypothesis over K <= 10^4, L <= 10^3, n <= 10^3: V_DNC vs V_CP at 60 digits (mpmath) against the exact decision."""
    import mpmath

    Ks, Ls = _fuzz_grid(ctx.K, 4, FUZZ_LARGE_K), _fuzz_grid(ctx.L, 1, FUZZ_LARGE_L)
    strategy = st.tuples(st.sampled_from(Ks), st.sampled_from(Ls), st.integers(1, 10**3),
                         st.sampled_from(("plain", "centred")))

    def prop(x):
        K, L, n, singleton = x
        with mpmath.workdps(60):
            def root(v, q):
                return mpmath.root(mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator, q)
            v_dnc = pl_value(singular_values_claimed("dnc", K, n), L, root)
            v_cp = pl_value(singular_values_claimed(_cp_kind(K, singleton), K, n,
                                                    pair_sigma_sq_per_n=pair_sigma_sq_per_n), L, root)
            rel = (v_dnc - v_cp) / v_dnc
        exact_win = cp_beats_dnc_exact(K, L, singleton)
        decided = abs(rel) > mpmath.mpf(10) ** -50
        return decided and ((rel > 0) == exact_win), {"rel_gap_60_digits": mpmath.nstr(rel, 15),
                                                      "cp_beats_dnc_exact": exact_win}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_range": [min(Ks), max(Ks)], "K_values": len(Ks),
          "L_range": [min(Ls), max(Ls)], "L_values": len(Ls), "n_range": [1, 10**3]}
    if r.holds:
        return Outcome(True, ev)
    K, L, n, singleton = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": L, "n": n, "singleton": singleton, **r.detail})


CLAIM = Claim(
    id="T3.1",
    title="DNC is not globally optimal for deep UFMs (cross-polytope beats it), yet stays a local minimum",
    statement=("For K >= 4: the cross-polytope has a strictly smaller (P_L) value than DNC iff "
               "2^{(1-L)/(1+L)} < 1 - 1/K (K even) or ((K-1)/2) 4^{1/(L+1)} + 1 < K - 1 (K odd); hence DNC is "
               "not globally optimal for (L = 2, K >= 6) and (L >= 3, K >= 4); L = 1 never (DNC is the global "
               "optimum of the convex L = 1 problem); DNC is a strict local minimum for every L."),
    latex=(r"V_{\rm DNC}=\tfrac{L+1}{2}(K-1)n^{\frac1{L+1}},\ V_{\rm CP}=\tfrac{L+1}{2}\tfrac K2(4n)^{\frac1{L+1}};\ "
           r"V_{\rm CP}<V_{\rm DNC}\iff 2^{\frac{1-L}{1+L}}<1-\tfrac1K\iff K^{L+1}<2^{L-1}(K-1)^{L+1}"),
    reference="Theorem 3.1, Sec. 3; proof App. D.1, Eq. (3), (10)-(16)",
    domain=Domain(K_min=3, L_min=1),
    depends_on=("L-D.7",),
    notes=("Uses L-D.7 (Schatten identity) for V(Z); the objective on the actual factors is also checked directly here. "
           "Evidence keys per (K, L): evidence['by_K_L']['K,L'] = {dnc_objective, cp_objective, dnc_suboptimal} "
           "(n = 1; for odd K cp_objective is the better, centred-singleton construction)."),
    checks=(
        Check(
            name="constructions_on_factors", level=Level.NUMERIC, fn=constructions_on_factors,
            description=("DNC and cross-polytope (K even; K odd plain and centred singleton) built as balanced "
                         "factors with random orthogonal gauges, d = K + 1, n in {1, 2, 3}; margins exact "
                         "(fractions) >= 1 and tight; singular values and ½Σ||F||² against the closed forms."),
            precision="margins exact (Fraction); SVD/objective float64, abs/rel tol 1e-11",
            statement={"pair_sigma_sq_per_n": 4},
            control={"pair_sigma_sq_per_n": 2},
            control_description="cross-polytope with a wrong singular value sqrt(2n) instead of 2 sqrt(n) in V_CP",
            K=(3, 4, 5, 6, 7, 8, 9, 12), L=(1, 2, 3, 5),
            thorough_K=tuple(range(3, 21)), thorough_L=tuple(range(1, 11)),
        ),
        Check(
            name="threshold_equivalence", level=Level.SYMBOLIC, fn=threshold_equivalence,
            description=("sympy: V_CP/V_DNC equals the claimed threshold's lhs/rhs identically (even, odd plain, "
                         "odd centred); raising to the power L+1 gives K^{L+1} < 2^{L-1}(K-1)^{L+1}; the odd "
                         "(plain) form is the even form at K-1."),
            precision="exact (sympy)",
            statement={"even_exponent": PAPER_EXPONENT},
            control={"even_exponent": WRONG_EXPONENT},
            control_description="threshold 2^{-L/(L+1)} < 1 - 1/K",
        ),
        Check(
            name="region_all_k_l", level=Level.SYMBOLIC, fn=region_for_all_K_L,
            description=("for every K >= 3, L >= 1: g = log(1-1/k) - e(L) log 2 is increasing in k and L "
                         "(sympy), corners decided exactly, z3 (nlsat) re-decides the L = 1, 2, 3 rows; the odd "
                         "forms are the even one at k = K-1; the centred singleton dominates but loses at L = 1, "
                         "K = 3 (convexity) and (5, 2) (arb)."),
            precision="exact (sympy, z3 over the reals, exact rationals; one arb ball at 128 bits)",
            statement={"even_exponent": PAPER_EXPONENT},
            control={"even_exponent": WRONG_EXPONENT},
            control_description="threshold 2^{-L/(L+1)} < 1 - 1/K (wins at L = 1, K >= 4)",
        ),
        Check(
            name="threshold_table", level=Level.CERTIFIED, fn=threshold_table,
            description=("K <= 10^4, L <= 10^3: per row the exact integer crossing (bisection, boundary "
                         "re-verified; rows are monotone by region_all_k_l) vs the arb crossing "
                         "1/(1 - 2^{e(L)}) of the claimed threshold; all 10^7 cells in float64 vs the exact rows; "
                         "the centred odd variant decided at every row's boundary in arb, directly and via its "
                         "algebraic form K (K-1)^L (1 - 2^{(1-L)/(1+L)})^{L+1} > 1."),
            precision="exact integers; arb 128 bits; float64 cross-check (cells with |g| < 1e-9 counted)",
            statement={"even_exponent": PAPER_EXPONENT},
            control={"even_exponent": WRONG_EXPONENT},
            control_description="threshold 2^{-L/(L+1)} < 1 - 1/K",
            K=(10**4,), L=(10**3,),
        ),
        Check(
            name="l1_nuclear_norm_certificate", level=Level.CERTIFIED, fn=l1_nuclear_norm_certificate,
            description=("L = 1, n in {1, 2}: CLARABEL minimises ||Z||_* under the margins; rounded multipliers "
                         "give a rigorous lower bound, the repaired (exactly feasible) primal a rigorous upper "
                         "bound (flint); the claimed optimum's value must lie in the bracket (width < 1e-7), "
                         "the solver's Z must have its shape (rel. 1e-5), and exactly feasible DNC must be "
                         "within 1e-9 of the certified lower bound (so V_DNC is the optimum to 1e-9)."),
            precision="CLARABEL tolerances 1e-12; certificate exact rationals + arb 200 bits",
            statement={"claimed_optimum": "dnc"},
            control={"claimed_optimum": "cross_polytope"},
            control_description="the cross-polytope (value K sqrt(n)) claimed optimal at L = 1",
            K=(3, 4, 6, 9, 12), L=(1,),
            thorough_K=tuple(range(3, 13)),
        ),
        Check(
            name="l1_uniform_dual_all_k", level=Level.SYMBOLIC, fn=l1_uniform_dual_all_K,
            description=("sympy, K and n symbolic: uniform multipliers 1/(K sqrt n) give G with G G^T = M_K (a projector, "
                         "||G||_op = 1) and Σμ = (K-1) sqrt(n) = ||Z_DNC||_*: DNC is the global L = 1 optimum for all K, n "
                         "(the exact form of the certificate the solver's multipliers round to)."),
            precision="exact (sympy, polynomials in J = 11^T modulo J^2 = K J)",
            statement={"claimed_optimum": "dnc"},
            control={"claimed_optimum": "cross_polytope"},
            control_description="the cross-polytope (value K sqrt(n)) claimed optimal at L = 1",
            K=(4,), L=(1,),
        ),
        Check(
            name="local_perturbations", level=Level.FUZZ, fn=local_perturbations,
            description=("hypothesis: feasible points near Z_DNC, of three kinds: Z + t U_r A V_r^T (stays in the "
                         "centred row/column spaces, so no new small singular value; divided by its min margin "
                         "when below 1), and segments (1-t) Z + t Z1 toward the cross-polytope and toward random "
                         "tight feasible points G + s M_K (t in [1e-4, 0.03]); Σσ^{2/(L+1)} always strictly larger; "
                         "(K, L) on both sides of the threshold."),
            precision=("float64; strict increase by more than 1e-12 relative; singular values below 1e-12 σ_max "
                       "counted as 0 (perturbations move them by >= ~1e-6)"),
            statement={"point": "dnc"},
            control={"point": "cross_polytope", "L": 1},
            control_description=("the cross-polytope claimed a local minimum at L = 1 (convex problem, DNC is the "
                                 "global optimum, so it is not)"),
            K=(4, 5, 6, 8), L=(1, 2, 3, 5),
        ),
        Check(
            name="local_optimizer_returns", level=Level.NUMERIC, fn=local_optimizer_returns,
            description=("SLSQP on all factors of (P_L) (d = K, n = 1) from DNC factors + 5% noise returns to "
                         "Z_DNC with value V_DNC, at (K, L) where DNC is globally beaten and where it is not."),
            precision="float64, SLSQP ftol 1e-13; accept rel. distance < 1e-4, value rel. 1e-6",
            statement={"start": "dnc"},
            control={"start": "cross_polytope"},
            control_description="started near the (centred) cross-polytope, it should also return to DNC",
            K=(4, 6), L=(2, 3),
        ),
        Check(
            name="fuzz_constructions", level=Level.FUZZ, fn=fuzz_constructions,
            description=("hypothesis over (K, L) from the grid (default K in 3..16, L in 1..12; values outside dropped), n in 1..6, gauges and odd variant: factors built, "
                         "margins exact, objective vs closed form, and which construction wins vs the exact threshold."),
            precision="float64 rel 1e-11; winner compared where the gap exceeds 1e-9 relative",
            statement={"pair_sigma_sq_per_n": 4},
            control={"pair_sigma_sq_per_n": 2},
            control_description="cross-polytope with a wrong singular value sqrt(2n) in V_CP",
            K=FUZZ_SMALL_K, L=FUZZ_SMALL_L,
        ),
        Check(
            name="fuzz_large_k_l", level=Level.FUZZ, fn=fuzz_large_k_l,
            description=("hypothesis over (K, L) from the grid (default K in 4..10^4, L in 1..10^3; values outside dropped), n in 1..10^3 and the odd variant: the sign of "
                         "V_DNC - V_CP at 60 digits (n kept, not cancelled) against the exact integer/arb decision."),
            precision="mpmath 60 digits; a gap below 1e-50 relative counts as undecided (a failure)",
            statement={"pair_sigma_sq_per_n": 4},
            control={"pair_sigma_sq_per_n": 2},
            control_description="cross-polytope with a wrong singular value sqrt(2n) in V_CP",
            K=FUZZ_LARGE_K, L=FUZZ_LARGE_L,
        ),
        t3_1_region_check(),
    ),
    parts=(Part("values", "V_CP < V_DNC iff the stated thresholds (the (P_L) values of the constructions, Eq. 10-16)"),
           Part("region", "hence, for K >= 4, the cross-polytope (K even; K odd, plain or centred singleton) beats DNC exactly "
                          "for (L = 2, K >= 6) and (L >= 3, K >= 4), never for L = 1"),
           Part("l1_global", "L = 1: DNC is the global optimum of the convex problem"),
           Part("local_min", "DNC is a strict local minimum of (P_L) for every L")),
)
