"""T4.3 (ii): stability of the cross-polytope direction λ ∝ v above the threshold a_cp(K, L)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from ncdepth.registry import Context, Outcome
from numerics.intervals import exact, working_precision
from numerics.reduced_jacobian import tangent_jvp_arb, tangent_rayleigh_mp, tangent_spectrum
from reports.figures import render

from .common import (CP_EQUATIONS, Ks, Ls, As, _bracket_sign_change, _bracketed_root_mp, _diff_vec, _draw_thresholds, _unit,
                     cp_point, cp_threshold_float, cp_threshold_mp)

# --------------------------------------------------------------------------- (ii) cross-polytope
def cp_linearisation(ctx: Context, equation: str) -> Outcome:
    """sympy: tangent eigenvalues at λ = a v from L-D.8/L-D.9; the odd-mode zero is the claimed equation."""
    K, L, a, c, x = sp.symbols("K L a c x", positive=True)  # c = β - 1, x = e^{-a/2}
    b = 1 + c
    D = 1 + x**2 + (K - 2) * x
    omp = 2 * (x**2 + (K / 2 - 1) * x) / D  # 1 - p  (L-D.8, b = 0)
    omq = K * x / D  # 1 - q
    # odd block of J on Σ w_odd = 0 (L-D.9: diagonal part (1-q)/K): -a^β (1-q)/K + β (1-p) a^{β-1};
    # radial rate <u,F>/r = (1-p) a^{β-1}
    mu_odd = -a**b * omq / K + b * omp * a**c - omp * a**c
    crit = sp.simplify(sp.powsimp(sp.expand(mu_odd / (a**c * omq / K)), force=True))  # = c K (1-p)/(1-q) - a
    g_derived = sp.simplify(crit + a).subs({x: sp.exp(-a / 2), c: (L - 1) / (L + 1)})
    D = D.subs(x, sp.exp(-a / 2))
    omp, omq = omp.subs(x, sp.exp(-a / 2)), omq.subs(x, sp.exp(-a / 2))
    claimed = CP_EQUATIONS[equation].subs({Ks: K, Ls: L, As: a})
    residual = sp.simplify(sp.expand(g_derived - claimed))
    # sufficiency: K(L-1)/(L+1) - g(a) = 2(β-1)(1 - e^{-a/2}) > 0 for a > 0, L >= 2
    gap = sp.simplify(K * (L - 1) / (L + 1) - g_derived)
    gap_ok = sp.simplify(gap - 2 * (L - 1) / (L + 1) * (1 - sp.exp(-a / 2))) == 0
    # uniqueness: d/da (a - g) = 1 + (β-1) e^{-a/2} > 0
    uniq = sp.simplify(sp.diff(a - g_derived, a) - (1 + (L - 1) / (L + 1) * sp.exp(-a / 2))) == 0
    # even modes: L >= 2 -> -(1-p) a^{β-1}; L = 1 -> (1-q) - (1-p) = 2(e^{-a/2} - e^{-a})/D > 0
    even_L1 = sp.simplify(omq - omp - 2 * (sp.exp(-a / 2) - sp.exp(-a)) / D) == 0
    ev = {"mu_odd": str(mu_odd), "derived_equation_rhs": str(g_derived), "claimed_rhs": str(claimed),
          "residual": str(residual), "sufficiency_gap": str(gap), "sufficiency_gap_is_2(beta-1)(1-e^{-a/2})": bool(gap_ok),
          "a_minus_g_strictly_increasing": bool(uniq), "L=1_even_rate_difference_is_2(e^{-a/2}-e^{-a})/D": bool(even_L1)}
    if residual != 0 or not (gap_ok and uniq and even_L1):
        return Outcome(False, ev, counterexample={"derived_rhs": str(g_derived), "claimed_rhs": str(claimed)})
    return Outcome(True, ev)


def cp_threshold_mp50(ctx: Context, equation: str) -> Outcome:
    """mpmath 50 digits: odd-mode sign change of the raw flow's tangent Jacobian at a v vs the root a_cp; even-mode signs."""
    records = {}
    with mpmath.workdps(50):
        for K in ctx.K:
            w_odd = _diff_vec(K, 1, 3)
            w_even = _unit(K, 2)
            for L in ctx.L:
                a_cp = cp_threshold_mp(K, L, equation)
                f = lambda a: tangent_rayleigh_mp(cp_point(K, mpmath.mpf(a)), w_odd, L)[0]
                br = _bracket_sign_change(lambda a: float(f(a)), 1e-3, 4.0 * K)
                if br is None:
                    numeric = mpmath.mpf(0)
                    sign_ok = f(mpmath.mpf(1)) < 0
                else:
                    numeric = _bracketed_root_mp(f, br[0], br[1])
                    sign_ok = br[2] > 0 > br[3]
                _, res = tangent_rayleigh_mp(cp_point(K, numeric + 1), w_odd, L)
                evens = [tangent_rayleigh_mp(cp_point(K, mpmath.mpf(a)), w_even, L)[0] for a in (0.1, 1, 10, K)]
                even_ok = all(e > 0 for e in evens) if L == 1 else all(e < 0 for e in evens)
                suff = f(mpmath.mpf(K * (L - 1)) / (L + 1)) < 0 if L >= 2 else True
                err = abs(numeric - a_cp)
                records[f"K={K},L={L}"] = {"cp_threshold": mpmath.nstr(a_cp, 45), "cp_threshold_numeric": mpmath.nstr(numeric, 45),
                                          "abs_difference": mpmath.nstr(err, 5), "odd_eigen_residual": mpmath.nstr(res, 5),
                                          "even_modes": "grow (L=1)" if L == 1 else "shrink relative to odd",
                                          "even_sign_ok": bool(even_ok), "K(L-1)/(L+1)_sufficient": bool(suff),
                                          "dnc_threshold": float(Fraction(K * (L - 1), L + 1))}
                if err > mpmath.mpf(10) ** -40 * max(1, abs(numeric)) or not (sign_ok and even_ok and suff) or res > mpmath.mpf(10) ** -40:
                    return Outcome(False, {"per_K_L": records},
                                   counterexample={"K": K, "L": L, "claimed_cp_threshold": mpmath.nstr(a_cp, 30),
                                                   "jacobian_sign_change_at": mpmath.nstr(numeric, 30)})
    fig = render("Cross-polytope stability threshold (mpmath, 50 digits)", lambda fig: _draw_thresholds(fig, records, "cp"),
                 "Solid: a_cp(K, L), root of a = ((L-1)/(L+1))(K-2+2e^{-a/2}); markers: sign change of the odd-mode tangent "
                 "eigenvalue of the raw flow; dotted: the sufficient bound K(L-1)/(L+1) (= DNC threshold).")
    return Outcome(True, {"per_K_L": records}, figures=[fig])


def cp_signs_certified(ctx: Context, equation: str) -> Outcome:
    """arb (128 bits) at λ = a v: odd-mode tangent Rayleigh quotient certainly > 0 at a_cp(1 - 1e-6), < 0 at
    a_cp(1 + 1e-6) and at K(L-1)/(L+1); even-mode (w = e_2) Rayleigh quotient certainly < 0 (L >= 2)."""
    records = {}
    with working_precision(128), mpmath.workdps(40):
        for K in ctx.K:
            w_odd, w_even = _diff_vec(K, 1, 3), _unit(K, 2)
            for L in [l for l in ctx.L if l >= 2]:
                a_cp = cp_threshold_mp(K, L, equation)
                below = exact(mpmath.nstr(a_cp * (1 - mpmath.mpf(10) ** -6), 35))
                above = exact(mpmath.nstr(a_cp * (1 + mpmath.mpf(10) ** -6), 35))
                suff = exact(Fraction(K * (L - 1), L + 1))
                zero = exact(0)
                R = {name: tangent_jvp_arb(cp_point(K, a, zero), w, L)[1]
                     for name, a, w in (("odd_below", below, w_odd), ("odd_above", above, w_odd),
                                        ("odd_at_K(L-1)/(L+1)", suff, w_odd), ("even_at_a_cp", above, w_even))}
                ok = bool(R["odd_below"] > 0) and bool(R["odd_above"] < 0) and bool(R["odd_at_K(L-1)/(L+1)"] < 0) \
                    and bool(R["even_at_a_cp"] < 0)
                records[f"K={K},L={L}"] = {"cp_threshold": mpmath.nstr(a_cp, 30), **{k: v.str(6, radius=True) for k, v in R.items()}}
                if not ok:
                    return Outcome(False, {"per_K_L": records},
                                   counterexample={"K": K, "L": L, "cp_threshold_tested": mpmath.nstr(a_cp, 30),
                                                   **{k: v.str(6, radius=True) for k, v in R.items()}})
    return Outcome(True, {"per_K_L": records, "offsets": "a = a_cp (1 ∓ 1e-6), a_cp rounded to 35 digits"})


def cp_signs_arnoldi(ctx: Context, equation: str) -> Outcome:
    """float64 Arnoldi (eigs) on the whole tangent space at a v via scaled JVPs: max Re μ changes sign at a_cp."""
    records = {}
    for K in ctx.K:
        for L in ctx.L:
            if L == 1:
                mx = [tangent_spectrum(np.array(cp_point(K, a), float), L, symmetric=False, ends=("max",))["max"] for a in (1.0, float(K))]
                ok = all(m > 0 for m in mx)  # even modes grow: the cross-polytope is unstable for L = 1
                records[f"K={K},L={L}"] = {"max_tangent_eigenvalue_scaled": mx, "unstable_at_all_sampled_a": ok}
                if not ok:
                    return Outcome(False, {"per_K_L": records}, counterexample={"K": K, "L": 1, "max_eigs": mx})
                continue
            a_cp = cp_threshold_float(K, L, equation)
            below = tangent_spectrum(np.array(cp_point(K, a_cp * (1 - 1e-6)), float), L, symmetric=False, ends=("max",))["max"]
            above = tangent_spectrum(np.array(cp_point(K, a_cp * (1 + 1e-6)), float), L, symmetric=False, ends=("max",))["max"]
            suff = tangent_spectrum(np.array(cp_point(K, K * (L - 1) / (L + 1)), float), L, symmetric=False, ends=("max",))["max"]
            records[f"K={K},L={L}"] = {"cp_threshold": a_cp, "max_re_eig_below_scaled": below, "max_re_eig_above_scaled": above,
                                      "max_re_eig_at_K(L-1)/(L+1)_scaled": suff}
            if not (below > 0 > above and suff < 0):
                return Outcome(False, {"per_K_L": records},
                               counterexample={"K": K, "L": L, "cp_threshold": a_cp, "below": below, "above": above})
    return Outcome(True, {"per_K_L": records, "offsets": "a = a_cp (1 ∓ 1e-6)"})


