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
``ψ_k^{(2)} = (1/(2K²)) Σ_j λ_j λ_{j⊕k}``.  Checks: a sympy series in s for
K = 4 (8 thorough); the measured error of the linear model relative to its own
first-order term, which must shrink like s (log-log slope 1), up to K = 2^12
(2^16 thorough); the sign law by hypothesis over K, L, λ and the pair (k, j),
and the full ordering of the growth rates for all pairs at once.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from numerics.hadamard import sylvester
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
            if c0 != 1 or sp.simplify(c1 + c_claim * mu[k - 1]) != 0:
                return Outcome(False, ev, counterexample={"K": K, "mode": k, "order_0": str(c0), "order_1": str(c1),
                                                          "claimed_order_1": str(-c_claim * mu[k - 1])})
            ev[f"K={K},k={k}"] = {"order_1": str(c1), "order_2": str(c2),
                                  "order_2_is_-(1/(2K^2)) sum_j mu_j mu_(j xor k)": bool(sp.simplify(c2 - want2) == 0)}
    return Outcome(True, ev)


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
        F, _ = scaled_rhs(lam, L)
        rate = F[k - 1] / lam[k - 1] - F[j - 1] / lam[j - 1]  # sign of d(λ_k/λ_j)/dt
        want = _law_sign(L, lam[k - 1], lam[j - 1], law)
        return bool(np.sign(rate) == want), {"rate_scaled": float(rate), "predicted_sign": float(want)}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": sorted(ctx.K), "L_drawn_from": sorted(ctx.L)}
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
    for K in ctx.K:
        for L in ctx.L:
            mu = 1.0 + rng.permutation(K - 1) / (K - 1)  # distinct, gaps 1/(K-1)
            s = 1e-3 / K
            lam = s * mu
            F, _ = scaled_rhs(lam, L)
            rates = F / lam
            order = np.argsort(lam)
            d = np.diff(rates[order])  # rates along increasing λ
            want = _law_sign(L, 1.0, 0.0, law)  # sign of rate differences when λ_k > λ_j
            ok = bool(np.all(np.sign(d) == want))
            records[f"K={K},L={L}"] = {"scale": s, "pairs_adjacent_checked": int(d.size), "all_ordered": ok,
                                      "min_abs_rate_gap_scaled": float(np.min(np.abs(d)))}
            if not ok:
                i = int(np.argmax(np.sign(d) != want))
                return Outcome(False, {"per_K_L": records},
                               counterexample={"K": K, "L": L, "scale": s, "lambda_k": float(lam[order][i + 1]),
                                               "lambda_j": float(lam[order][i]), "rate_difference_scaled": float(d[i])})
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
    checks=(
        Check(
            name="series_in_scale", level=Level.SYMBOLIC, fn=series_in_scale,
            description="sympy series in s of 1 - ψ_k(sμ) with symbolic μ, from the Sylvester matrix: order 0 is 1, order 1 is -μ_k/K; order 2 recorded",
            precision="exact (sympy)",
            statement={"first_order": "1/K"}, control={"first_order": "1/(K-1)"},
            control_description="first-order coefficient 1/(K-1) instead of 1/K",
            K=(4,), L=(1,), thorough_K=(4, 8),
        ),
        Check(
            name="scale_sweep", level=Level.NUMERIC, fn=scale_sweep,
            description=("λ = s μ, μ ~ U[1,2], s = 1e-1..1e-4: max_k |λ̇_k - λ_k^β(1 - λ_k/K)| / (λ_k^{β+1}/K) from the full flow "
                         "(fast transform) shrinks like s (log-log slopes in [0.9, 1.1])"),
            precision="float64; slope tolerance ±0.1",
            statement={"first_order": "1/K"}, control={"first_order": "1/(K-1)"},
            control_description="first-order coefficient 1/(K-1) (its error no longer shrinks with s)",
            K=(4, 16, 256, 4096), L=(1, 2, 5), thorough_K=(4, 16, 256, 4096, 65536), thorough_L=(1, 2, 3, 5, 10, 64),
        ),
        Check(
            name="sign_law_fuzz", level=Level.FUZZ, fn=sign_law_fuzz,
            description=("hypothesis over K, L, a pair (k, j), μ_k, μ_j with gap >= 0.05, the other modes and s in [1e-5, 1e-3]: the sign "
                         "of d(λ_k/λ_j)/dt in the full flow against the law (L = 1: sign(λ_j - λ_k); L >= 2: sign(λ_k - λ_j))"),
            precision="float64 scaled rhs; exact sign comparison",
            statement={"law": "claimed"}, control={"law": "swapped"},
            control_description="the two laws swapped between L = 1 and L >= 2",
            K=(4, 8, 16, 64, 256, 1024, 4096), L=(1, 2, 3, 5, 16, 64), thorough_K=tuple(2**m for m in range(2, 17)),
        ),
        Check(
            name="rate_ordering", level=Level.NUMERIC, fn=rate_ordering,
            description=("all pairs at once at scale 1e-3/K with distinct μ (gaps 1/(K-1)): the growth rates λ̇_k/λ_k are increasing in λ_k "
                         "for L >= 2 and decreasing for L = 1"),
            precision="float64 scaled rhs; exact sign comparison of adjacent rate gaps",
            statement={"law": "claimed"}, control={"law": "swapped"},
            control_description="the two laws swapped between L = 1 and L >= 2",
            K=(4, 16, 64, 256), L=(1, 2, 5), thorough_K=(4, 16, 64, 256, 1024), thorough_L=(1, 2, 3, 5, 10),
        ),
    ),
    depends_on=("T4.2",),
)
