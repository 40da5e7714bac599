"""T4.3 (Sec. 4.2, App. D.4): stability of DNC and of the cross-polytope; KL to DNC.

Setting.  K = 2^m >= 4, the reduced flow (Eq. 6) ``λ̇_k = (1 - ψ_k) λ_k^β``,
β = 2L/(L+1), k = 1..K-1.

What "linearly stable" means here (the *normalised* flow).  A direction
``u = λ/||λ||`` is what the theorem is about; ``u̇ = P_u F(λ)/||λ||``.  On a ray
where ``F(λ) ∥ λ`` (DNC: λ ≡ a; the cross-polytope: λ = a v) the linearisation in
a tangent direction w ⊥ u at the current radius is

    G w = P_u J w - (<u, F>/||λ||) w,

J the Jacobian of F: a perturbation shrinks *relative to the radius* iff the
eigenvalue of G is negative.  The radius only grows, so "stable above a
threshold in a" means: every tangent eigenvalue is negative for all larger a.

(i) DNC.  By (*) of L-D.9, at λ ≡ a (every ψ_k = ψ*, ψ_0 = 1)
``J = (1-ψ*) a^{β-1} [(β - a/K) I - (aψ*/K) 1 1^T]``, so G is a multiple of the
identity on 1^⊥ with eigenvalue ``μ = (1-ψ*) a^{β-1} (β - 1 - a/K)``, and
equivalently ``d/dt log(λ_k/λ_j) = (ε_k - ε_j)(1-ψ*) a^{β-2} (K(L-1)/(L+1) - a)/K``
to first order: DNC is stable iff ``a > K(L-1)/(L+1)``; for L = 1 at every a > 0.
(ii) Cross-polytope, λ = a v (v = 1 on odd modes).  With p = ψ_odd, q = ψ_even
(L-D.8/L-D.9): odd-mode perturbations (Σ ε_odd = 0) have
``μ_odd = a^{β-1}[(β-1)(1-p) - a(1-q)/K]`` which vanishes iff
``a = ((L-1)/(L+1))(K - 2 + 2e^{-a/2})`` (root a_cp); even modes have
``μ_even = -(1-p) a^{β-1} < 0`` for L >= 2 (the λ^β factor kills their linear
growth) and ``(1-q) - (1-p) = 2(e^{-a/2} - e^{-a})/D > 0`` for L = 1.
``K(L-1)/(L+1) >= a_cp`` since ``K - 2 + 2e^{-a/2} < K``.
(iii) KL.  L = 1: ``dKL/dt <= 0`` at every positive λ (a Lyapunov function).
L >= 2, alternating (a, b): ``d log(a/b)/dt`` has the sign of
``(a/b)^{(L-1)/(L+1)} (K - 2 + 2e^{-(a-b)/2}) - K`` (exact), which holds whenever
``a/b > (K/(K-2))^{(L+1)/(L-1)}`` (sufficient, and then for ever); KL of an
alternating vector is increasing in a/b for a/b > 1, so KL rises monotonically to ∞.

Every threshold is computed two ways: from its formula, and as the sign change of
the tangent Jacobian of the raw flow found by root-finding (mpmath 50 digits via
chain-rule JVPs; float64 Lanczos/Arnoldi via scaled JVPs up to K = 2^12, 2^16
thorough); signs just below/above are certified in arb.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp
from scipy.optimize import brentq

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from numerics.intervals import exact, working_precision
from numerics.ode import integrate_orbit, kl_rate, kl_to_dnc
from numerics.reduced_jacobian import (rhs_jvp_mp, scaled_rhs, tangent_jvp_arb, tangent_rayleigh_mp,
                                       tangent_spectrum)
from reports.figures import render

# --------------------------------------------------------------------------- statements
Ks, Ls, As = sp.symbols("K L a", positive=True)

#: DNC stability thresholds in a (the claim and two wrong variants).
DNC_THRESHOLDS: dict[str, sp.Expr] = {
    "K(L-1)/(L+1)": Ks * (Ls - 1) / (Ls + 1),
    "KL/(L+1)": Ks * Ls / (Ls + 1),
    "K(L-1)/L": Ks * (Ls - 1) / Ls,
}

#: the right-hand side g(a) of the cross-polytope threshold equation a = g(a).
CP_EQUATIONS: dict[str, sp.Expr] = {
    "claimed": (Ls - 1) / (Ls + 1) * (Ks - 2 + 2 * sp.exp(-As / 2)),
    "sufficient_as_exact": (Ls - 1) / (Ls + 1) * Ks,  # the sufficient bound K(L-1)/(L+1) claimed to be exact
    "exp_minus_a": (Ls - 1) / (Ls + 1) * (Ks - 2 + 2 * sp.exp(-As)),
}

#: exponent e in the sufficient KL ratio condition a/b > (K/(K-2))^e.
KL_EXPONENTS: dict[str, sp.Expr] = {
    "(L+1)/(L-1)": (Ls + 1) / (Ls - 1),
    "(L-1)/(L+1)": (Ls - 1) / (Ls + 1),  # the exponent flipped
}


def dnc_threshold(K: int, L: int, name: str) -> Fraction:
    v = DNC_THRESHOLDS[name].subs({Ks: K, Ls: L})
    return Fraction(int(sp.numer(v)), int(sp.denom(v)))


def cp_threshold_mp(K: int, L: int, equation: str) -> mpmath.mpf:
    """Root of ``a = g(a)`` (unique: a - g(a) is increasing for these g), at the current mpmath precision."""
    g = sp.lambdify(As, CP_EQUATIONS[equation].subs({Ks: K, Ls: L}), "mpmath")
    if L == 1:
        return mpmath.mpf(0)
    return _bracketed_root_mp(lambda a: a - g(a), 0, K)  # a - g(a): -g(0) < 0 at 0, > 0 at K


def cp_threshold_float(K: int, L: int, equation: str) -> float:
    with mpmath.workdps(30):
        return float(cp_threshold_mp(K, L, equation))


def dnc_point(K: int, a) -> list:
    return [a] * (K - 1)


def cp_point(K: int, a, zero=0) -> list:
    return [a if k % 2 == 1 else zero for k in range(1, K)]


def _unit(K: int, k: int, sign=1) -> list:
    w = [0] * (K - 1)
    w[k - 1] = sign
    return w


def _diff_vec(K: int, i: int, j: int) -> list:
    """e_i - e_j on modes 1..K-1 (tangent at λ ≡ a when any i≠j; at a v when both odd)."""
    w = [0] * (K - 1)
    w[i - 1], w[j - 1] = 1, -1
    return w


def _bracketed_root_mp(f, lo, hi) -> mpmath.mpf:
    """Root of f in [lo, hi] (a sign change) by the Illinois (modified regula falsi) method, which keeps the
    bracket; iterated with 10 guard digits until the bracket is below 1e-45 relative."""
    with mpmath.workdps(mpmath.mp.dps + 10):
        a, b = mpmath.mpf(lo), mpmath.mpf(hi)
        fa, fb = f(a), f(b)
        if (fa > 0) == (fb > 0):
            raise ArithmeticError(f"no sign change in [{lo}, {hi}]")
        side = 0
        for _ in range(400):
            c = (a * fb - b * fa) / (fb - fa)
            fc = f(c)
            if (fc > 0) == (fb > 0):
                b, fb = c, fc
                if side == -1:
                    fa /= 2
                side = -1
            else:
                a, fa = c, fc
                if side == 1:
                    fb /= 2
                side = 1
            if abs(b - a) <= mpmath.mpf(10) ** -45 * abs(c) or fc == 0:
                return +c
    raise ArithmeticError(f"Illinois iteration did not converge in [{lo}, {hi}]")


def _bracket_sign_change(f, lo: float, hi: float, n: int = 48):
    """First sign change of f on a geometric grid of [lo, hi]: (a_minus, a_plus) or None."""
    grid = np.geomspace(lo, hi, n)
    prev_a, prev_v = grid[0], f(grid[0])
    for a in grid[1:]:
        v = f(a)
        if (prev_v > 0) != (v > 0):
            return prev_a, a, prev_v, v
        prev_a, prev_v = a, v
    return None


# --------------------------------------------------------------------------- (i) DNC
def dnc_linearisation(ctx: Context, threshold: str) -> Outcome:
    """sympy: linearise d/dt log(λ_k/λ_j) at λ ≡ a with (*) of L-D.9; its zero in a is the threshold."""
    K, L, a, ps, c = sp.symbols("K L a psi_star c", positive=True)  # c = β - 1 = (L-1)/(L+1)
    ek, ej, S = sp.symbols("epsilon_k epsilon_j S_rest")
    b = 1 + c
    # (*): dψ_k = (1/K) Σ_i (ψ_{k⊕i} - ψ_k ψ_i) ε_i,  ψ_{k⊕i} = 1 if i = k else ψ*
    dpsi_k = ((1 - ps**2) * ek + (ps - ps**2) * (ej + S)) / K
    dpsi_j = ((1 - ps**2) * ej + (ps - ps**2) * (ek + S)) / K
    # d/dt log λ_k = (1 - ψ_k) λ_k^{β-1}, linearised at λ_k = a
    dlog_k = -dpsi_k * a**c + (1 - ps) * c * a ** (c - 1) * ek
    dlog_j = -dpsi_j * a**c + (1 - ps) * c * a ** (c - 1) * ej
    rate = sp.expand(dlog_k - dlog_j)
    coeff = sp.diff(rate, ek)
    only_difference = (sp.simplify(coeff + sp.diff(rate, ej)) == 0 and sp.simplify(sp.diff(rate, S)) == 0
                       and rate.subs({ek: 0, ej: 0, S: 0}) == 0)
    prefactor = (1 - ps) * a ** (c - 1) / K
    reduced = sp.expand(sp.simplify(coeff / prefactor))  # expected K c - a
    roots = sp.solve(sp.Eq(reduced, 0), a)
    roots = [sp.simplify(r.subs(c, (L - 1) / (L + 1))) for r in roots]
    reduced = reduced.subs(c, (L - 1) / (L + 1))
    claimed = DNC_THRESHOLDS[threshold].subs({Ks: K, Ls: L})
    matches = len(roots) == 1 and sp.simplify(roots[0] - claimed) == 0
    linear_in_a = sp.diff(reduced, a, 2) == 0 and sp.diff(reduced, a) == -1
    # 1 - ψ* > 0: at λ ≡ a every E_i = e^{-a} (K/2 minus signs per row), so 1-ψ* = K e^{-a}/(1 + (K-1)e^{-a})
    omp = K * sp.exp(-a) / (1 + (K - 1) * sp.exp(-a))
    # L = 1: the threshold is 0, so the rate is negative at every a > 0
    l1 = sp.simplify(reduced.subs(L, 1))
    ev = {"coefficient_of_(eps_k - eps_j)": str(coeff), "coefficient / ((1-psi*) a^(beta-2)/K)": str(reduced),
          "root_in_a": [str(r) for r in roots], "claimed_threshold": str(claimed),
          "depends_only_on_eps_k_minus_eps_j": bool(only_difference), "one_minus_psi_star": str(omp),
          "L=1 reduced coefficient": str(l1)}
    ok = only_difference and matches and linear_in_a and l1 == -a
    if not ok:
        return Outcome(False, ev, counterexample={"derived_threshold": [str(r) for r in roots], "claimed": str(claimed)})
    return Outcome(True, ev)


def _dnc_rayleigh_mp(K: int, L: int, a) -> tuple:
    return tangent_rayleigh_mp(dnc_point(K, a), _diff_vec(K, 1, 2), L)


def dnc_threshold_mp50(ctx: Context, threshold: str) -> Outcome:
    """mpmath 50 digits: the sign change in a of the tangent Jacobian of the raw flow vs the threshold formula."""
    records = {}
    worst = mpmath.mpf(0)
    rng = ctx.rng(43)
    with mpmath.workdps(50):
        for K in ctx.K:
            for L in ctx.L:
                t = dnc_threshold(K, L, threshold)
                f = lambda a: _dnc_rayleigh_mp(K, L, mpmath.mpf(a))[0]
                br = _bracket_sign_change(lambda a: float(f(a)), 1e-3, 4.0 * K)
                # a random tangent vector must be an eigenvector too (G = μ I on 1^⊥)
                w = [mpmath.mpf(str(x)) for x in rng.standard_normal(K - 1)]
                mean_w = mpmath.fsum(w) / (K - 1)
                w = [x - mean_w for x in w]
                _, res = tangent_rayleigh_mp(dnc_point(K, mpmath.mpf(K) / 2 + mpmath.mpf(1) / 7), w, L)  # away from every threshold
                if br is None:
                    numeric = mpmath.mpf(0)  # no sign change: stable at every sampled scale (L = 1)
                    sign_ok = f(mpmath.mpf(1)) < 0
                else:
                    lo, hi = br[0], br[1]
                    numeric = _bracketed_root_mp(f, lo, hi)
                    sign_ok = br[2] > 0 > br[3]  # unstable below, stable above
                err = abs(numeric - mpmath.mpf(t.numerator) / t.denominator)
                worst = max(worst, err)
                records[f"K={K},L={L}"] = {"dnc_threshold": float(t), "dnc_threshold_numeric": mpmath.nstr(numeric, 45),
                                          "abs_difference": mpmath.nstr(err, 5), "random_tangent_eigen_residual": mpmath.nstr(res, 5),
                                          "unstable_below_stable_above": bool(sign_ok)}
                if err > mpmath.mpf(10) ** -40 * max(1, abs(numeric)) or not sign_ok or res > mpmath.mpf(10) ** -40:
                    return Outcome(False, {"per_K_L": records},
                                   counterexample={"K": K, "L": L, "claimed_threshold": str(t),
                                                   "jacobian_sign_change_at": mpmath.nstr(numeric, 30)})
    fig = render("DNC stability threshold (mpmath, 50 digits)", lambda fig: _draw_thresholds(fig, records, "dnc"),
                 "Lines: a = K(L-1)/(L+1) for each K; markers: sign change of the tangent Jacobian of the raw flow (root-found at 50 digits). DNC is stable above.")
    return Outcome(True, {"per_K_L": records, "max_abs_difference": mpmath.nstr(worst, 5)}, figures=[fig])


def _draw_thresholds(fig, records: dict, kind: str) -> None:
    ax = fig.add_subplot(111)
    by_K: dict[int, list] = {}
    for key, r in records.items():
        K, L = (int(x.split("=")[1]) for x in key.split(","))
        by_K.setdefault(K, []).append((L, r))
    for K, rows in sorted(by_K.items()):
        rows.sort()
        Lgrid = np.arange(1, max(L for L, _ in rows) + 1)
        if kind == "dnc":
            line = ax.plot(Lgrid, K * (Lgrid - 1) / (Lgrid + 1), label=f"K={K}: K(L-1)/(L+1)")[0]
            ax.plot([L for L, _ in rows], [float(r["dnc_threshold_numeric"]) for _, r in rows], "o",
                    color=line.get_color(), mfc="none")
        else:
            line = ax.plot([L for L, _ in rows], [float(r["cp_threshold"]) for _, r in rows], label=f"K={K}: a_cp")[0]
            ax.plot([L for L, _ in rows], [float(r["cp_threshold_numeric"]) for _, r in rows], "o",
                    color=line.get_color(), mfc="none")
            ax.plot(Lgrid, K * (Lgrid - 1) / (Lgrid + 1), ":", color=line.get_color())
    ax.set_xlabel("L (weight matrices)")
    ax.set_ylabel("threshold in a")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.legend(fontsize=7)


def dnc_threshold_lanczos(ctx: Context, threshold: str) -> Outcome:
    """float64 at large K: Lanczos on the tangent Jacobian via scaled JVPs; brentq for the crossing."""
    records = {}
    for K in ctx.K:
        for L in ctx.L:
            t = float(dnc_threshold(K, L, threshold))

            def mu_max(a):
                return tangent_spectrum(np.full(K - 1, a), L, symmetric=True, ends=("max",))["max"]

            if L == 1:
                vals = [mu_max(a) for a in (1.0, 10.0, K / 4.0, float(K))]  # a / K >~ 1e-5: above float64 noise
                numeric, ok = 0.0, all(v < 0 for v in vals)
            else:
                lo, hi = 0.05 * K * (L - 1) / (L + 1) / 4, 0.0
                # bracket by quadrupling from a small scale, without using the threshold under test
                a = 1e-2
                prev = mu_max(a)
                while True:
                    a2 = 4 * a
                    cur = mu_max(a2)
                    if (prev > 0) != (cur > 0):
                        lo, hi = a, a2
                        break
                    a, prev = a2, cur
                    if a > 8.0 * K:
                        lo = hi = None
                        break
                if lo is None:
                    numeric, ok = 0.0, False
                else:
                    numeric = brentq(mu_max, lo, hi, xtol=1e-12 * hi, rtol=1e-13)
                    ok = mu_max(lo) > 0 > mu_max(hi)
            spec = tangent_spectrum(np.full(K - 1, max(numeric, 1.0) * 1.5), L, symmetric=True)
            # a random tangent start vector whose Krylov space closes after one step is an eigenvector;
            # with probability 1 that means G = μ I on the whole tangent space
            degenerate = spec["krylov_closed"] and spec["lanczos_steps"] == 1
            rel = abs(numeric - t) / max(t, 1.0)
            records[f"K={K},L={L}"] = {"dnc_threshold": t, "dnc_threshold_numeric": numeric, "rel_difference": rel,
                                      "tangent_spectrum_single_eigenvalue": bool(degenerate), "lanczos_steps": spec["lanczos_steps"]}
            if rel > 1e-6 or not ok or not degenerate:
                return Outcome(False, {"per_K_L": records},
                               counterexample={"K": K, "L": L, "claimed_threshold": t, "lanczos_sign_change_at": numeric})
    return Outcome(True, {"per_K_L": records})


def dnc_signs_certified(ctx: Context, threshold: str) -> Outcome:
    """arb (128 bits): Rayleigh quotient of the tangent Jacobian certainly > 0 just below, < 0 just above."""
    records = {}
    with working_precision(128):
        for K in ctx.K:
            w = _diff_vec(K, 1, 2)
            for L in ctx.L:
                t = dnc_threshold(K, L, threshold)
                if t == 0:
                    pts = [Fraction(1, 100), Fraction(1), Fraction(10), Fraction(K), Fraction(10 * K)]
                    signs = {str(a): tangent_jvp_arb(dnc_point(K, exact(a)), w, L)[1] for a in pts}
                    ok = all(bool(R < 0) for R in signs.values())
                else:
                    below, above = t * (1 - Fraction(1, 10**6)), t * (1 + Fraction(1, 10**6))
                    Rb = tangent_jvp_arb(dnc_point(K, exact(below)), w, L)[1]
                    Ra = tangent_jvp_arb(dnc_point(K, exact(above)), w, L)[1]
                    signs = {"below": Rb, "above": Ra}
                    ok = bool(Rb > 0) and bool(Ra < 0)
                records[f"K={K},L={L}"] = {"dnc_threshold": str(t), **{k: v.str(6, radius=True) for k, v in signs.items()}}
                if not ok:
                    return Outcome(False, {"per_K_L": records},
                                   counterexample={"K": K, "L": L, "threshold": str(t),
                                                   **{k: v.str(6, radius=True) for k, v in signs.items()}})
    return Outcome(True, {"per_K_L": records, "offsets": "a = t(1 ∓ 10^-6); L = 1: a in {1/100, 1, 10, K, 10K}"})


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


# --------------------------------------------------------------------------- (iii) KL
def kl_ratio_conditions(ctx: Context, exponent: str) -> Outcome:
    """sympy: exact sign condition for d(a/b)/dt from L-D.8, the sufficient one implies it, KL increasing in a/b."""
    K, L, a, b, r, c, Q = sp.symbols("K L a b r c Q", positive=True)  # c = β - 1 = (L-1)/(L+1), Q = K/(K-2)
    x, y = sp.symbols("x y", positive=True)  # x = e^{-a/2}, y = e^{-b/2}
    D = 1 + x**2 + (K - 2) * x * y
    omp_odd = 2 * (x**2 + (K / 2 - 1) * x * y) / D
    omp_even = K * x * y / D
    dlog_ratio = omp_odd * a**c - omp_even * b**c
    positive_factor = x * y * b**c / D
    exact_form = (a / b) ** c * (K - 2 + 2 * x / y) - K  # e^{-(a-b)/2} = x / y
    id_residual = sp.simplify(sp.expand(sp.powsimp(sp.expand(dlog_ratio - positive_factor * exact_form), force=True)))
    # sufficient: r > Q^e  =>  r^c (K-2) > K  iff  Q^{e c} = Q, i.e. e c = 1
    e = KL_EXPONENTS[exponent].subs(Ls, L)
    # (Q^e)^c = Q^{e c} (Q > 0): the sufficient condition is r^c (K-2) > K exactly when e c = 1
    ec = sp.simplify(e * (L - 1) / (L + 1))
    suff_residual = sp.simplify(ec - 1)
    at_threshold = Q**ec
    spot = float((at_threshold - Q).subs({Q: sp.Rational(8, 6), L: 2}))
    exact_form = exact_form.subs({x: sp.exp(-a / 2), y: sp.exp(-b / 2), c: (L - 1) / (L + 1)})
    # KL of the alternating vector as a function of r = a/b
    KL = -sp.log(K - 1) - (K / 2) / (K - 1) * sp.log(r) + sp.log((K / 2) * r + K / 2 - 1)
    dKL = sp.simplify(sp.diff(KL, r))
    dKL_form = sp.simplify(dKL - (K / 2) * (K / 2 - 1) * (r - 1) / ((K - 1) * r * ((K / 2) * r + K / 2 - 1)))
    ev = {"dlog(a/b)/dt = positive factor x": str(exact_form), "identity_residual": str(id_residual),
          "e*(L-1)/(L+1) - 1": str(suff_residual), "spot_value_K8_L2": spot,
          "dKL/dr": str(dKL), "dKL/dr_matches_(K/2)(K/2-1)(r-1)/(...)": dKL_form == 0}
    if id_residual != 0 or suff_residual != 0 or abs(spot) > 1e-15 or dKL_form != 0:
        return Outcome(False, ev, counterexample={"K": 8, "L": 2, "threshold^((L-1)/(L+1)) - K/(K-2)": spot})
    return Outcome(True, ev)


def _alt(K: int, a: float, b: float) -> np.ndarray:
    return np.where(np.arange(1, K) % 2 == 1, a, b)


def _dlog_ratio(K: int, L: int, a: float, b: float) -> float:
    """d log(a/b)/dt from the full flow (fast transform, scaled by e^{-ℓ*} > 0)."""
    F, _ = scaled_rhs(_alt(K, a, b), L)
    return F[0] / a - F[1] / b


def kl_alternating_trajectories(ctx: Context, exponent: str) -> Outcome:
    """Full K-1 mode orbits from a/b = r_s(1+1e-3) at scales b0 in {0.01, 1, K/2}: a/b, KL rise; λ/||λ|| -> v/||v||."""
    records = {}
    curves = {}
    for K in ctx.K:
        v = (np.arange(1, K) % 2 == 1).astype(float)
        v /= np.linalg.norm(v)
        for L in [l for l in ctx.L if l >= 2]:
            r_s = (K / (K - 2)) ** float(KL_EXPONENTS[exponent].subs(Ls, L))
            for b0 in (0.01, 1.0, K / 2.0):
                lam0 = _alt(K, r_s * (1 + 1e-3) * b0, b0)
                tau, Y = integrate_orbit(lam0, L, tau_max=5.0, n_out=41, rtol=1e-10, atol=1e-14)
                ratio = Y[:, 0] / Y[:, 1]
                kl = kl_to_dnc(Y)
                dist = np.linalg.norm(Y / np.linalg.norm(Y, axis=1, keepdims=True) - v, axis=1)
                rates = np.array([_dlog_ratio(K, L, y[0], y[1]) for y in Y])
                rec = {"kl_ratio_threshold": r_s, "b0": b0, "ratio_start": float(ratio[0]), "ratio_end": float(ratio[-1]),
                       "kl_start": float(kl[0]), "kl_end": float(kl[-1]), "dist_to_v_start": float(dist[0]),
                       "dist_to_v_end": float(dist[-1]), "min_dlog_ratio_rate_scaled": float(rates.min())}
                records[f"K={K},L={L},b0={b0:g}"] = rec
                if (K, L) == (16, 3) or (K == min(ctx.K) and L == min(l for l in ctx.L if l >= 2)):
                    curves[f"K={K}, L={L}, b0={b0:g}"] = (tau, kl)
                monotone = (np.all(np.diff(ratio) > 0) and np.all(np.diff(kl) > 0) and np.all(np.diff(dist) < 0)
                            and rates.min() > 0)
                if not monotone:
                    i = int(np.argmin(rates))
                    return Outcome(False, {"per_K_L": records},
                                   counterexample={"K": K, "L": L, "a0": float(lam0[0]), "b0": b0,
                                                   "ratio_threshold_tested": r_s, "first_bad_tau": float(tau[i]),
                                                   "d log(a/b)/dt (scaled) there": float(rates[i])})
    fig = render("KL to DNC along alternating orbits (L >= 2)", lambda fig: _draw_kl(fig, curves),
                 "Full K-1 mode reduced flow from a/b just above (K/(K-2))^{(L+1)/(L-1)}; time rescaled (orbit only). KL rises monotonically.")
    return Outcome(True, {"per_K_L": records, "integration": "DOP853 rtol 1e-11 atol 1e-14, orbit time τ in [0, 30]"},
                   figures=[fig])


def _draw_kl(fig, curves: dict) -> None:
    ax = fig.add_subplot(111)
    for label, (tau, kl) in curves.items():
        ax.plot(tau, kl, label=label)
    ax.set_xlabel("orbit time τ (||λ|| = e^τ ||λ(0)||)")
    ax.set_ylabel("KL(λ) to DNC")
    ax.legend(fontsize=7)


def kl_non_monotone(ctx: Context, depth: str) -> Outcome:
    """Find orbits along which KL first rises then falls (L >= 2): alternating starts with a/b slightly above 1.

    ``depth="L>=2"`` (the claim: such orbits exist for every L >= 2 of the grid) vs
    ``depth="L=1"`` (control: for L = 1 KL is monotone, so none is found).
    """
    found = {}
    curves = {}
    Ls_used = [l for l in ctx.L if l >= 2] if depth == "L>=2" else [1]
    for K in ctx.K:
        for L in Ls_used:
            hit = None
            for r0 in (1.01, 1.001, 1.0001):
                for b0 in (0.1, 1.0):
                    tau, Y = integrate_orbit(_alt(K, r0 * b0, b0), L, tau_max=8.0, n_out=81, rtol=1e-10, atol=1e-16)
                    kl = kl_to_dnc(Y)
                    # a rise of more than 1% above the start, then a fall of more than 1% below the peak
                    if kl.max() > 1.01 * kl[0] and kl[-1] < 0.99 * kl.max() and np.argmax(kl) > 0:
                        i_peak = int(np.argmax(kl))
                        hit = {"r0": r0, "b0": b0, "tau_peak": float(tau[i_peak]), "kl_start": float(kl[0]),
                               "kl_peak": float(kl[i_peak]), "kl_end": float(kl[-1]),
                               "a_at_peak": float(Y[i_peak, 0]), "b_at_peak": float(Y[i_peak, 1])}
                        curves[f"K={K}, L={L}, a/b={r0}, b0={b0:g}"] = (tau, kl)
                        break
                if hit:
                    break
            found[f"K={K},L={L}"] = hit
            if hit is None:
                return Outcome(False, {"examples": found},
                               counterexample={"K": K, "L": L, "searched": "r0 in {1.01, 1.001, 1.0001}, b0 in {0.1, 1}, τ <= 8",
                                               "result": "KL monotone on every orbit tried"})
    fig = render("Non-monotone KL (L >= 2)", lambda fig: _draw_kl(fig, dict(list(curves.items())[:4])),
                 "Alternating starts with a/b slightly above 1 at small scale: rich-get-richer raises KL first; once "
                 "a exceeds K(L-1)/(L+1) DNC is stable and KL falls.")
    return Outcome(True, {"examples": found}, figures=[fig])


def kl_lyapunov_l1(ctx: Context, depth: int) -> Outcome:
    """hypothesis: dKL/dt <= 0 at random positive λ (any scale) for the given depth; the claim is depth 1."""
    strategy = st.tuples(st.sampled_from(sorted(ctx.K)), st.floats(-3.0, 3.0), st.floats(0.0, 3.0),
                         st.integers(0, 2**31 - 1))

    def prop(x):
        K, log_scale, spread, s = x
        rng = np.random.default_rng(s)
        lam = 10.0**log_scale * np.exp(spread * rng.standard_normal(K - 1))
        F, _ = scaled_rhs(lam, depth)
        rate = kl_rate(lam, F)
        size = float(np.mean(np.abs(F / lam)))
        return rate <= 1e-12 * size, {"dKL_dt_scaled": rate, "mean_rate_scaled": size}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": sorted(ctx.K), "depth": depth}
    if r.holds:
        return Outcome(True, ev)
    K, log_scale, spread, s = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": depth, "lambda": f"10**{log_scale} * exp({spread} * "
                                              f"np.random.default_rng({s}).standard_normal({K - 1}))", **r.detail})


def kl_l1_trajectories(ctx: Context, depth: int) -> Outcome:
    """Tight-tolerance orbits from random positive starts: KL non-increasing at every output point (L = 1)."""
    rng = ctx.rng(431)
    records = {}
    curves = {}
    for K in ctx.K:
        for j, scale in enumerate((0.01, 1.0, 5.0)):
            lam0 = scale * np.exp(rng.standard_normal(K - 1))
            tau, Y = integrate_orbit(lam0, depth, tau_max=6.0, n_out=61, rtol=1e-10, atol=1e-14)
            kl = kl_to_dnc(Y)
            rates, sizes = [], []
            for y in Y:
                F = scaled_rhs(y, depth)[0]
                rates.append(kl_rate(y, F))
                sizes.append(float(np.mean(np.abs(F / y))))
            rates = np.array(rates) / np.array(sizes)  # dKL/dt relative to the mean log-rate: rounding level ~1e-16
            rec = {"kl_start": float(kl[0]), "kl_end": float(kl[-1]), "max_increment": float(np.max(np.diff(kl))),
                   "max_dKL_dt_relative": float(rates.max())}
            records[f"K={K},scale={scale:g}"] = rec
            if K == min(ctx.K) or j == 0:
                curves[f"K={K}, scale={scale:g}"] = (tau, kl)
            if np.max(np.diff(kl)) > 1e-10 * max(1.0, kl[0]) or rates.max() > 1e-12:
                return Outcome(False, {"per_start": records},
                               counterexample={"K": K, "L": depth, "scale": scale, "seed": ctx.seed, "salt": 431, **rec})
    fig = render(f"KL to DNC along random orbits, L = {depth}", lambda fig: _draw_kl(fig, dict(list(curves.items())[:6])),
                 "Random positive starts; KL decreases monotonically for L = 1 (Lyapunov function).")
    return Outcome(True, {"per_start": records, "integration": "DOP853 rtol 1e-11 atol 1e-14"}, figures=[fig])


def kl_ratio_fuzz(ctx: Context, exponent: str) -> Outcome:
    """hypothesis over K, L >= 2, the scale b and a/b above the sufficient threshold: d(a/b)/dt > 0 (full flow);
    and at random a/b the exact condition predicts the sign."""
    Lpool = sorted(l for l in ctx.L if l >= 2) or [2]
    strategy = st.tuples(st.sampled_from(sorted(ctx.K)), st.sampled_from(Lpool), st.floats(-3.0, 0.0),
                         st.floats(1e-6, 1.0), st.floats(0.0, 1.0))

    def prop(x):
        K, L, log_b_rel, excess, u = x
        b = K * 10.0 ** (log_b_rel * 2)  # b from K/100 .. K ... down to 1e-6 K
        r_s = (K / (K - 2)) ** float(KL_EXPONENTS[exponent].subs(Ls, L))
        r = r_s * (1 + excess)
        rate = _dlog_ratio(K, L, r * b, b)
        if not rate > 0:
            return False, {"b": b, "a_over_b": r, "d_log_ratio_scaled": rate, "kl_ratio_threshold": r_s}
        # exact condition at an arbitrary ratio in (1, 2 r_s]
        r2 = 1 + u * 2 * r_s
        beta1 = (L - 1) / (L + 1)
        margin = r2**beta1 * (K - 2 + 2 * math.exp(-(r2 - 1) * b / 2)) - K
        rate2 = _dlog_ratio(K, L, r2 * b, b)
        if abs(margin) > 1e-9 * K and (margin > 0) != (rate2 > 0):
            return False, {"b": b, "a_over_b": r2, "exact_margin": margin, "d_log_ratio_scaled": rate2}
        return True, None

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": sorted(ctx.K), "L_drawn_from": Lpool,
          "kl_ratio_threshold": {f"K={K},L={L}": (K / (K - 2)) ** float(KL_EXPONENTS[exponent].subs(Ls, L))
                                 for K in sorted(ctx.K) for L in Lpool}}
    if r.holds:
        return Outcome(True, ev)
    K, L, lb, excess, u = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": L, **r.detail})


# --------------------------------------------------------------------------- the claim
_KL_SMALL = (4, 8, 16, 64)
CLAIM = Claim(
    id="T4.3",
    title="Stability of DNC and the cross-polytope under depth; the KL divergence to DNC",
    statement=("β = 2L/(L+1), reduced flow (Eq. 6). (i) Along λ ≡ a, the DNC direction is linearly stable (normalised flow) iff "
               "a > K(L-1)/(L+1), unstable below; L = 1: stable at every scale. (ii) L >= 2: at λ = a v (v = 1 on odd modes) even "
               "modes shrink relative to odd ones (grow for L = 1) and odd-mode perturbations decay iff a > a_cp(K, L), the root of "
               "a = ((L-1)/(L+1))(K - 2 + 2e^{-a/2}); a >= K(L-1)/(L+1) suffices. (iii) L = 1: KL(λ) to DNC decreases along every "
               "positive trajectory. L >= 2: from alternating starts with a/b > (K/(K-2))^{(L+1)/(L-1)}, a/b and KL increase for ever "
               "and λ/||λ|| -> v/||v||; exact condition for d(a/b)/dt > 0: (a/b)^{(L-1)/(L+1)}(K - 2 + 2e^{-(a-b)/2}) > K."),
    latex=(r"a_{\rm DNC} = \frac{K(L-1)}{L+1},\quad a_{\rm cp} = \frac{L-1}{L+1}\left(K-2+2e^{-a_{\rm cp}/2}\right),\quad "
           r"\frac{a}{b} > \Big(\frac{K}{K-2}\Big)^{\frac{L+1}{L-1}}"),
    reference="Theorem 4.3, Sec. 4.2; proof App. D.4 (Eqs. 43-52)",
    domain=Domain(K_min=4, K_power_of_two=True),
    checks=(
        Check(
            name="dnc_linearisation", level=Level.SYMBOLIC, fn=dnc_linearisation,
            description=("sympy, symbolic K, L, a, ψ*: d/dt log(λ_k/λ_j) linearised at λ ≡ a with ∂ψ_k/∂λ_j = (ψ_{k⊕j} - ψ_kψ_j)/K "
                         "(L-D.9) depends only on ε_k - ε_j, with coefficient (1-ψ*) a^{β-2}/K · (K(L-1)/(L+1) - a); its root in a "
                         "is compared with the threshold; for L = 1 it is -a"),
            precision="exact (sympy)",
            statement={"threshold": "K(L-1)/(L+1)"}, control={"threshold": "KL/(L+1)"},
            control_description="DNC threshold K L/(L+1)",
            K=(4,), L=(1,),
        ),
        Check(
            name="dnc_threshold_mp50", level=Level.NUMERIC, fn=dnc_threshold_mp50,
            description=("mpmath 50 digits: Rayleigh quotient of the tangent Jacobian of the raw flow (chain-rule JVPs) at λ ≡ a, "
                         "w = e_1 - e_2; its sign change is bracketed on a geometric grid of a (without the formula) and root-found, "
                         "then compared with the formula; a random tangent vector is checked to be an eigenvector too"),
            precision="mpmath 50 digits; |root - formula| <= 1e-40; eigen-residual <= 1e-40",
            statement={"threshold": "K(L-1)/(L+1)"}, control={"threshold": "K(L-1)/L"},
            control_description="DNC threshold K(L-1)/L",
            K=(4, 8, 16, 32), L=(1, 2, 3, 5, 10), thorough_K=(4, 8, 16, 32, 64, 128), thorough_L=(1, 2, 3, 4, 5, 8, 10, 20),
        ),
        Check(
            name="dnc_threshold_lanczos", level=Level.NUMERIC, fn=dnc_threshold_lanczos,
            description=("float64 at large K: largest tangent eigenvalue by Lanczos (full reorthogonalisation) driven only by scaled "
                         "Jacobian-vector products (fast transform), bracketed by quadrupling a and root-found by brentq; the Krylov space "
                         "of a random tangent vector closes after one step (G = μ I on the tangent space)"),
            precision="float64 scaled JVPs, Lanczos breakdown 1e-10, brentq xtol 1e-12 rel; |root - formula| <= 1e-6 rel (float64 cancellation near the crossing reaches ~1e-8 at K = 64, L = 10)",
            statement={"threshold": "K(L-1)/(L+1)"}, control={"threshold": "KL/(L+1)"},
            control_description="DNC threshold K L/(L+1)",
            K=(4, 64, 4096), L=(1, 3), thorough_K=(4, 64, 1024, 4096, 16384, 65536), thorough_L=(1, 2, 3, 5, 10, 64),
        ),
        Check(
            name="dnc_signs_certified", level=Level.CERTIFIED, fn=dnc_signs_certified,
            description=("arb ball arithmetic (128 bits): the tangent Rayleigh quotient of the raw flow at λ ≡ a is certainly > 0 at "
                         "a = t(1 - 10^-6) and certainly < 0 at a = t(1 + 10^-6); L = 1: certainly < 0 at a in {1/100, 1, 10, K, 10K}"),
            precision="arb, 128-bit balls; only True comparisons count",
            statement={"threshold": "K(L-1)/(L+1)"}, control={"threshold": "KL/(L+1)"},
            control_description="DNC threshold K L/(L+1)",
            K=(4, 16, 64, 256), L=(1, 2, 3, 5, 10), thorough_K=(4, 16, 64, 256, 1024, 4096), thorough_L=(1, 2, 3, 4, 5, 8, 10, 20, 64),
        ),
        Check(
            name="cp_linearisation", level=Level.SYMBOLIC, fn=cp_linearisation,
            description=("sympy: odd-mode tangent eigenvalue at a v from L-D.8/L-D.9, μ_odd = a^{β-1}[(β-1)(1-p) - a(1-q)/K]; its zero is "
                         "a = (β-1)K(1-p)/(1-q), simplified and compared with the claimed equation; the sufficiency gap, uniqueness "
                         "of the root and the L = 1 even-mode growth are proved symbolically"),
            precision="exact (sympy)",
            statement={"equation": "claimed"}, control={"equation": "exp_minus_a"},
            control_description="a = ((L-1)/(L+1))(K - 2 + 2e^{-a}) (wrong exponent in the correction)",
            K=(4,), L=(2,),
        ),
        Check(
            name="cp_threshold_mp50", level=Level.NUMERIC, fn=cp_threshold_mp50,
            description=("mpmath 50 digits: a_cp from its equation (findroot) vs the sign change of the odd-mode tangent Rayleigh "
                         "quotient (w = e_1 - e_3) of the raw flow at a v; even-mode (w = e_2) signs at a in {0.1, 1, 10, K}; "
                         "K(L-1)/(L+1) certified sufficient (negative there)"),
            precision="mpmath 50 digits; |root - a_cp| <= 1e-40",
            statement={"equation": "claimed"}, control={"equation": "sufficient_as_exact"},
            control_description="claim that the sufficient bound K(L-1)/(L+1) is the exact threshold",
            K=(4, 8, 16, 32), L=(1, 2, 3, 5, 10), thorough_K=(4, 8, 16, 32, 64, 128), thorough_L=(1, 2, 3, 4, 5, 8, 10, 20),
        ),
        Check(
            name="cp_signs_certified", level=Level.CERTIFIED, fn=cp_signs_certified,
            description=("arb ball arithmetic (128 bits) at λ = a v: the odd-mode tangent Rayleigh quotient (w = e_1 - e_3) of the raw "
                         "flow is certainly > 0 at a_cp(1 - 1e-6), certainly < 0 at a_cp(1 + 1e-6) and at K(L-1)/(L+1); the even-mode "
                         "one (w = e_2) certainly < 0"),
            precision="arb, 128-bit balls; a_cp from mpmath at 40 digits, rounded to 35",
            statement={"equation": "claimed"}, control={"equation": "sufficient_as_exact"},
            control_description="claim that the sufficient bound K(L-1)/(L+1) is the exact threshold",
            K=(4, 16, 64, 256), L=(2, 3, 5, 10), thorough_K=(4, 16, 64, 256, 1024, 4096), thorough_L=(2, 3, 4, 5, 8, 10, 20, 64),
        ),
        Check(
            name="cp_signs_arnoldi", level=Level.NUMERIC, fn=cp_signs_arnoldi,
            description=("float64 at large K: the largest real part over the whole tangent space at a v (ARPACK eigs on scaled JVPs) is "
                         "> 0 at a_cp(1 - 1e-6) and < 0 at a_cp(1 + 1e-6) and at K(L-1)/(L+1); for L = 1 it is > 0 (even modes grow)"),
            precision="float64 scaled JVPs, ARPACK tol 1e-12",
            statement={"equation": "claimed"}, control={"equation": "sufficient_as_exact"},
            control_description="claim that K(L-1)/(L+1) is the exact cross-polytope threshold",
            K=(16, 256, 4096), L=(1, 2, 5), thorough_K=(16, 256, 4096, 65536), thorough_L=(1, 2, 3, 10),
        ),
        Check(
            name="kl_ratio_conditions", level=Level.SYMBOLIC, fn=kl_ratio_conditions,
            description=("sympy: d log(a/b)/dt from L-D.8 equals a positive factor times (a/b)^{(L-1)/(L+1)}(K-2+2e^{-(a-b)/2}) - K; "
                         "at a/b = (K/(K-2))^e the sufficient condition is tight iff e = (L+1)/(L-1); KL(a/b) is increasing for a/b > 1"),
            precision="exact (sympy)",
            statement={"exponent": "(L+1)/(L-1)"}, control={"exponent": "(L-1)/(L+1)"},
            control_description="exponent flipped in the sufficient ratio condition: (K/(K-2))^{(L-1)/(L+1)}",
            K=(4,), L=(2,),
        ),
        Check(
            name="kl_alternating_orbits", level=Level.NUMERIC, fn=kl_alternating_trajectories,
            description=("full K-1 mode reduced flow (fast transform, orbit time) from a/b = (K/(K-2))^{(L+1)/(L-1)}(1 + 1e-3) at "
                         "b0 in {0.01, 1, K/2}: a/b, KL strictly increase and ||λ/||λ|| - v/||v|| || strictly decreases at every "
                         "output point; d log(a/b)/dt > 0 pointwise"),
            precision="DOP853 rtol 1e-11, atol 1e-14; strict monotonicity at 61 output points",
            statement={"exponent": "(L+1)/(L-1)"}, control={"exponent": "(L-1)/(L+1)"},
            control_description="start just above the exponent-flipped threshold (K/(K-2))^{(L-1)/(L+1)}",
            K=(4, 16, 256), L=(2, 3, 8), thorough_K=(4, 16, 256, 4096), thorough_L=(2, 3, 5, 8, 16),
        ),
        Check(
            name="kl_non_monotone", level=Level.NUMERIC, fn=kl_non_monotone,
            description=("search for orbits along which KL rises and then falls (alternating starts, a/b in {1.01, 1.001, 1.0001}, "
                         "b0 in {0.1, 1}, norm grown by e^8): found for every (K, L >= 2) of the grid, and reported"),
            precision="DOP853 rtol 1e-10; counted when KL rises > 1% above its start and then falls > 1% below its peak",
            statement={"depth": "L>=2"}, control={"depth": "L=1"},
            control_description="the same search at L = 1 (KL is a Lyapunov function there: no non-monotone orbit may be found)",
            K=(4, 16, 256), L=(2, 3), thorough_K=(4, 16, 64, 256), thorough_L=(2, 3, 5),
        ),
        Check(
            name="kl_l1_orbits", level=Level.NUMERIC, fn=kl_l1_trajectories,
            description="L = 1: orbits from random positive starts at scales 0.01, 1, 5, tight tolerances: KL non-increasing, dKL/dt <= 0 pointwise",
            precision="DOP853 rtol 1e-10 atol 1e-14; KL increments <= 1e-10; dKL/dt <= 1e-12 x mean log-rate",
            statement={"depth": 1}, control={"depth": 3},
            control_description="the same orbits at L = 3",
            K=(4, 16, 256), L=(1,), thorough_K=(4, 16, 256, 4096),
        ),
        Check(
            name="kl_lyapunov_fuzz", level=Level.FUZZ, fn=kl_lyapunov_l1,
            description="hypothesis over K, scale 10^[-3,3] and log-normal spread: dKL/dt <= 0 at random positive λ for L = 1 (full flow, scaled)",
            precision="float64 scaled rhs; dKL/dt <= 1e-12 x mean rate",
            statement={"depth": 1}, control={"depth": 2},
            control_description="claim KL is a Lyapunov function at L = 2",
            K=(4, 8, 16, 64, 256, 1024, 4096), L=(1,), thorough_K=tuple(2**m for m in range(2, 17)),
        ),
        Check(
            name="kl_ratio_fuzz", level=Level.FUZZ, fn=kl_ratio_fuzz,
            description=("hypothesis over K, L >= 2, scale b and a/b above the sufficient threshold: d(a/b)/dt > 0 in the full flow; "
                         "and at random a/b the exact condition predicts the sign of d(a/b)/dt"),
            precision="float64 scaled rhs; exact condition compared where |margin| > 1e-9 K",
            statement={"exponent": "(L+1)/(L-1)"}, control={"exponent": "(L-1)/(L+1)"},
            control_description="exponent flipped in the sufficient ratio condition",
            K=(4, 8, 16, 64, 256, 1024, 4096), L=(2, 3, 4, 8, 16, 64), thorough_K=tuple(2**m for m in range(2, 17)),
        ),
    ),
    depends_on=("L-D.8", "L-D.9", "T4.2"),
    notes=("'Linearly stable' is for the normalised flow: tangent Jacobian "
           "G = P_u J - (<u,F>/||λ||) I on u^⊥ at a ray where F ∥ λ (frozen radius); every threshold in CLAIMS.md Part 2 was "
           "rebuilt independently and agrees."),
)
