"""T3.2 for every K >= 3: the reduction (Eq. 28-32) and the monotonicity of the reduced objective.

The steps are stated in the package docstring; each is one record of the checks below (sympy
identities with symbolic K or m, z3 decisions over the reals).  Both checks are written for a
*claimed* ingredient (the smallest feasible |g|², the exponent p of 1 - cos δ) and derive the rest.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Callable

import sympy as sp

from ncdepth.registry import Context, Outcome
from numerics.circle_codes import ARB, ld3_closed_form, reduced_objective, sympy_is_zero
from numerics.intervals import arb, working_precision
from numerics.smt import z3_solver

D = sp.Symbol("delta", positive=True)


def _step(name: str, tool: str, ok: bool, **detail) -> dict:
    return {"step": name, "tool": tool, "ok": bool(ok), **detail}


def _z3(build: Callable) -> str:
    import z3

    s = z3_solver()
    build(z3, s)
    return str(s.check())


# --------------------------------------------------------------------------- reduction (Eq. 28-32)
@lru_cache(maxsize=1)
def reduction_steps() -> tuple[dict, ...]:
    r, a, b, x = sp.symbols("r a b x", real=True)
    C, S, P, K = sp.symbols("C S P K", real=True)
    out = []
    ga, gb = (r * sp.cos(a), r * sp.sin(a)), (r * sp.cos(b), r * sp.sin(b))
    margin = ga[0] * ga[0] + ga[1] * ga[1] - (gb[0] * ga[0] + gb[1] * ga[1])
    out.append(_step("R1: Zbar[c,c] - Zbar[c',c] = r²(1 - cos(θ_c - θ_c'))", "sympy",
                     sp.simplify(sp.expand_trig(margin - r ** 2 * (1 - sp.cos(a - b)))) == 0))
    dx = sp.diff(1 - sp.cos(x), x)
    out.append(_step("R1: d/dx (1 - cos x) = sin x > 0 on (0, π): the smallest margin is at the smallest circular "
                     "distance, which is the smallest gap δ", "sympy", sp.simplify(dx - sp.sin(x)) == 0))
    rr = sp.Symbol("rho", positive=True)  # r²
    sol = sp.solve(sp.Eq(rr * (1 - sp.cos(D)), 1), rr)
    out.append(_step("R1: margins >= 1 iff r² >= 1/(1 - cos δ)", "sympy", len(sol) == 1 and sp.simplify(sol[0] - 1 / (1 - sp.cos(D))) == 0,
                     derived=str(sol)))
    # product of the non-zero eigenvalues of G^T G = det(G G^T), G G^T = r² [[C, P], [P, S]]
    det = sp.Matrix([[C, P], [P, S]]).det()
    out.append(_step("R2: det(G Gᵀ)/r⁴ = CS - P²", "sympy", sp.expand(det - (C * S - P ** 2)) == 0))
    t = sp.Symbol("t", real=True)
    out.append(_step("R2: e^{2iθ} = (cos²θ - sin²θ) + 2i sinθ cosθ", "sympy",
                     sympy_is_zero(sp.exp(2 * sp.I * t) - (sp.cos(t) ** 2 - sp.sin(t) ** 2 + 2 * sp.I * sp.sin(t) * sp.cos(t)))))
    abs2 = (C - S) ** 2 + (2 * P) ** 2  # |Σ e^{2iθ}|² with Σ cos² = C, Σ sin² = S, Σ sin cos = P
    out.append(_step("R2: 4(CS - P²) = K² - |Σ e^{2iθ}|² with K = C + S", "sympy",
                     sp.expand(4 * (C * S - P ** 2) - ((C + S) ** 2 - abs2)) == 0))
    obj = rr ** 2 * (K ** 2 - sp.Symbol("M2", nonnegative=True)) / 4
    out.append(_step("R3: r⁴(K² - |Σ|²)/4 is increasing in r² (K² >= |Σ|²): take r² = 1/(1 - cos δ), exponent 2",
                     "sympy", sp.simplify(sp.diff(obj, rr) - rr * (K ** 2 - sp.Symbol("M2", nonnegative=True)) / 2) == 0))
    return tuple(out)


NORM_SQ = {
    "claimed": lambda d, lib: 1 / (1 - lib.cos(d)),
    "squared_distance": lambda d, lib: 1 / (2 * (1 - lib.cos(d))),
}


def reduction_all_K(ctx: Context, norm_sq: str) -> Outcome:
    """sympy: margins, det(G Gᵀ) and |Σ e^{2iθ}|² give R(δ) at the smallest feasible |g|² = 1/(1 - cos δ);
    the claimed |g|²(δ) is compared with it (a different one is refuted on the K-gon, in arb)."""
    steps = [dict(s) for s in reduction_steps()]
    claimed = NORM_SQ[norm_sq]
    failed = [s["step"] for s in steps if not s["ok"]]
    ev = {"steps": steps, "norm_sq": norm_sq, "derived_reduced_objective": "(K² - M(δ)²)/(4(1 - cos δ)²)"}
    if failed:
        return Outcome.undecided(f"proof step(s) not shown: {failed}", ev)
    same = sympy_is_zero(claimed(D, sp) - 1 / (1 - sp.cos(D)))
    ev["claimed |g|² equals the derived 1/(1 - cos δ)"] = same
    if same:
        return Outcome.held(ev)
    with working_precision(128):
        for K in (3, 4, 5, 6):
            d = arb.pi() * 2 / K
            r2 = claimed(d, ARB)
            marg = r2 * (1 - d.cos())  # every margin of the K-gon at this |g|² (R1)
            row = {"K": K, "configuration": "regular K-gon", "norm_sq": r2.str(20, radius=True), "margin": marg.str(20, radius=True)}
            if bool(marg < 1):
                return Outcome.refuted({**row, "why": "the K-gon at this |g|² has margins below 1 (infeasible)"}, ev)
            if bool(marg > 1):
                return Outcome.refuted({**row, "why": "r² = 1/(1 - cos δ) is feasible too and gives a smaller objective "
                                                       "(factor (r²/r²_min)²): this |g|² is not the optimum"}, ev)
    return Outcome.undecided("the claimed |g|² differs symbolically but no K-gon separates it", ev)


# --------------------------------------------------------------------------- monotonicity (every K)
M_SYM = sp.Symbol("m", positive=True, integer=True)


@lru_cache(maxsize=8)
def monotone_steps(power: Fraction) -> tuple[dict, ...]:
    p = sp.Rational(power.numerator, power.denominator)
    d, m = D, M_SYM
    h = sp.sin(d / 2)
    C, A, K, M = sp.symbols("C A K M", positive=True)
    out = []
    # M1: the identity R = A C sin^{2-2p}(δ/2) / 2^p
    Ssum = h ** 2 * A  # S = Σ sin²(c δ) = sin²(δ/2) Σ (sin(cδ)/sin(δ/2))² = sin²(δ/2) A
    out.append(_step("M1: C + S = K and C - S = M give K² - M² = 4CS", "sympy",
                     sp.expand((C + Ssum) ** 2 - (C - Ssum) ** 2 - 4 * C * Ssum) == 0))
    out.append(_step("M1: 1 - cos δ = 2 sin²(δ/2)", "sympy", sympy_is_zero(1 - sp.cos(d) - 2 * h ** 2, half_angle=d)))
    hh = sp.Symbol("h", positive=True)
    ident = 4 * C * hh ** 2 * A / (4 * (2 * hh ** 2) ** p) - A * C * hh ** (2 - 2 * p) / 2 ** p
    out.append(_step(f"M1: 4CS/(4(2 sin²(δ/2))^p) = A·C·sin^(2-2p)(δ/2)/2^p (p = {p})", "sympy",
                     sp.simplify(sp.powsimp(sp.expand_power_base(ident, force=True), force=True)) == 0))
    x = sp.Symbol("x", real=True)
    out.append(_step("M1: per angle cos² + sin² = 1 and cos² - sin² = cos 2θ: C + S = K and C - S = Σ cos 2θ_k = M "
                     "(L-D.3: the optimiser with clusters at 0 and π attains M)", "sympy",
                     sp.simplify(sp.cos(x) ** 2 + sp.sin(x) ** 2 - 1) == 0
                     and sp.simplify(sp.cos(x) ** 2 - sp.sin(x) ** 2 - sp.cos(2 * x)) == 0))
    out.append(_step("M1: cos²(π + x) = cos² x, sin²(π + x) = sin² x (the cluster at π)", "sympy",
                     sp.simplify(sp.cos(sp.pi + x) ** 2 - sp.cos(x) ** 2) == 0 and sp.simplify(sp.sin(sp.pi + x) ** 2 - sp.sin(x) ** 2) == 0))
    # M2: U_j = sin(jδ/2)/sin(δ/2) is a sum of cosines
    j = sp.Symbol("j", positive=True, integer=True)
    i = sp.Dummy("i", integer=True, nonnegative=True)
    U = sp.summation(sp.exp(sp.I * (j - 1 - 2 * i) * d / 2), (i, 0, j - 1))
    U = U.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[-1][0])
    out.append(_step("M2: sin(jδ/2)/sin(δ/2) = Σ_{i<j} cos((j-1-2i)δ/2) (its imaginary part cancels)", "sympy",
                     sympy_is_zero(U - sp.sin(j * d / 2) / h)))
    # M3: ranges, symbolic m: the largest |c| is (m1 - 1)/2, m1 = ceil(K/2); (m1 - 1) δ1 / 2 < π/2
    even = sp.simplify((m - 1) * (2 * sp.pi / (2 * m)) / 2 - sp.pi / 2)
    odd = sp.simplify(((m + 1) - 1) * (2 * sp.pi / (2 * m + 2)) / 2 - sp.pi / 2)
    out.append(_step("M3: K = 2m, δ <= 2π/K: max|c| δ = (m-1)δ/2 < π/2", "sympy", bool(even.is_negative), difference=str(even)))
    out.append(_step("M3: K = 2m+1, δ <= 2π/(K+1): max|c| δ = mδ/2 < π/2", "sympy", bool(odd.is_negative), difference=str(odd)))
    out.append(_step("M3: so each cos(cδ) > 0 and non-increasing, each U_{2|c|} > 0 and non-increasing (its cosines have "
                     "|argument| <= (2|c|-1)δ/2 < π/2); A, C > 0 non-increasing (cos decreasing on [0, π])", "sympy",
                     bool(even.is_negative) and bool(odd.is_negative)))
    # M4: the factor sin^{2-2p}(δ/2): its derivative's sign is derived, not assumed
    der = sp.diff(h ** (2 - 2 * p), d)
    coeff = sp.simplify(der / (h ** (1 - 2 * p) * sp.cos(d / 2)))
    strictly_dec = bool(sp.simplify(coeff).is_negative)
    out.append(_step(f"M4: d/dδ sin^(2-2p)(δ/2) = {coeff}·sin^(1-2p)(δ/2)cos(δ/2): strictly decreasing on (0, π) iff "
                     "this coefficient is negative", "sympy", strictly_dec, coefficient=str(coeff)))
    # M5: the odd single-run range [2π/(K+1), 2π/K], M = -sin(Kδ)/sin δ
    Mf = sp.Function("M")(d)
    Rf = (K ** 2 - Mf ** 2) / (4 * (1 - sp.cos(d)) ** p)
    N = sp.diff(Rf, d) * 4 * (1 - sp.cos(d)) ** (p + 1)
    out.append(_step("M5: 4(1 - cos δ)^(p+1) R' = -2 M M' (1 - cos δ) - p (K² - M²) sin δ", "sympy",
                     sp.simplify(N - (-2 * Mf * sp.diff(Mf, d) * (1 - sp.cos(d)) - p * (K ** 2 - Mf ** 2) * sp.sin(d))) == 0))
    Ms = -sp.sin(K * d) / sp.sin(d)
    out.append(_step("M5: M' sin²δ = -K cos(Kδ) sin δ + sin(Kδ) cos δ", "sympy",
                     sp.simplify(sp.diff(Ms, d) * sp.sin(d) ** 2 - (-K * sp.cos(K * d) * sp.sin(d) + sp.sin(K * d) * sp.cos(d))) == 0))
    out.append(_step("M5: with s = 2π - Kδ: -sin Kδ = sin s", "sympy", sp.simplify(-sp.sin(K * d) - sp.sin(2 * sp.pi - K * d)) == 0))

    def s_range(z3, s):
        Kr, dr, pr = z3.Reals("K delta pi")
        s.add(pr > 0, dr > 0, Kr >= 3, (Kr + 1) * dr >= 2 * pr, Kr * dr <= 2 * pr)
        sv = 2 * pr - Kr * dr
        s.add(z3.Not(z3.And(sv >= 0, sv <= dr, sv <= pr - dr)))
    got = _z3(s_range)
    out.append(_step("M5: 0 <= s <= min(δ, π - δ) <= π/2 on the range (K >= 3 real), so 0 <= sin s <= sin δ: 0 <= M <= 1",
                     "z3", got == "unsat", z3=got))
    out.append(_step("M5: |M'| <= (K|cos Kδ| sin δ + |sin Kδ|)/sin²δ <= (K + 1)/sin δ (|sin Kδ| = M sin δ <= sin δ)",
                     "stated", True, note="the triangle inequality on the M' formula above, with |cos| <= 1"))
    out.append(_step("M5: (1 - cos δ)/sin δ = tan(δ/2) and sin δ/tan(δ/2) = 2cos²(δ/2)", "sympy",
                     sympy_is_zero((1 - sp.cos(d)) / sp.sin(d) - sp.tan(d / 2), half_angle=d)
                     and sympy_is_zero(sp.sin(d) / sp.tan(d / 2) - 2 * sp.cos(d / 2) ** 2, half_angle=d)))
    lhs_bound = 2 * M * (K + 1) * sp.tan(d / 2)  # >= -2 M M'(1 - cos δ)
    rhs_bound = p * (K ** 2 - 1) * sp.sin(d)  # <= p (K² - M²) sin δ
    ratio = sp.simplify(rhs_bound / (2 * (K + 1) * sp.tan(d / 2)))
    out.append(_step("M5: R' < 0 if 2M(K+1)tan(δ/2) < p(K²-1) sin δ, i.e. M < p(K-1)cos²(δ/2)", "sympy",
                     sympy_is_zero(ratio - p * (K - 1) * sp.cos(d / 2) ** 2, half_angle=d) if p != 0 else False,
                     threshold=str(ratio)))

    def cos_range(z3, s):  # δ/2 <= π/K <= π/3 on the range: cos(δ/2) >= 1/2
        Kr, dr, pr = z3.Reals("K delta pi")
        s.add(pr > 0, dr > 0, Kr >= 3, Kr * dr <= 2 * pr, z3.Not(dr / 2 <= pr / 3))
    got = _z3(cos_range)
    out.append(_step("M5: δ/2 <= π/3, so cos²(δ/2) >= cos²(π/3) = 1/4", "z3", got == "unsat", z3=got))

    def strict(z3, s):  # p(K-1)c >= 1 for c = cos²(δ/2) ∈ [1/4, 1], K >= 3, with equality only at K = 3, c = 1/4
        Kr, c = z3.Reals("K c")
        pz = z3.RealVal(f"{power.numerator}/{power.denominator}")
        s.add(Kr >= 3, c >= z3.RealVal("1/4"), c <= 1,
              z3.Or(pz * (Kr - 1) * c < 1, z3.And(pz * (Kr - 1) * c == 1, z3.Not(z3.And(Kr == 3, c == z3.RealVal("1/4"))))))
    got = _z3(strict)
    out.append(_step(f"M5: p(K-1)cos²(δ/2) >= 1 >= M for every K >= 3 (p = {p}), equal only at K = 3, δ = 2π/3", "z3",
                     got == "unsat", z3=got))
    at = sp.simplify((-sp.sin(3 * d) / sp.sin(d)).subs(d, 2 * sp.pi / 3))
    out.append(_step("M5: there M = -sin(2π)/sin(2π/3) = 0 < 1: M < p(K-1)cos²(δ/2) strictly, R' < 0", "sympy", at == 0))
    # M6: continuity at the junction (L-D.3: both forms of M equal 1 at δ = 2π/(K+1))
    u = sp.Symbol("u", positive=True)  # δ = 2u = 2π/(K+1)
    j12 = sp.sin((sp.pi / u - 1) * u) / sp.sin(u)
    j3 = -sp.sin((sp.pi / u - 1) * 2 * u) / sp.sin(2 * u)
    out.append(_step("M6: at δ = 2π/(K+1) both forms of M equal 1: R is continuous there", "sympy",
                     sympy_is_zero(sp.expand(j12 - 1), half_angle=u) and sympy_is_zero(sp.expand(j3 - 1), half_angle=u)))
    # M7: the minimiser
    Kp = sp.Symbol("K", positive=True, integer=True)
    out.append(_step("M7: M(2π/K) = 0 (the K-gon), R(2π/K) = K²/(4(1 - cos(2π/K))²), |g|² = 1/(1 - cos(2π/K))", "sympy",
                     sp.simplify((sp.sin(Kp * d) / sp.sin(d)).subs(d, 2 * sp.pi / Kp)) == 0))
    return tuple(out)


def _certified_increase(K: int, power: Fraction, points: int = 64, bits: int = 256) -> dict | None:
    """δ_a < δ_b in (0, 2π/K] with R(δ_a) < R(δ_b) certified in arb (R from L-D.3's M, original form)."""
    with working_precision(bits):
        p = arb(power.numerator) / power.denominator
        prev = None
        for i in range(1, points + 1):
            q = Fraction(2 * i, K * points)
            d = arb.pi() * q.numerator / q.denominator
            regime = "even" if K % 2 == 0 else ("odd_two_clusters" if q <= Fraction(2, K + 1) else "odd_single_run")
            val = reduced_objective(K, d, ld3_closed_form(K, d, ARB, regime), p, ARB)
            if prev is not None and bool(prev[1] < val):
                return {"K": K, "delta_a_over_pi": str(prev[0]), "delta_b_over_pi": str(q),
                        "R_a": prev[1].str(20, radius=True), "R_b": val.str(20, radius=True), "power": str(power),
                        "why": "R(δ_a) < R(δ_b) with δ_a < δ_b, certified in arb: R is not decreasing"}
            prev = (q, val)
    return None


def monotone_all_K(ctx: Context, power: str) -> Outcome:
    """Steps M1-M7 for the claimed exponent p (sympy, z3): R = (K² - M²)/(4(1 - cos δ)^p) strictly decreasing
    on (0, 2π/K] for every K >= 3.  Where a step fails, a certified increase refutes; else undecided."""
    pw = Fraction(power)
    steps = [dict(s) for s in monotone_steps(pw)]
    failed = [s["step"] for s in steps if not s["ok"]]
    ev = {"steps": steps, "power": power, "steps_passed": len(steps) - len(failed), "steps_total": len(steps)}
    if not failed:
        return Outcome.held(ev)
    ev["failed_steps"] = failed
    for K in range(3, 9):
        inc = _certified_increase(K, pw)
        if inc is not None:
            return Outcome.refuted(inc, ev)
    return Outcome.undecided(f"{len(failed)} step(s) do not go through for p = {power} and no certified increase was "
                             "found for K = 3..8", ev)
