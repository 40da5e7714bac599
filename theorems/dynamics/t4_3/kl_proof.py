"""T4.3 (iii), L >= 2: the proof for every K = 2^m >= 4 that a/b, KL rise for ever and λ/||λ|| -> v/||v||.

Mirrored by :func:`kl_alternating_proof`.  On the
alternating subspace (a on odd modes, b on even; invariant by L-D.8) write r = a/b,
c = β - 1 = (L-1)/(L+1), x = e^{-a/2}, y = e^{-b/2}, D = 1 + x² + (K-2)xy.  From L-D.8,

    (A) d log r/dt = P·B,   P = x y b^c / D > 0,   B = r^c (K - 2 + 2 e^{-(a-b)/2}) - K     (exact condition)
    (B) R := (ȧ/a)/(ḃ/b) = r^c (K - 2 + 2 e^{-(a-b)/2}) / K >= ((K-2)/K) r^c
    (C) on {r >= r0}, r0 = (K/(K-2))^{(L+1)/(L-1)} (1 + η), η > 0:  ((K-2)/K) r^c >= (1+η)^c > 1,
        so B >= K((1+η)^c - 1) > 0 there.  Forward invariance of {r >= r0} (hence of the open
        region r > r_s): if r(t) < r0 for some t, take t1 = sup{s <= t: r(s) >= r0}; r(t1) = r0
        and d log r/dt > 0 at t1, so r > r0 just after t1, a contradiction.  So r increases strictly.
    (D) with τ = log ||λ|| (the orbit time of numerics.ode):  d log r/dτ = (R - 1)/(w_a R + w_b),
        w_a = (K/2) a²/||λ||², w_b = 1 - w_a, and (R-1)/(w_a R + w_b) - (R-1)/R = w_b (R-1)²/(R(w_a R + w_b)) >= 0,
        so d log r/dτ >= 1 - 1/R >= κ := 1 - (1+η)^{-c} > 0:   r(τ) >= r0 e^{κ τ}.
    (E) ||λ|| -> ∞ as t -> ∞: ȧ <= K e^{-a/2} a^{1+c} and ḃ <= K e^{-b/2} b^{1+c} (bounded: no blow-up,
        solutions exist for all t); ȧ >= ((K-2)/K) e^{-(a+b)/2} a^{1+c}, so a bounded would force ȧ >= const > 0.
    (F) KL(r) = ((K/2-1)/(K-1)) log r + log((K/2 + (K/2-1)/r)/(K-1)) >= ((K/2-1)/(K-1)) log r + log(K/(2(K-1)))
        and dKL/dr > 0 for r > 1: KL rises monotonically to ∞.
    (G) <λ/||λ||, v/||v||> = (1 + ((K-2)/K) r^{-2})^{-1/2}, increasing in r with limit 1: the distance to
        v/||v|| falls monotonically to 0.

What is *not* true: d log(a/b)/dt is not bounded below on the region.  At fixed r, P -> 0 as
b -> ∞ (lazy dynamics, e^{-(a+b)/2}); the uniform bound holds per unit of log ||λ|| (D), not per
unit of time.  The check records this limit.
"""

from __future__ import annotations

import flint
import sympy as sp

from ncdepth.registry import Context, Outcome
from numerics.intervals import exact, working_precision

from .common import KL_EXPONENTS, Ls


def _nonnegative_by_coefficients(expr: sp.Expr, gens: tuple) -> bool:
    """True when ``expr`` is a quotient of polynomials in ``gens`` whose coefficients are all >= 0 (a
    certificate that ``expr >= 0`` for non-negative ``gens``), the denominator not identically 0."""
    num, den = sp.fraction(sp.together(sp.expand(expr)))
    ok = []
    for part in (num, den):
        poly = sp.Poly(sp.expand(part), *gens)
        coeffs = poly.coeffs()
        ok.append(all(sp.sympify(co).is_nonnegative for co in coeffs))
    return all(ok) and sp.expand(den) != 0


def _ratio_threshold(K: int, L: int, exponent: str):
    """(K/(K-2))^e as an arb ball, e the exponent under test."""
    e = KL_EXPONENTS[exponent].subs(Ls, L)
    return (flint.arb(K) / (K - 2)) ** (flint.arb(int(sp.numer(e))) / int(sp.denom(e)))


def exit_point(K: int, L: int, exponent: str, excess: str = "1/1000", b: int = 40) -> dict | None:
    """A point of the region a/b > (K/(K-2))^e where d(a/b)/dt < 0, certified in arb (128 bits), or None.

    a/b = r is the threshold times (1 + excess), rounded up to a 30-digit decimal (still certainly above the
    threshold), b = ``b`` (large, so e^{-(a-b)/2} is negligible).  d log(a/b)/dt = P·B with P > 0 (step A),
    so the sign of B = r^c (K - 2 + 2e^{-(a-b)/2}) - K is the sign of d(a/b)/dt.
    """
    with working_precision(128):
        thr = _ratio_threshold(K, L, exponent)
        r_dec = (thr * (1 + exact(excess))).upper().str(30, radius=False)
        r = exact(r_dec)
        if not bool(r > thr):
            return None
        bb = exact(b)
        a = r * bb
        c = exact(f"{L - 1}/{L + 1}")
        B = r**c * (K - 2 + 2 * (-(a - bb) / 2).exp()) - K
        if bool(B < 0):
            return {"K": K, "L": L, "a/b": r_dec, "b": b, "a": (a).str(30, radius=False),
                    "threshold_tested": thr.str(20, radius=True),
                    "B = (a/b)^c (K-2+2e^{-(a-b)/2}) - K (arb)": B.str(12, radius=True),
                    "meaning": "d(a/b)/dt < 0 at this point of the region: a/b falls, it does not rise for ever"}
    return None


EXIT_WITNESS = (4, 2)  # where an exit point is searched besides the grid


def kl_alternating_proof(ctx: Context, exponent: str) -> Outcome:
    """sympy, symbolic K >= 4 and L >= 2 (through c = (L-1)/(L+1)), a, b, r, η: steps (A)-(G) of the module docstring.

    If a step does not go through for the exponent under test, the check looks for a point of the region where
    d(a/b)/dt < 0 (certified in arb) over the (K, L) grid: found -> refuted with it; not found -> undecided.
    """
    k, L, a, b, r, eta, s, t = sp.symbols("k L a b r eta s t", positive=True)
    K = k + 4  # K >= 4
    c = (L - 1) / (L + 1)
    cs = sp.symbols("c", positive=True)  # c as a free positive symbol where L does not matter
    x, y = sp.symbols("x y", positive=True)  # x = e^{-a/2}, y = e^{-b/2}
    steps: dict = {}
    ok: dict = {}
    # L-D.8 closed forms (general K), e^{-a} = x², e^{-(a+b)/2} = x y
    D = 1 + x**2 + (K - 2) * x * y
    omp_odd = 2 * (x**2 + (K / 2 - 1) * x * y) / D
    omp_even = K * x * y / D
    rate_a, rate_b = omp_odd * a**cs, omp_even * b**cs  # ȧ/a = (1-ψ_odd) a^{β-1}
    # (A) d log r/dt = P B
    P = x * y * b**cs / D
    B = (a / b) ** cs * (K - 2 + 2 * x / y) - K
    resA = sp.simplify(sp.powsimp(sp.expand(rate_a - rate_b - P * B), force=True))
    ok["A: d log(a/b)/dt = P·B"] = resA == 0
    ok["A: P > 0"] = bool(P.is_positive)
    steps["A"] = {"P": str(P), "B": str(B), "residual": str(resA)}
    # (B) orbit ratio and its lower bound
    R = sp.simplify(rate_a / rate_b)
    R_claim = (a / b) ** cs * (K - 2 + 2 * x / y) / K
    resB = sp.simplify(sp.powsimp(R - R_claim, force=True))
    gapB = sp.simplify(R_claim - (K - 2) / K * (a / b) ** cs)
    ok["B: R = (ȧ/a)/(ḃ/b) identity"] = resB == 0
    ok["B: R - ((K-2)/K) r^c > 0"] = bool(gapB.is_positive)
    steps["B"] = {"R": str(R_claim), "residual": str(resB), "R - ((K-2)/K) r^c": str(gapB)}
    # (C) the threshold: ((K-2)/K) r0^c with r0 = (K/(K-2))^e (1 + η)
    e = KL_EXPONENTS[exponent].subs(Ls, L)
    Q = K / (K - 2)
    # log(((K-2)/K) r0^c) = (e c - 1) log(K/(K-2)) + c log(1 + η)
    log_lower = sp.log((K - 2) / K) + c * (e * sp.log(Q) + sp.log(1 + eta))
    ec_minus_1 = sp.simplify(e * c - 1)
    lower_form = sp.simplify(sp.expand_log(log_lower - c * sp.log(1 + eta), force=True))
    increasing = sp.simplify(sp.diff(r**cs, r)).is_positive  # r^c strictly increasing (c > 0)
    c_positive_L2 = sp.simplify(c.subs(L, L + 1)).is_positive  # c > 0 for L >= 2 (L = L' + 1, L' >= 1 > 0)
    ok["C: e·c = 1, so ((K-2)/K) r0^c = (1+η)^c"] = ec_minus_1 == 0 and lower_form == 0
    ok["C: r^c increasing, c > 0 for L >= 2"] = bool(increasing) and bool(c_positive_L2)
    steps["C"] = {"e": str(e), "e*c - 1": str(ec_minus_1), "log(((K-2)/K) r0^c) - c log(1+η)": str(lower_form),
                  "consequence": "B >= K(((K-2)/K) r^c - 1) >= K((1+η)^c - 1) > 0 on {a/b >= r0}"}
    # (D) per unit of log ||λ||
    wa, wb, Rs = sp.symbols("w_a w_b R", positive=True)
    lam2 = (K / 2) * a**2 + (K / 2 - 1) * b**2
    adot, bdot = a * rate_a, b * rate_b
    dlognorm = sp.simplify((K / 2 * a * adot + (K / 2 - 1) * b * bdot) / lam2)
    conv = sp.simplify(dlognorm - ((K / 2) * a**2 / lam2 * rate_a + (K / 2 - 1) * b**2 / lam2 * rate_b))
    per_tau = (Rs - 1) / (wa * Rs + wb)
    gapD = sp.factor(sp.simplify((per_tau - (Rs - 1) / Rs).subs(wa, 1 - wb)))
    gapD_form = sp.simplify(gapD - wb * (Rs - 1) ** 2 / (Rs * ((1 - wb) * Rs + wb)))
    monoD = sp.simplify(sp.diff((Rs - 1) / Rs, Rs))
    ok["D: d log||λ||/dt = w_a ȧ/a + w_b ḃ/b"] = conv == 0
    ok["D: (R-1)/(w_a R + w_b) - (R-1)/R = w_b (R-1)²/(R(w_a R + w_b))"] = gapD_form == 0
    ok["D: (R-1)/R increasing in R"] = bool(monoD.is_positive)
    steps["D"] = {"gap": str(gapD), "d/dR (R-1)/R": str(monoD), "kappa": "1 - (1+η)^{-c}"}
    # (E) global existence and ||λ|| -> ∞: substitute x = 1/(1+s), y = 1/(1+t) (x, y in (0, 1])
    sub = {x: 1 / (1 + s), y: 1 / (1 + t)}
    gens = (k, s, t)
    E_checks = {
        "K - e^{a/2}(1-ψ_odd) >= 0": K - omp_odd / x,
        "K - e^{b/2}(1-ψ_even) >= 0": K - omp_even / y,
        "K - D >= 0": K - D,
        "(1-ψ_odd) - ((K-2)/K) e^{-(a+b)/2} >= 0": omp_odd - (K - 2) / K * x * y,
    }
    for name, ex in E_checks.items():
        ok[f"E: {name}"] = _nonnegative_by_coefficients(ex.subs(sub), gens)
    steps["E"] = {"method": "x = 1/(1+s), y = 1/(1+t), K = 4 + k: numerator and denominator polynomials in (k, s, t) "
                            "with non-negative coefficients", "inequalities": list(E_checks)}
    # (F) KL as a function of r
    Kn = sp.symbols("K", positive=True)
    n_odd, n_even = Kn / 2, Kn / 2 - 1
    S = n_odd * r + n_even
    KL_def = -(n_odd * sp.log((Kn - 1) * r / S) + n_even * sp.log((Kn - 1) / S)) / (Kn - 1)
    KL_form = (Kn / 2 - 1) / (Kn - 1) * sp.log(r) + sp.log((Kn / 2 + (Kn / 2 - 1) / r) / (Kn - 1))
    # (K/2 + (K/2-1)/r) = S/r: compare in the form log(S/r) so that expand_log splits it
    resF = sp.simplify(sp.expand_log(KL_def - ((Kn / 2 - 1) / (Kn - 1) * sp.log(r) + sp.log(S / r) - sp.log(Kn - 1)),
                                     force=True)) if sp.simplify(S / r - (Kn / 2 + (Kn / 2 - 1) / r)) == 0 else None
    dKL = sp.simplify(sp.diff(KL_form, r))
    dKL_form = sp.simplify(dKL - (Kn / 2) * (Kn / 2 - 1) * (r - 1) / ((Kn - 1) * r * S))
    ok["F: KL(r) = ((K/2-1)/(K-1)) log r + log((K/2 + (K/2-1)/r)/(K-1))"] = resF == 0
    ok["F: dKL/dr = (K/2)(K/2-1)(r-1)/((K-1) r (K r/2 + K/2 - 1))"] = dKL_form == 0
    steps["F"] = {"KL(r)": str(KL_form), "dKL/dr": str(dKL)}
    # (G) distance to v/||v||
    cosG = (Kn / 2) * a / (sp.sqrt(Kn / 2) * sp.sqrt(n_odd * a**2 + n_even * b**2))
    resG = sp.simplify(cosG**2 - 1 / (1 + (Kn - 2) / Kn * b**2 / a**2))
    lim1 = sp.limit(1 / sp.sqrt(1 + (Kn - 2) / Kn / r**2), r, sp.oo)
    ok["G: <u, v/||v||>² = 1/(1 + ((K-2)/K)(b/a)²)"] = resG == 0
    ok["G: limit 1 as a/b -> ∞"] = lim1 == 1
    steps["G"] = {"<u, v/||v||>": "(1 + ((K-2)/K) r^{-2})^{-1/2}", "limit": str(lim1)}
    # what is not true: no lower bound in time
    lim_t = sp.limit(sp.exp(-(r + 1) * b / 2) * b**cs, b, sp.oo)
    steps["rate in time"] = {"P at fixed r, b -> ∞": f"e^{{-(r+1)b/2}} b^c -> {lim_t}",
                             "meaning": "d log(a/b)/dt -> 0 as the scale grows: no uniform lower bound in t; the bound "
                                        "d log(a/b)/d log||λ|| >= 1 - (1+η)^{-c} holds instead"}
    ev = {"steps": steps, "verified": {k_: bool(v) for k_, v in ok.items()},
          "assumptions": "K = 4 + k, k >= 0 (K = 2^m >= 4 enters only through L-D.8); L >= 2; a, b > 0; η > 0"}
    failed = [name for name, v in ok.items() if not v]
    if not failed:
        return Outcome.held(ev)
    ev["steps_that_do_not_go_through"] = failed
    # the grid, then the smallest (K, L) = (4, 2): at large K a wrong threshold may leave no exit point on the grid
    # (K = 4096, L = 2), while a counterexample anywhere refutes the variant
    searched = list(dict.fromkeys([p for p in ctx.KL_pairs() if p[1] >= 2] + [EXIT_WITNESS]))
    for K_, L_ in searched:
        cx = exit_point(K_, L_, exponent)
        if cx is not None:
            return Outcome.refuted(cx, ev)
    return Outcome.undecided(f"proof steps {failed} do not go through, and no exit point was found at "
                             f"{searched}", ev)
