"""T4.3 (ii): stability of the cross-polytope direction λ ∝ v above the threshold a_cp(K, L)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from ncdepth.registry import Context, Outcome
from numerics.symbolic_zero import zero_or_witness
from numerics.intervals import exact, working_precision
from numerics.reduced_jacobian import tangent_jvp_arb, tangent_rayleigh_mp, tangent_spectrum
from reports.figures import render

from numerics.reduced_jacobian import scaled_one_minus_psi

from .common import (depths_with_a_witness, BRACKET, MP_DPS, MP_TOL, CP_EQUATIONS, As, Ks, Ls, _bracket_sign_change, _bracketed_root_mp, _diff_vec, _draw_thresholds, _unit,
                     cp_one_minus_psi, cp_point, cp_tangent_eigenvalues, cp_threshold_float, cp_threshold_mp)

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
    same, witness = zero_or_witness(residual)
    if same is False:  # the derived and the claimed right-hand sides differ at an explicit point
        return Outcome.refuted({"derived_rhs": str(g_derived), "claimed_rhs": str(claimed),
                                "derived_minus_claimed_at": witness}, ev)
    if same is None or not (gap_ok and uniq and even_L1):
        return Outcome.undecided("sympy did not reduce " + ("the residual derived - claimed" if same is None else
                                 "a side fact (sufficiency gap, uniqueness, L = 1 even modes)") + " to 0, and no "
                                 "point separates them: not shown", ev)
    return Outcome(True, ev)


def cp_threshold_mp50(ctx: Context, equation: str) -> Outcome:
    """mpmath 50 digits: odd-mode sign change of the raw flow's tangent Jacobian at a v vs the root a_cp; even-mode signs."""
    depths, depth_added = depths_with_a_witness(ctx.L)
    records = {}
    with mpmath.workdps(MP_DPS):
        for K in ctx.K:
            w_odd = _diff_vec(K, 1, 3)
            w_even = _unit(K, 2)
            for L in depths:
                a_cp = cp_threshold_mp(K, L, equation)
                f = lambda a: tangent_rayleigh_mp(cp_point(K, mpmath.mpf(a)), w_odd, L)[0]
                br = _bracket_sign_change(lambda a: float(f(a)), BRACKET["lo"], BRACKET["hi_per_K"] * K)
                if br is None:
                    numeric = mpmath.mpf(0)
                    sign_ok = f(mpmath.mpf(1)) < 0
                else:
                    numeric = _bracketed_root_mp(f, br[0], br[1])
                    sign_ok = br[2] > 0 > br[3]
                c_mp = mpmath.mpf(L - 1) / (L + 1)
                R_odd, res = tangent_rayleigh_mp(cp_point(K, numeric + 1), w_odd, L)
                mu_odd = cp_tangent_eigenvalues(K, L, numeric + 1, *cp_one_minus_psi(K, numeric + 1, mpmath.exp), c=c_mp)[0]
                val_err = abs(R_odd - mu_odd) / abs(mu_odd)
                evens = []
                for a_ in (mpmath.mpf("0.1"), mpmath.mpf(1), mpmath.mpf(10), mpmath.mpf(K)):
                    R_even = tangent_rayleigh_mp(cp_point(K, a_), w_even, L)[0]
                    mu_even = cp_tangent_eigenvalues(K, L, a_, *cp_one_minus_psi(K, a_, mpmath.exp), c=c_mp)[1]
                    evens.append(R_even)
                    val_err = max(val_err, abs(R_even - mu_even) / abs(mu_even))
                even_ok = all(e > 0 for e in evens) if L == 1 else all(e < 0 for e in evens)
                suff = f(mpmath.mpf(K * (L - 1)) / (L + 1)) < 0 if L >= 2 else True
                err = abs(numeric - a_cp)
                records[f"K={K},L={L}"] = {"cp_threshold": mpmath.nstr(a_cp, 45), "cp_threshold_numeric": mpmath.nstr(numeric, 45),
                                          "abs_difference": mpmath.nstr(err, 5), "odd_eigen_residual": mpmath.nstr(res, 5),
                                          "even_modes": "grow (L=1)" if L == 1 else "shrink relative to odd",
                                          "even_sign_ok": bool(even_ok), "K(L-1)/(L+1)_sufficient": bool(suff),
                                          "max_rel_error_eigenvalues_vs_formulas": mpmath.nstr(val_err, 5),
                                          "dnc_threshold": float(Fraction(K * (L - 1), L + 1))}
                tol = mpmath.mpf(MP_TOL)
                if err > tol * max(1, abs(numeric)) or not (sign_ok and even_ok and suff) or res > tol or val_err > tol:
                    return Outcome.refuted({"K": K, "L": L, "claimed_cp_threshold": mpmath.nstr(a_cp, 30),
                                            "jacobian_sign_change_at": mpmath.nstr(numeric, 30),
                                            "max_rel_error_eigenvalues_vs_formulas": mpmath.nstr(val_err, 5)},
                                           {"per_K_L": records})
    fig = render("Cross-polytope stability threshold (mpmath, 50 digits)", lambda fig: _draw_thresholds(fig, records, "cp"),
                 "Solid: a_cp(K, L), root of a = ((L-1)/(L+1))(K-2+2e^{-a/2}); markers: sign change of the odd-mode tangent "
                 "eigenvalue of the raw flow; dotted: the sufficient bound K(L-1)/(L+1) (= DNC threshold).")
    return Outcome.held({"per_K_L": records, "witness_depth_added": depth_added, "mp_dps": MP_DPS, "bracket_grid": BRACKET,
                         "tolerance": MP_TOL}, figures=[fig])


CP_CERT_BITS = 128
CP_OFFSET = 1e-6  # a = a_cp (1 ∓ CP_OFFSET): just below / above the threshold


def cp_signs_certified(ctx: Context, equation: str) -> Outcome:
    """arb (128 bits) at λ = a v: odd-mode tangent Rayleigh quotient certainly > 0 at a_cp(1 - 1e-6), < 0 at
    a_cp(1 + 1e-6) and at K(L-1)/(L+1); even-mode (w = e_2) Rayleigh quotient certainly < 0 (L >= 2)."""
    records = {}
    with working_precision(CP_CERT_BITS), mpmath.workdps(40):
        for K in ctx.K:
            w_odd, w_even = _diff_vec(K, 1, 3), _unit(K, 2)
            for L in [l for l in ctx.L if l >= 2]:
                a_cp = cp_threshold_mp(K, L, equation)
                below = exact(mpmath.nstr(a_cp * (1 - mpmath.mpf(CP_OFFSET)), 35))
                above = exact(mpmath.nstr(a_cp * (1 + mpmath.mpf(CP_OFFSET)), 35))
                suff = exact(Fraction(K * (L - 1), L + 1))
                zero = exact(0)
                c = exact(Fraction(L - 1, L + 1))
                R, values_ok = {}, True
                for name, a, w, which in (("odd_below", below, w_odd, 0), ("odd_above", above, w_odd, 0),
                                          ("odd_at_K(L-1)/(L+1)", suff, w_odd, 0), ("even_at_a_cp", above, w_even, 1)):
                    R[name] = tangent_jvp_arb(cp_point(K, a, zero), w, L)[1]
                    # the value, not only the sign: the derived eigenvalue in balls, independently of the flow code
                    mu = cp_tangent_eigenvalues(K, L, a, *cp_one_minus_psi(K, a, lambda z: z.exp()), c=c)[which]
                    values_ok &= bool(R[name].overlaps(mu)) and bool(abs(R[name] - mu) <= abs(mu) * exact("1e-20"))
                ok = bool(R["odd_below"] > 0) and bool(R["odd_above"] < 0) and bool(R["odd_at_K(L-1)/(L+1)"] < 0) \
                    and bool(R["even_at_a_cp"] < 0) and values_ok
                records[f"K={K},L={L}"] = {"cp_threshold": mpmath.nstr(a_cp, 30), "values_match_formulas": bool(values_ok),
                                           **{k: v.str(6, radius=True) for k, v in R.items()}}
                if not ok:
                    return Outcome.refuted({"K": K, "L": L, "cp_threshold_tested": mpmath.nstr(a_cp, 30),
                                            "values_match_formulas": bool(values_ok),
                                            **{k: v.str(6, radius=True) for k, v in R.items()}}, {"per_K_L": records})
    return Outcome.held({"per_K_L": records, "arb_bits": CP_CERT_BITS, "offsets": f"a = a_cp (1 ∓ {CP_OFFSET:g}), a_cp rounded to 35 digits",
                         "value_check": "each Rayleigh quotient's ball overlaps the derived μ_odd / μ_even ball, rel 1e-20"})


def _cp_max_eig(K: int, L: int, a: float) -> tuple[float, float, str]:
    """(largest real part of the tangent spectrum (scaled), the derived max(μ_odd, μ_even) (same scaling), method)."""
    lam = np.array(cp_point(K, a), float)
    spec = tangent_spectrum(lam, L, symmetric=False, ends=("max",))
    omp, _ = scaled_one_minus_psi(lam)  # (1 - ψ) e^{-ℓ*}, the scaling of the spectrum
    odd, even = cp_tangent_eigenvalues(K, L, a, float(omp[0]), float(omp[1]))
    return spec["max"], max(odd, even), spec["method"], max(abs(odd), abs(even))


def cp_signs_arnoldi(ctx: Context, equation: str) -> Outcome:
    """float64 on the whole tangent space at a v via scaled JVPs (dense eigen-decomposition up to 64 tangent
    dimensions, ARPACK eigs above): max Re μ changes sign at a_cp, and equals the derived max(μ_odd, μ_even)."""
    depths, depth_added = depths_with_a_witness(ctx.L)
    records = {}
    methods = set()
    worst = 0.0
    for K in ctx.K:
        for L in depths:
            ctx.report(0.0, f"K={K}, L={L}")
            if L == 1:
                pts = {"a=1": 1.0, "a=K": float(K)}
            else:
                a_cp = cp_threshold_float(K, L, equation)
                pts = {"below": a_cp * (1 - CP_OFFSET), "above": a_cp * (1 + CP_OFFSET), "at_K(L-1)/(L+1)": K * (L - 1) / (L + 1)}
            rec, vals = {}, {}
            for name, a in pts.items():
                got, want, method, scale = _cp_max_eig(K, L, a)
                methods.add(method.split(" (")[0])
                err = abs(got - want) / scale
                worst = max(worst, err)
                vals[name] = got
                rec[name] = {"a": a, "max_re_eig_scaled": got, "derived_scaled": want, "error_rel_to_spectrum": err,
                             "method": method}
            if L == 1:
                ok = all(v > 0 for v in vals.values())  # even modes grow: the cross-polytope is unstable for L = 1
            else:
                rec["cp_threshold"] = a_cp
                ok = vals["below"] > 0 > vals["above"] and vals["at_K(L-1)/(L+1)"] < 0
            records[f"K={K},L={L}"] = rec
            value_ok = all(r["error_rel_to_spectrum"] <= 1e-8 for r in rec.values() if isinstance(r, dict))
            if not (ok and value_ok):
                return Outcome.refuted({"K": K, "L": L, **({"cp_threshold": a_cp} if L >= 2 else {}),
                                        "max_re_eig_scaled": vals, "values_match_derived_spectrum": value_ok},
                                       {"per_K_L": records})
    return Outcome.held({"per_K_L": records, "witness_depth_added": depth_added, "offsets": f"a = a_cp (1 ∓ {CP_OFFSET:g})", "methods": sorted(methods),
                         "max_error_vs_derived_spectrum": worst, "tolerance": "1e-8 x max(|μ_odd|, |μ_even|)"})
