"""T4.4 (Sec. 4.3, App. D.5): the rich-get-richer effect in the linearised (small-scale) regime.

Statement.  K = 2^m, β = 2L/(L+1), λ = s μ with the scale s -> 0.  To linear order in s,

    λ̇_k = λ_k^β (1 - λ_k / K)      (+ higher order),

so ``d/dt log(λ_k/λ_j) = λ_k^{β-1}(1 - λ_k/K) - λ_j^{β-1}(1 - λ_j/K)`` at leading order:
for L = 1 (β = 1) it is ``(λ_j - λ_k)/K``: d(λ_k/λ_j)/dt has the sign of λ_j - λ_k
(modes are pulled together, DNC the only stable direction); for L >= 2 (β > 1)
the term ``λ_k^{β-1} - λ_j^{β-1}`` dominates: the sign of λ_k - λ_j (larger modes
grow relatively faster; DNC critical but unstable).

Proof mirrored here (App. D.5).  ``f = H(0,λ)/K`` has mean 0, so
``softmax(f) = (1 + f)/K + O(s²)`` and ``ψ = H softmax(f) = e_0 + H H (0,λ)/K² + O(s²)
= e_0 + (0,λ)/K + O(s²)`` (H² = K I); the next term is
``ψ_k^{(2)} = (1/(2K²)) Σ_j λ_j λ_{j⊕k}``.  For every K the expansion reduces to K-independent
identities (:func:`series_general_k`: the softmax series in any dimension and the Hadamard sums
S0 = 0, S1 = μ_k, S2 = Σ_j μ̃_j μ̃_{j⊕k}/K from orthogonality, H² = K I and L-D.5) and the sign laws
to two sympy limits (:func:`sign_law_symbolic`).  Further checks: a sympy series in s built from
the Sylvester matrix for K = 4 (8 thorough); the measured error of the linear model relative to its own
first-order term, which must shrink like s (log-log slope 1), up to K = 2^12
(2^16 thorough); the sign law by hypothesis over K, L, λ and the pair (k, j),
and the full ordering of the growth rates for all pairs at once (both also compare the rate's value
with the second-order model, not only its sign).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from numerics.symbolic_zero import zero_or_witness
from numerics.hadamard import fwht, sylvester
from numerics.reduced_flow import beta, reduced_rhs
from numerics.reduced_jacobian import scaled_rhs
from reports.figures import render

#: first-order coefficient c in 1 - ψ_k = 1 - c λ_k (the claim: c = 1/K).
FIRST_ORDER = {"1/K": lambda K: 1.0 / K, "1/(K-1)": lambda K: 1.0 / (K - 1), "2/K": lambda K: 2.0 / K}


def linear_model(lam: np.ndarray, L: int, first_order: str) -> np.ndarray:
    K = lam.shape[-1] + 1
    return np.power(lam, beta(L)) * (1.0 - FIRST_ORDER[first_order](K) * lam)


def series_in_scale(ctx: Context, first_order: str) -> Outcome:
    """sympy: 1 - ψ_k(s μ) = 1 - c μ_k s + O(s²) for symbolic μ; c compared with the claim; s² term recorded."""
    s = sp.symbols("s", positive=True)
    ev = {}
    for K in ctx.K:
        mu = sp.symbols(f"mu1:{K}", positive=True)
        H = sylvester(K)
        lt = [0] + [s * m for m in mu]
        f = [sum(int(H[i, j]) * lt[j] for j in range(K)) / K for i in range(K)]
        e = [sp.exp(x) for x in f]
        Z = sum(e)
        c_claim = sp.nsimplify(FIRST_ORDER[first_order](K))
        for k in range(1, K):
            omp = 1 - sum(int(H[k, i]) * e[i] for i in range(K)) / Z
            # Taylor coefficients at s = 0 (exact derivatives)
            d1 = sp.diff(omp, s)
            c0 = sp.simplify(omp.subs(s, 0))
            c1 = sp.simplify(d1.subs(s, 0))
            c2 = sp.simplify(sp.diff(d1, s).subs(s, 0) / 2)
            want2 = -sp.Rational(1, 2 * K * K) * sum(mu[j - 1] * mu[(j ^ k) - 1] for j in range(1, K) if (j ^ k) != 0)
            same0, w0 = zero_or_witness(c0 - 1)
            same1, w1 = zero_or_witness(c1 + c_claim * mu[k - 1])
            if same0 is False or same1 is False:  # differs at an explicit μ
                return Outcome(False, ev, counterexample={"K": K, "mode": k, "order_0": str(c0), "order_1": str(c1),
                                                          "claimed_order_1": str(-c_claim * mu[k - 1]),
                                                          "derived_minus_claimed_at": w1 or w0})
            if same0 is None or same1 is None:
                return Outcome.undecided(f"sympy did not reduce the order-0/1 coefficient at K={K}, mode {k}", ev)
            ev[f"K={K},k={k}"] = {"order_1": str(c1), "order_2": str(c2),
                                  "order_2_is_-(1/(2K^2)) sum_j mu_j mu_(j xor k)": bool(sp.simplify(c2 - want2) == 0)}
    return Outcome(True, ev)


def series_general_k(ctx: Context, first_order: str) -> Outcome:
    """Every K = 2^m: 1 - ψ_k(sμ) = 1 - sμ_k/K - (s²/(2K²)) Σ_j μ_j μ_{j⊕k} + O(s³), from K-independent identities.

    (a) softmax of f = sφ in any dimension, with Z(s) = K + s M1 + s² M2/2 + s³ R(s) (M1 = Σφ_i, M2 = Σφ_i², R
        the rest): g_i = 1/K + s φ_i/K + s²(Kφ_i² - M2)/(2K²) + O(s³) once M1 = 0 (sympy series, one generic i);
    (b) ψ_k = Σ_i H[k,i] g_i is then (S0 + s S1 + s²(K S2 - M2 S0)/(2K))/K with S_r = Σ_i H[k,i] φ_i^r; the
        Hadamard facts, for every K: M1 = Σ_i φ_i = μ̃_0 = 0 and S0 = 0 (k >= 1) by the row/column sums, S1 = μ_k
        by H² = K I, S2 = Σ_j μ̃_j μ̃_{j⊕k}/K by L-D.5 (H[i,j]H[i,l] = H[i,j⊕l]) and orthogonality;
    (c) so the order-1 coefficient of 1 - ψ_k is -μ_k/K (compared with the claim's c) and λ̇_k = (1-ψ_k)λ_k^β =
        λ_k^β(1 - λ_k/K) + O(s^{β+2}).
    The S2 identity is also confirmed numerically (fast transform) for K = 4..2^10 at random μ.
    """
    s, phi, M1, M2, K, R = sp.symbols("s phi M1 M2 K R")
    S0, S1, S2, mu_k, C_k = sp.symbols("S0 S1 S2 mu_k C_k")
    Rf = sp.Function("R")
    g = sp.exp(s * phi) / (K + s * M1 + s**2 * M2 / 2 + s**3 * Rf(s))
    ser = sp.series(g, s, 0, 3).removeO().subs(M1, 0)
    coeffs = [sp.simplify(ser.coeff(s, n)) for n in range(3)]
    want = [1 / K, phi / K, (K * phi**2 - M2) / (2 * K**2)]
    ok = {"a: softmax series, any dimension": all(sp.simplify(c - w) == 0 for c, w in zip(coeffs, want))}
    # (b) ψ_k as the Hadamard sums of 1, φ, φ²: Σ_i H[k,i] g_i is linear in (1, φ_i, φ_i²)
    psi_k = sp.expand(coeffs[0] * S0 + s * coeffs[1].subs(phi, 1) * S1
                      + s**2 * (sp.expand(coeffs[2]).coeff(phi, 2) * S2 + coeffs[2].subs(phi, 0) * S0))
    facts = {S0: 0, S1: mu_k, S2: C_k / K}  # C_k = Σ_j μ̃_j μ̃_{j⊕k}
    omp = sp.expand(1 - psi_k.subs(facts))
    order1 = sp.simplify(omp.coeff(s, 1))
    order2 = sp.simplify(omp.coeff(s, 2))
    c_claim = _first_order_symbolic(first_order, K)
    ok["c: order 0 is 1"] = sp.simplify(omp.coeff(s, 0) - 1) == 0
    order1_same, order1_witness = zero_or_witness(order1 + c_claim * mu_k)
    ok["c: order 1 is -c μ_k (the claimed c)"] = order1_same is True
    ok["b: order 2 is -C_k/(2K²)"] = sp.simplify(order2 + C_k / (2 * K**2)) == 0
    # the S2 fact, confirmed numerically by the XOR-convolution theorem C = H((H μ̃)²)/K, K = 4..1024
    rng = ctx.rng(441)
    worst = 0.0
    for m in range(2, 11):
        Kn = 2**m
        mu = np.concatenate([[0.0], rng.uniform(0.5, 2.0, Kn - 1)])
        phi_v = fwht(mu) / Kn
        S2_num = fwht(phi_v**2)  # Σ_i H[k,i] φ_i²
        idx = np.arange(Kn)
        C_direct = np.array([np.dot(mu, mu[idx ^ k]) for k in range(Kn)])
        worst = max(worst, float(np.max(np.abs(S2_num - C_direct / Kn)) / np.max(np.abs(C_direct / Kn))))
    ok["b: S2 = C_k/K confirmed numerically, K = 4..1024"] = worst < 1e-12
    ev = {"softmax_series_coefficients": [str(c) for c in coeffs], "hadamard_facts": {
              "M1 = Σφ = 0, S0 = Σ_i H[k,i] = 0 (k >= 1)": "row and column sums (orthogonality to row 0)",
              "S1 = μ_k": "H² = K I", "S2 = Σ_j μ̃_j μ̃_{j⊕k}/K": "L-D.5 and orthogonality"},
          "one_minus_psi_k": str(omp), "order_1": str(order1), "order_2": str(order2),
          "S2_numeric_max_rel_error": worst, "verified": {k: bool(v) for k, v in ok.items()}}
    failed = [k for k, v in ok.items() if not v]
    if not failed:
        return Outcome.held(ev)
    # a refutation needs the derivation to stand (every other step shown) and the claimed order-1 coefficient to
    # differ from the derived one at an explicit point; a step sympy did not reduce is "not shown"
    if failed == ["c: order 1 is -c μ_k (the claimed c)"] and order1_same is False:
        return Outcome.refuted({"steps_failing": failed, "derived_order_1": str(order1),
                                "claimed_order_1": str(-c_claim * mu_k), "derived_minus_claimed_at": order1_witness}, ev)
    return Outcome.undecided(f"step(s) not shown: {failed}", ev)


def _first_order_symbolic(first_order: str, K):
    return {"1/K": 1 / K, "1/(K-1)": 1 / (K - 1), "2/K": 2 / K}[first_order]


def sign_law_symbolic(ctx: Context, law: str) -> Outcome:
    """Every K: from λ̇_k = λ_k^β(1 - λ_k/K) + O(s^{β+2}), d/dt log(λ_k/λ_j) = s^c[μ_k^c(1 - sμ_k/K) - μ_j^c(1 - sμ_j/K)]
    + O(s^{c+2}), c = β - 1 = (L-1)/(L+1).  L = 1 (c = 0): the rate over s tends to (μ_j - μ_k)/K; L >= 2 (c > 0): the rate
    over s^c tends to μ_k^c - μ_j^c, which has the sign of μ_k - μ_j (x^c increasing).  The predicted signs are compared
    with the law under test."""
    s, K, mk, mj, L = sp.symbols("s K mu_k mu_j L", positive=True)
    c = (L - 1) / (L + 1)
    rate = lambda cc: (s * mk) ** cc * (1 - s * mk / K) - (s * mj) ** cc * (1 - s * mj / K)
    lead_L1 = sp.limit(sp.expand(rate(0)) / s, s, 0)
    cL = c.subs(L, L + 1)  # L >= 2 as L' + 1, L' > 0
    lead_deep = sp.limit(sp.powsimp(sp.expand_power_base(rate(cL) / s**cL, force=True), force=True), s, 0)
    x = sp.symbols("x", positive=True)
    increasing = bool(sp.diff(x**cL, x).is_positive)
    derived = {"L=1": "sign(mu_j - mu_k)" if sp.simplify(lead_L1 - (mj - mk) / K) == 0 else f"unexpected: {lead_L1}",
               "L>=2": "sign(mu_k - mu_j)" if (sp.simplify(lead_deep - (mk**cL - mj**cL)) == 0 and increasing)
               else f"unexpected: {lead_deep}"}
    claimed = {"L=1": "sign(mu_j - mu_k)" if _law_sign(1, 1.0, 0.0, law) < 0 else "sign(mu_k - mu_j)",
               "L>=2": "sign(mu_k - mu_j)" if _law_sign(2, 1.0, 0.0, law) > 0 else "sign(mu_j - mu_k)"}
    ev = {"leading_L=1 (rate/s)": str(lead_L1), "leading_L>=2 (rate/s^c, L = L'+1)": str(lead_deep),
          "x^c increasing": increasing, "derived": derived, "law_under_test": claimed,
          "remainder": "1 - ψ is analytic in s: the O(s²) term is uniform on compact μ-sets, so the leading term decides "
                       "the sign for s small enough (μ_k != μ_j)"}
    not_shown = [k for k, v in derived.items() if v.startswith("unexpected")]
    if not_shown:  # sympy did not reduce a leading term to the expected form: the derived sign is not known
        return Outcome.undecided(f"the leading term for {not_shown} was not reduced to a known sign", ev)
    if derived != claimed:
        return Outcome.refuted({"derived": derived, "law_under_test": claimed}, ev)
    return Outcome.held(ev)


def xor_autocorrelation(mu: np.ndarray) -> np.ndarray:
    """C_k = Σ_j μ̃_j μ̃_{j⊕k} (μ̃ = (0, μ)) for k = 1..K-1, by the XOR-convolution theorem: C = H((H μ̃)²)/K."""
    mt = np.concatenate([[0.0], mu])
    K = mt.size
    return (fwht(fwht(mt) ** 2) / K)[1:]


def second_order_rate(lam: np.ndarray, L: int, k: int, j: int) -> float:
    """d/dt log(λ_k/λ_j) from the second-order model 1 - ψ_k = 1 - λ_k/K - C_k(λ)/(2K²) (error O(s³))."""
    K = lam.size + 1
    c = beta(L) - 1
    C = xor_autocorrelation(lam)
    omp = 1 - lam / K - C / (2 * K * K)
    return float(omp[k - 1] * lam[k - 1] ** c - omp[j - 1] * lam[j - 1] ** c)


def scale_sweep(ctx: Context, first_order: str) -> Outcome:
    """float64, fast transform: error of the linear model relative to its first-order term shrinks like s."""
    scales = (1e-1, 1e-2, 1e-3, 1e-4)
    rng = ctx.rng(44)
    records = {}
    for K in ctx.K:
        for L in ctx.L:
            mu = rng.uniform(1.0, 2.0, K - 1)
            errs = []
            for s in scales:
                lam = s * mu
                F = reduced_rhs(lam, L)
                first = np.power(lam, beta(L)) * lam / K  # size of the first-order term
                errs.append(float(np.max(np.abs(F - linear_model(lam, L, first_order)) / first)))
            slopes = np.diff(np.log10(errs)) / np.diff(np.log10(scales))
            vs_velocity = [float(e * s * 2.0 / K) for e, s in zip(errs, scales)]  # first/F <= 2s/K
            records[f"K={K},L={L}"] = {"max_rel_error": dict(zip(map(str, scales), errs)),
                                      "max_rel_error_vs_velocity_bound": dict(zip(map(str, scales), vs_velocity)),
                                      "loglog_slopes": slopes.tolist()}
            if not np.all((slopes > 0.9) & (slopes < 1.1)):
                return Outcome(False, {"per_K_L": records},
                               counterexample={"K": K, "L": L, "scales": list(scales), "max_rel_error": errs,
                                               "slopes": slopes.tolist(), "mu_seed": [ctx.seed, 44]})
    return Outcome(True, {"per_K_L": records,
                          "definition": "max_k |λ̇_k - λ_k^β(1 - λ_k/K)| / (λ_k^{β+1}/K): error relative to the first-order term"})


def _law_sign(L: int, lk: float, lj: float, law: str) -> float:
    """Predicted sign of d(λ_k/λ_j)/dt."""
    rich = np.sign(lk - lj)
    if law == "claimed":
        return -rich if L == 1 else rich
    if law == "swapped":
        return rich if L == 1 else -rich
    raise ValueError(law)


VALUE_TOL = 1e-3  # rate vs the second-order model at s <= 1e-3 (third-order terms are ~s²/gap relative)


def sign_law_fuzz(ctx: Context, law: str) -> Outcome:
    """hypothesis over K, L, the pair (k, j), μ_k, μ_j (gap >= 0.05), the other modes and s in [1e-5, 1e-3]."""
    strategy = st.tuples(st.sampled_from(sorted(ctx.K)), st.sampled_from(sorted(ctx.L)), st.integers(0, 2**20),
                         st.integers(0, 2**20), st.floats(1.0, 2.0), st.floats(0.05, 1.0), st.booleans(),
                         st.floats(-5.0, -3.0), st.integers(0, 2**31 - 1))

    def prop(x):
        K, L, ik, ij, mk, gap, up, log_s, seed = x
        k = 1 + ik % (K - 1)
        j = 1 + ij % (K - 1)
        if k == j:
            j = 1 + (j % (K - 1))
        if k == j:
            return True, None  # K = 2 has a single mode (excluded by the domain)
        mj = mk + gap if up else max(mk - gap, 0.5)
        s = 10.0**log_s
        mu = np.random.default_rng(seed).uniform(1.0, 2.0, K - 1)
        mu[k - 1], mu[j - 1] = mk, mj
        lam = s * mu
        F, ell = scaled_rhs(lam, L)
        rate = F[k - 1] / lam[k - 1] - F[j - 1] / lam[j - 1]  # sign of d(λ_k/λ_j)/dt
        want = _law_sign(L, lam[k - 1], lam[j - 1], law)
        # the value, not only the sign: against the second-order model (error O(s^{β+2}))
        model = second_order_rate(lam, L, k, j)
        value_err = abs(rate * np.exp(ell) - model) / abs(model)
        detail = {"rate_scaled": float(rate), "predicted_sign": float(want), "rel_error_vs_second_order_model": value_err}
        if not value_err <= VALUE_TOL:
            return False, {**detail, "problem": "the flow's rate differs from the second-order model"}
        return bool(np.sign(rate) == want), detail

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": sorted(ctx.K), "L_drawn_from": sorted(ctx.L),
          "value_tolerance_vs_second_order_model": VALUE_TOL}
    if r.holds:
        return Outcome(True, ev)
    K, L, ik, ij, mk, gap, up, log_s, seed = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": L, "k": 1 + ik % (K - 1), "j_index_draw": ij, "mu_k": mk,
                                              "gap": gap, "mu_j_above": up, "scale": 10.0**log_s,
                                              "others": f"np.random.default_rng({seed}).uniform(1, 2, {K - 1})", **r.detail})


def rate_ordering(ctx: Context, law: str) -> Outcome:
    """All pairs at once: at small scale the growth rates λ̇_k/λ_k are ordered like λ (L >= 2) or reversed (L = 1)."""
    rng = ctx.rng(45)
    records = {}
    curves = {}
    for K, L in ctx.KL_pairs():
        mu = 1.0 + rng.permutation(K - 1) / (K - 1)  # distinct, gaps 1/(K-1)
        s = 1e-3 / K
        lam = s * mu
        F, ell = scaled_rhs(lam, L)
        rates = F / lam
        order = np.argsort(lam)
        d = np.diff(rates[order])  # rates along increasing λ
        want = _law_sign(L, 1.0, 0.0, law)  # sign of rate differences when λ_k > λ_j
        ok = bool(np.all(np.sign(d) == want))
        # the value of the largest gap, against the second-order model
        kk, jj = int(order[-1]) + 1, int(order[0]) + 1
        model = second_order_rate(lam, L, kk, jj)
        value_err = abs((rates[kk - 1] - rates[jj - 1]) * np.exp(ell) - model) / abs(model)
        records[f"K={K},L={L}"] = {"scale": s, "pairs_adjacent_checked": int(d.size), "all_ordered": ok,
                                  "min_abs_rate_gap_scaled": float(np.min(np.abs(d))),
                                  "rel_error_extreme_gap_vs_second_order_model": value_err}
        ok = ok and value_err <= VALUE_TOL
        if not ok:
            i = int(np.argmax(np.sign(d) != want))
            return Outcome(False, {"per_K_L": records},
                           counterexample={"K": K, "L": L, "scale": s, "lambda_k": float(lam[order][i + 1]),
                                           "lambda_j": float(lam[order][i]), "rate_difference_scaled": float(d[i]),
                                           "rel_error_extreme_gap_vs_second_order_model": value_err})
    # a picture: normalised singular values along the small-scale flow, L = 1 vs L = 3
    from numerics.ode import integrate_orbit

    for L in (1, 3):
        lam0 = 1e-3 * (1.0 + 0.3 * np.random.default_rng([ctx.seed, 46]).uniform(size=15))
        tau, Y = integrate_orbit(lam0, L, tau_max=8.0, n_out=81, rtol=1e-10, atol=1e-16)
        curves[L] = (tau, Y / np.linalg.norm(Y, axis=1, keepdims=True))

    def draw(fig):
        for i, L in enumerate((1, 3)):
            ax = fig.add_subplot(1, 2, i + 1)
            tau, U = curves[L]
            ax.plot(tau, U, lw=0.8)
            ax.set_title(f"L = {L}: " + ("pulled together" if L == 1 else "rich get richer"), fontsize=9)
            ax.set_xlabel("orbit time τ")
            if i == 0:
                ax.set_ylabel("λ_k / ||λ||")

    fig = render("Rich-get-richer at small scale (K = 16)", draw,
                 "Normalised singular values from a small random start (scale 1e-3); time rescaled (orbit).", size=(8.0, 3.5))
    return Outcome(True, {"per_K_L": records}, figures=[fig])


CLAIM = Claim(
    id="T4.4",
    title="Rich get richer: the linearised small-scale dynamics",
    statement=("As the scale s -> 0 (λ = s μ), λ̇_k = λ_k^β (1 - λ_k/K) + higher order, β = 2L/(L+1). L = 1: d(λ_k/λ_j)/dt has the "
               "sign of λ_j - λ_k (DNC the only stable direction); L >= 2: the sign of λ_k - λ_j (DNC critical but unstable)."),
    latex=r"\dot\lambda_k = \lambda_k^{\beta}\left(1 - \frac{\lambda_k}{K}\right) + O(s^{\beta+2}),\qquad \beta = \frac{2L}{L+1}",
    reference="Theorem 4.4, Sec. 4.3; proof App. D.5 (Eqs. 53-55)",
    domain=Domain(K_min=4, K_power_of_two=True),
    parts=(
        Part("expansion", "as s -> 0 (λ = sμ), λ̇_k = λ_k^β (1 - λ_k/K) + higher order"),
        Part("sign_laws", "L = 1: d(λ_k/λ_j)/dt has the sign of λ_j - λ_k (DNC the only stable direction); L >= 2: the sign "
                          "of λ_k - λ_j (DNC critical but unstable), for s small enough"),
    ),
    checks=(
        Check(
            name="series_general_k", level=Level.SYMBOLIC, fn=series_general_k,
            description=("every K: the softmax series in any dimension (moments M1 = 0, M2 and a symbolic remainder) and the "
                         "Hadamard sums S0 = 0, S1 = μ_k (H² = K I), S2 = Σ_j μ̃_j μ̃_{j⊕k}/K (L-D.5) give "
                         "1 - ψ_k = 1 - sμ_k/K - (s²/(2K²)) Σ_j μ̃_j μ̃_{j⊕k} + O(s³); S2 confirmed numerically for K <= 1024"),
            precision="exact (sympy); S2 numeric to 1e-12",
            statement={"first_order": "1/K"}, control={"first_order": "1/(K-1)"},
            control_description="first-order coefficient 1/(K-1) instead of 1/K",
            control_why="normalising by the K - 1 non-trivial modes instead of the K softmax entries",
            K=(4,), L=(1,), for_all="all K = 2^m >= 4", covers=("expansion",),
            method="sympy, K-independent identities",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="sign_law_symbolic", level=Level.SYMBOLIC, fn=sign_law_symbolic,
            description=("every K, L: from the expansion, d/dt log(λ_k/λ_j) over s tends to (μ_j - μ_k)/K for L = 1 and over "
                         "s^{β-1} to μ_k^{β-1} - μ_j^{β-1} for L >= 2 (sympy limits, symbolic K, L, μ); x^{β-1} increasing"),
            precision="exact (sympy)",
            statement={"law": "claimed"}, control={"law": "swapped"},
            control_description="the two laws swapped between L = 1 and L >= 2",
            control_why="which regime pulls modes together and which drives them apart is easily swapped",
            K=(4,), L=(1,), for_all="all K = 2^m >= 4, L >= 1", covers=("sign_laws",),
            method="sympy limits, symbolic K, L",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="series_in_scale", level=Level.SYMBOLIC, fn=series_in_scale,
            description="sympy series in s of 1 - ψ_k(sμ) with symbolic μ, from the Sylvester matrix: order 0 is 1, order 1 is -μ_k/K; order 2 recorded",
            precision="exact (sympy)",
            statement={"first_order": "1/K"}, control={"first_order": "1/(K-1)"},
            control_description="first-order coefficient 1/(K-1) instead of 1/K",
            control_why="normalising by the K - 1 non-trivial modes instead of the K softmax entries",
            K=(4,), L=(1,), thorough_K=(4, 8),
            serves=Serves(K_max=8, K_max_thorough=16, what="sympy on the Sylvester matrix", cost="K² symbolic derivatives"),
            covers=("expansion",), method="sympy on the Sylvester matrix",
        ),
        Check(
            name="scale_sweep", level=Level.NUMERIC, fn=scale_sweep,
            description=("λ = s μ, μ ~ U[1,2], s = 1e-1..1e-4: max_k |λ̇_k - λ_k^β(1 - λ_k/K)| / (λ_k^{β+1}/K) from the full flow "
                         "(fast transform) shrinks like s (log-log slopes in [0.9, 1.1])"),
            precision="float64; slope tolerance ±0.1",
            statement={"first_order": "1/K"}, control={"first_order": "1/(K-1)"},
            control_description="first-order coefficient 1/(K-1) (its error no longer shrinks with s)",
            control_why="normalising by the K - 1 non-trivial modes instead of the K softmax entries",
            K=(4, 16, 256, 4096), L=(1, 2, 5), thorough_K=(4, 16, 256, 4096, 65536), thorough_L=(1, 2, 3, 5, 10, 64),
            serves=Serves(K_max=2**16, what="fast transform", cost="K log K per scale"),
            covers=("expansion",), method="float64 scale sweep",
        ),
        Check(
            name="sign_law_fuzz", level=Level.FUZZ, fn=sign_law_fuzz,
            description=("hypothesis over K, L, a pair (k, j), μ_k, μ_j with gap >= 0.05, the other modes and s in [1e-5, 1e-3]: the sign "
                         "of d(λ_k/λ_j)/dt in the full flow against the law (L = 1: sign(λ_j - λ_k); L >= 2: sign(λ_k - λ_j))"),
            precision="float64 scaled rhs; exact sign comparison",
            statement={"law": "claimed"}, control={"law": "swapped"},
            control_description="the two laws swapped between L = 1 and L >= 2",
            control_why="which regime pulls modes together and which drives them apart is easily swapped",
            K=(4, 8, 16, 64, 256, 1024, 4096), L=(1, 2, 3, 5, 16, 64), thorough_K=tuple(2**m for m in range(2, 17)),
            serves=Serves(K_max_thorough=2**16), covers=("sign_laws",),
        ),
        Check(
            name="rate_ordering", level=Level.NUMERIC, fn=rate_ordering,
            description=("all pairs at once at scale 1e-3/K with distinct μ (gaps 1/(K-1)): the growth rates λ̇_k/λ_k are increasing in λ_k "
                         "for L >= 2 and decreasing for L = 1"),
            precision="float64 scaled rhs; exact sign comparison of adjacent rate gaps",
            statement={"law": "claimed"}, control={"law": "swapped"},
            control_description="the two laws swapped between L = 1 and L >= 2",
            control_why="which regime pulls modes together and which drives them apart is easily swapped",
            K=(4, 16, 64, 256), L=(1, 2, 5), thorough_K=(4, 16, 64, 256, 1024), thorough_L=(1, 2, 3, 5, 10),
            serves=Serves(K_max=2**16, pair=lambda K, L, thorough: L >= 2 or K <= 1024,
                          pair_text="K <= 1024 at L = 1 (adjacent rate gaps there are ~1e-3/K³ of a rate ~1: float64 resolves them up to K ~ 2^10)",
                          what="float64 fast transform", cost="K log K"),
            covers=("sign_laws",), method="float64, all adjacent pairs",
        ),
    ),
    depends_on=("T4.2", "L-D.5"),
)
