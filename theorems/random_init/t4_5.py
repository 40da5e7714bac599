"""T4.5 (Sec. 4.4, proof in App. D.6): width and random initialisation bias early training to DNC.

Statement.  Initialise the deep UFM as ``W_l = s A_l`` (l = 1..L), ``H = s A_0``, every
entry of every ``A`` i.i.d. ``N(0, 1/d)``.  Under gradient flow the logits move with
(Eq. 56)

    Ż = -Σ_{j=0}^{L} A_{>j} A_{>j}^T (P - Y) B_{<j}^T B_{<j},

``A_{>j} = F_L ... F_{j+1}``, ``B_{<j} = F_{j-1} ... F_0`` (products of the scaled
factors).  As ``d -> ∞`` and ``s -> 0``,

    Ż / ||Ż||_F  ->  (M_K ⊗ 1_n^T) / ||M_K ⊗ 1_n^T||_F   in probability,

and the metric of Eq. 61, ``|| Ż/||Ż||_F - M/||M||_F ||_F²`` (``M = M_K ⊗ 1_n^T``), falls as d grows.

Proof mirrored here.  (1) Eq. 56 is the chain rule: ``Ż = Σ_j A_{>j} Ḟ_j B_{<j}`` with
``Ḟ_j = -A_{>j}^T (P - Y) B_{<j}^T``; checked against two routes that share no code
with it (torch reverse-mode gradients + a forward-mode derivative; central finite
differences only).  (2) With ``F_j = s A_j``, ``Ż = -s^{2L} Σ_j 𝒜_j (P - Y) ℬ_j`` with
the Grams ``𝒜_j, ℬ_j`` of the unscaled products, which tend to ``I_K, I_N`` (Lemma D.11).
(3) ``Z = s^{L+1} A_L ... A_0`` -> 0, so each column of ``P`` tends to ``1/K`` and
``P - Y -> (1/K) 1 1^T - I_K ⊗ 1_n^T = -(M_K ⊗ 1_n^T)`` (sympy check, with the first-order
term ``(1/K) M_K Z``).  Hence ``Ż ≈ (L+1) s^{2L} M``.

Rate (derived here; the paper gives none).  Write ``𝒜_j = I + E_j``, ``ℬ_j = I + F_j``.
A random layer adds a Gram fluctuation whose entries have variance ``(1 + δ_ab)/d``
(Lemma D.10's conditional variance at ``G = I``); fluctuations of different layers are
uncorrelated to leading order.  Then ``Ż/s^{2L} = (L+1) M + Δ + O(1/d)`` with
``Δ = Σ_{i=1}^{L} i ψ_i M + Σ_{i=0}^{L-1} (L-i) M φ_i`` (ψ_i K x K, φ_i N x N, one per layer).
``E||ψ M||² = n(K-1)(K+1)/d``, ``E||M φ||² = n(K-1)(N+1)/d``, ``E<ψM, M>² = E<Mφ, M>² = 2n²(K-1)/d``,
and since ``Eq. 61 = 2 - 2cos θ ≈ ||Δ_⊥||² / ||(L+1) M||²``,

    d · E[Eq. 61]  ->  c = S_L [(K-1)(K+N+2) - 4] / ((L+1)² (K-1)),   S_L = Σ_{i<=L} i² ,

so the metric falls like ``d^{-1}`` (the Gram deviations themselves fall like ``d^{-1/2}``).
At a fixed scale s the first-order softmax term adds ``-(L+1)(1/K) M_K Z`` with ``Z``'s entries
``≈ N(0, s^{2L+2}/d)``, i.e. ``s^{2L+2}[(K-1)N - 1]/(K² n (K-1))`` to c: the limit needs
``d -> ∞`` only; ``s -> 0`` just removes that term (the paper's remark after Thm 4.5).
Checks: the fitted log-log slope of the metric is -1 and ``d · E[metric]`` extrapolated
to ``d = ∞`` matches c, at small s and at s = 1.5.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from numerics.deep_ufm import etf, logit_velocity, one_hot
from numerics.softmax import softmax
from numerics.random_init import (
    autograd_logit_velocity,
    batched_logits,
    etf_logit_direction,
    finite_difference_logit_velocity,
    gaussian_factors,
    gram_form_velocity,
    loglog_fit,
    normalised_velocity_metric,
    predicted_metric_constant,
)

N_PER_CLASS = 2  # n, samples per class, in the numeric sweeps
SLOPE_TOL = 0.15  # |fitted slope - claimed rate| allowed (finite-d bias is O(1/d))
CONSTANT_RTOL = 0.08  # relative tolerance on the extrapolated constant (plus 3 standard errors)


# --------------------------------------------------------------------------- (1) Eq. 56
def eq56_routes(ctx: Context, terms: str) -> Outcome:
    """Eq. 56 (Gram form) vs factor-gradient assembly vs torch autograd+jvp vs finite differences."""
    rows = []
    worst = {"deep_ufm": 0.0, "autograd": 0.0, "finite_difference": 0.0}
    tols = {"deep_ufm": 1e-12, "autograd": 1e-12, "finite_difference": 1e-6}
    for K in ctx.K:
        for L in ctx.L:
            for d, s in ((3, 0.5), (7, 2.0)):  # a narrow (d < K when K = 4) and a wider case; two scales
                rng = ctx.rng(1000 * K + 10 * L + d)
                F = gaussian_factors(K, N_PER_CLASS, d, L, s, rng)
                claimed = gram_form_velocity(F, K, N_PER_CLASS, terms=terms)
                routes = {
                    "deep_ufm": logit_velocity(F, K, N_PER_CLASS),
                    "autograd": autograd_logit_velocity(F, K, N_PER_CLASS),
                    "finite_difference": finite_difference_logit_velocity(F, K, N_PER_CLASS),
                }
                for name, ref in routes.items():
                    err = float(np.max(np.abs(claimed - ref)) / np.max(np.abs(ref)))
                    worst[name] = max(worst[name], err)
                    rows.append({"K": K, "L": L, "d": d, "s": s, "route": name, "rel_err": err})
                    if err > tols[name]:
                        return Outcome(False, {"worst_rel_err": worst, "tolerances": tols},
                                       counterexample={"K": K, "n": N_PER_CLASS, "L": L, "d": d, "s": s,
                                                       "seed": ctx.seed, "route": name, "rel_err": err,
                                                       "terms": terms})
    return Outcome(True, {"worst_rel_err": worst, "tolerances": tols, "cases": len(rows) // 3})


def eq56_fuzz(ctx: Context, terms: str) -> Outcome:
    """Hypothesis over (K, n, L, d, s, seed): Eq. 56 against torch autograd + jvp."""
    strategy = st.tuples(st.sampled_from(ctx.K), st.integers(1, 3), st.sampled_from(ctx.L),
                         st.integers(1, 9), st.floats(0.05, 3.0), st.integers(0, 2**31 - 1))

    def prop(x):
        K, n, L, d, s, seed = x
        F = gaussian_factors(K, n, d, L, s, np.random.default_rng(seed))
        claimed = gram_form_velocity(F, K, n, terms=terms)
        ref = autograd_logit_velocity(F, K, n)
        err = float(np.max(np.abs(claimed - ref)) / np.max(np.abs(ref)))
        return err <= 1e-11, {"rel_err": err}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "rtol": 1e-11}
    if r.holds:
        return Outcome(True, ev)
    K, n, L, d, s, seed = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "n": n, "L": L, "d": d, "s": s, "seed": seed,
                                              "terms": terms, **r.detail})


# --------------------------------------------------------------------------- (3) the s -> 0 limit
def softmax_small_scale(ctx: Context, zeroth_order: str) -> Outcome:
    """sympy: softmax(t z)_c = 1/K + t (z_c - z̄)/K + O(t²); so P - Y -> -(M_K ⊗ 1_n^T) column by column."""
    t = sp.Symbol("t")
    residuals = {}
    for K in ctx.K:
        z = sp.symbols(f"z0:{K}", real=True)
        zbar = sum(z) / K
        denom = sum(sp.exp(t * zi) for zi in z)
        for c in range(K):
            p = sp.exp(t * z[c]) / denom
            p0 = sp.simplify(p.subs(t, 0))  # Taylor coefficients at t = 0
            p1 = sp.simplify(sp.diff(p, t).subs(t, 0))
            claimed0 = sp.Rational(1, K) if zeroth_order == "uniform" else sp.Integer(1)  # one_hot: P -> e_c
            r0 = sp.simplify(p0 - claimed0)
            r1 = sp.simplify(p1 - (z[c] - zbar) / K)
            residuals[(K, c)] = (r0, r1)
        # column c of P - Y in the limit is (1/K) 1 - e_c; the claim: = -(M_K)[:, c]
        M = sp.eye(K) - sp.ones(K, K) / K
        limit_cols = sp.ones(K, K) / K - sp.eye(K)  # column c: (1/K) 1 - e_c
        if zeroth_order == "uniform" and sp.simplify(limit_cols + M) != sp.zeros(K, K):
            return Outcome(False, {}, counterexample={"K": K, "reason": "(1/K) 1 1^T - I != -M_K"})
    bad = {f"K={K},c={c}": [str(a), str(b)] for (K, c), (a, b) in residuals.items() if a != 0 or b != 0}
    ev = {"K_checked": list(ctx.K), "cases": len(residuals)}
    if bad:
        return Outcome(False, ev, counterexample={"zeroth_order": zeroth_order,
                                                  "nonzero_residuals": dict(list(bad.items())[:4])})
    return Outcome(True, ev)


def small_scale_residual_orders(ctx: Context, logit_order: str) -> Outcome:
    """float64: ||P - Y + M|| ~ s^{L+1} and, after the first-order term (1/K) M_K Z, ~ s^{2(L+1)}."""
    rows, failures = [], []
    for K in ctx.K:
        for L in ctx.L:
            # |Z| = s^{L+1} |A_L...A_0| from 1e-4 to 1e-2: second-order terms (~1e-8) stay far above rounding
            scales = np.geomspace(1e-4, 1e-2, 6) ** (1.0 / (L + 1))
            A = gaussian_factors(K, N_PER_CLASS, 16, L, 1.0, ctx.rng(4500 + 10 * K + L))
            M = etf_logit_direction(K, N_PER_CLASS)
            r1, r2 = [], []
            for s in scales:
                Z = batched_logits([s * a for a in A])
                G = softmax(Z, axis=0) - one_hot(K, N_PER_CLASS)
                r1.append(np.linalg.norm(G + M))
                r2.append(np.linalg.norm(G + M - etf(K) @ Z / K))
            f1, f2 = loglog_fit(scales, np.array(r1)), loglog_fit(scales, np.array(r2))
            p = L + 1 if logit_order == "L+1" else L
            # O(s^{2p}): at least that order (K = 2 has no second-order softmax term, so there it is 3p)
            ok = abs(f1.slope - p) <= 0.05 and f2.slope >= 2 * p - 0.1
            rows.append({"K": K, "L": L, "claimed_order": p, "scales": scales.tolist(), "slope_zeroth_residual": f1.slope,
                         "slope_first_order_residual": f2.slope, "residual_at_smallest_s": [r1[0], r2[0]]})
            if not ok:
                failures.append(rows[-1])
    ev = {"d": 16, "cases": rows, "slope_tolerances": "|slope0 - (L+1)| <= 0.05; slope1 >= 2(L+1) - 0.1"}
    if failures:
        return Outcome(False, ev, counterexample={**failures[0], "seed": ctx.seed, "logit_order": logit_order})
    return Outcome(True, ev)


# --------------------------------------------------------------------------- (2)+(3) the rate
@lru_cache(maxsize=64)
def _metric_samples(K: int, n: int, L: int, s: float, ds: tuple, seeds: int, seed: int) -> dict:
    """Eq. 61 for ``seeds`` independent draws at each width, against M_K ⊗ 1^T and against Y.

    Pure function of its arguments (cached so that the statement and the control are
    judged on the same data)."""
    M, Y = etf_logit_direction(K, n), one_hot(K, n)
    out = {"etf": [], "one_hot": []}
    for d in ds:
        rng = np.random.default_rng([seed, 45, K, n, L, d, int(round(s * 1e6))])
        chunk = max(1, min(seeds, int(4e6 // (d * d))))
        etf_m, hot_m, done = [], [], 0
        while done < seeds:
            b = min(chunk, seeds - done)
            Zdot = gram_form_velocity(gaussian_factors(K, n, d, L, s, rng, seeds=b), K, n)
            etf_m.append(normalised_velocity_metric(Zdot, M))
            hot_m.append(normalised_velocity_metric(Zdot, Y))
            done += b
        out["etf"].append(np.concatenate(etf_m))
        out["one_hot"].append(np.concatenate(hot_m))
    return {k: np.stack(v) for k, v in out.items()}  # (len(ds), seeds)


def _extrapolated_constant(ds: np.ndarray, means: np.ndarray, ses: np.ndarray) -> tuple[float, float]:
    """Weighted fit ``d · E[metric] = c + b/d``; returns (c, standard error of c)."""
    y, e = ds * means, ds * ses
    X = np.stack([np.ones_like(ds), 1.0 / ds], axis=1) / e[:, None]
    coef, *_ = np.linalg.lstsq(X, y / e, rcond=None)
    cov = np.linalg.inv(X.T @ X)
    return float(coef[0]), float(np.sqrt(cov[0, 0]))


def velocity_alignment(ctx: Context, target: str, rate: float, scale: float, constant: str = "derived") -> Outcome:
    """Eq. 61 over a geometric grid of widths: fitted slope vs ``rate``, ``d·E`` vs the derived c."""
    ds = (64, 128, 256, 512) if ctx.thorough else (32, 64, 128, 256)
    seeds = 400 if ctx.thorough else 200
    n = N_PER_CLASS
    per_case, figures_data = [], []
    failures = []
    for K in ctx.K:
        for L in ctx.L:
            ctx.report(len(per_case) / (len(ctx.K) * len(ctx.L)), f"K={K} L={L}")
            data = _metric_samples(K, n, L, float(scale), ds, seeds, ctx.seed)[target]
            dd = np.array(ds, dtype=float)
            means, ses = data.mean(axis=1), data.std(axis=1, ddof=1) / np.sqrt(seeds)
            fit = loglog_fit(np.repeat(dd, seeds), data.ravel())
            c_pred = predicted_metric_constant(K, n, L, scale if constant == "derived" else 0.0)
            c_fit, c_se = _extrapolated_constant(dd, means, ses)
            slope_ok = abs(fit.slope - rate) <= SLOPE_TOL
            const_ok = abs(c_fit - c_pred) <= 3 * c_se + CONSTANT_RTOL * c_pred
            case = {"K": K, "n": n, "L": L, "s": scale, "d": list(ds), "seeds_per_d": seeds,
                    "mean_metric": means.tolist(), "stderr": ses.tolist(), "d_times_mean": (dd * means).tolist(),
                    "fit": fit.as_dict(), "claimed_rate": rate, "slope_ok": slope_ok,
                    "predicted_constant": c_pred, "extrapolated_constant": c_fit, "extrapolated_constant_se": c_se,
                    "constant_ok": const_ok}
            per_case.append(case)
            figures_data.append((K, L, dd, means, ses, fit, c_pred))
            if not (slope_ok and const_ok):
                failures.append(case)
    evidence = {"target": target, "claimed_rate": rate, "slope_tolerance": SLOPE_TOL,
                "constant_tolerance": f"3 standard errors + {CONSTANT_RTOL:.0%} of c", "cases": per_case}
    figs = [_figure(figures_data, target, scale)] if target == "etf" and constant == "derived" else []
    if failures:
        f = failures[0]
        return Outcome(False, evidence, figures=figs, counterexample={
            "K": f["K"], "n": n, "L": f["L"], "s": scale, "target": target, "fitted_slope": f["fit"]["slope"],
            "claimed_rate": rate, "extrapolated_constant": f["extrapolated_constant"],
            "predicted_constant": f["predicted_constant"], "seed": ctx.seed})
    return Outcome(True, evidence, figures=figs)


def _figure(rows, target: str, scale: float):
    from reports.figures import render

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        for K, L, dd, means, ses, fit, c_pred in rows:
            line = ax.errorbar(dd, means, yerr=2 * ses, fmt="o", ms=4,
                               label=f"K={K}, L={L}: fitted slope {fit.slope:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}]")
            ax.plot(dd, c_pred / dd, ":", color=line[0].get_color(), lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("width d")
        ax.minorticks_off()
        ticks = rows[0][2]  # the widths
        ax.set_xticks(ticks, [str(int(x)) for x in ticks])
        ax.set_ylabel("Eq. 61 metric (mean, ±2 s.e.)")
        ax.legend(fontsize=7)

    return render(f"T4.5: normalised initial logit velocity vs the ETF (s = {scale:g})", draw,
                  "Markers: mean of Eq. 61 over seeds (±2 s.e.); dotted: derived c(K,n,L,s)/d; legend: pooled log-log OLS slope with 95% CI.")


CLAIM = Claim(
    id="T4.5",
    title="Large width and random initialisation align the initial logit velocity with the ETF",
    statement=("With W_l = s A_l, H = s A_0 and all entries i.i.d. N(0, 1/d), the logit velocity of Eq. 56 "
               "satisfies Ż/||Ż||_F -> (M_K ⊗ 1_n^T)/||M_K ⊗ 1_n^T||_F in probability as d -> ∞, s -> 0; "
               "the metric of Eq. 61 falls as d grows (derived here: like c(K,n,L,s)/d)."),
    latex=(r"\dot Z = -\sum_{j=0}^{L} A_{>j}A_{>j}^\top (P-Y) B_{<j}^\top B_{<j},\qquad "
           r"\Big\|\tfrac{\dot Z}{\|\dot Z\|_F} - \tfrac{M_K\otimes 1_n^\top}{\|M_K\otimes 1_n^\top\|_F}\Big\|_F^2"
           r" \xrightarrow{P} 0,\quad \mathbb E[\cdot] \simeq \frac{c(K,n,L,s)}{d}"),
    reference="Theorem 4.5, Sec. 4.4; proof App. D.6, Eq. (56); metric Eq. (61), App. E.1 (Figure 5)",
    domain=Domain(K_min=2, L_min=1),
    depends_on=("L-D.10", "L-D.11"),
    notes=("Finding: with N(0, 1/d) entries the logits are O(s^{L+1}/sqrt(d)), so the limit holds as d -> ∞ at "
           "ANY fixed s; s -> 0 only removes the softmax term s^{2L+2}[(K-1)N-1]/(K² n (K-1)) from the "
           "constant (checked at s = 1.5).  The rate d^-1 and the constant c are derived in the module docstring; "
           "the paper states no rate."),
    checks=(
        Check(
            name="small_scale_softmax_limit", level=Level.SYMBOLIC, fn=softmax_small_scale,
            description=("sympy series in t of softmax(t z)_c for symbolic logits: zeroth order 1/K, first order "
                         "(z_c - z̄)/K; and (1/K) 1 1^T - I_K = -M_K, so P - Y -> -(M_K ⊗ 1_n^T) as the logits shrink."),
            precision="exact (sympy)",
            statement={"zeroth_order": "uniform"},
            control={"zeroth_order": "one_hot"},
            control_description="claims the softmax tends to the one-hot labels (P -> Y, the large-scale limit) instead of uniform",
            K=(2, 3, 4, 5), L=(1,),
        ),
        Check(
            name="small_scale_residual_orders", level=Level.NUMERIC, fn=small_scale_residual_orders,
            description=("fixed Gaussian A's (d = 16), s^{L+1} from 1e-4 to 1e-2: log-log slope of ||P - Y + M_K ⊗ 1_n^T||_F "
                         "is L+1 (the logits are s^{L+1} A_L...A_0) and, after subtracting the first-order term "
                         "(1/K) M_K Z, at least 2(L+1) (exactly 2(L+1) for K >= 3; 3(L+1) for K = 2, where the "
                         "second-order softmax term vanishes)."),
            precision="float64; |slope - (L+1)| <= 0.05, first-order residual slope >= 2(L+1) - 0.1",
            statement={"logit_order": "L+1"},
            control={"logit_order": "L"},
            control_description="claims the logits (hence P - 1/K) scale like s^L (forgetting that H is scaled too)",
            K=(2, 3, 4), L=(1, 2, 3),
        ),
        Check(
            name="eq56_three_independent_routes", level=Level.NUMERIC, fn=eq56_routes,
            description=("Eq. 56 from the two Gram matrices vs numerics.deep_ufm.logit_velocity (assembled from the "
                         "factor gradients), vs torch reverse-mode gradients + forward-mode jvp of the logits along "
                         "-grad, vs central finite differences of the loss and of the logits; d in {3, 7}, s in {0.5, 2}."),
            precision="float64; rel. max error <= 1e-12 (deep_ufm, autograd), <= 1e-6 (finite differences, h = 1e-5)",
            statement={"terms": "all"},
            control={"terms": "weights_only"},
            control_description="Eq. 56 without the j = 0 term (features H treated as frozen)",
            K=(2, 4), L=(1, 3),
        ),
        Check(
            name="eq56_random_shapes", level=Level.FUZZ, fn=eq56_fuzz,
            description="hypothesis over K, n <= 3, L, d <= 9, s in [0.05, 3] and the seed: Eq. 56 vs torch autograd + jvp",
            precision="float64, rel. max error <= 1e-11",
            statement={"terms": "all"},
            control={"terms": "weights_only"},
            control_description="Eq. 56 without the j = 0 term (features H treated as frozen)",
            K=(2, 3, 4, 5, 8), L=(1, 2, 3, 4),
        ),
        Check(
            name="etf_alignment_rate", level=Level.NUMERIC, fn=velocity_alignment,
            description=("Eq. 61 against M_K ⊗ 1_n^T over d in {32..256} (thorough: {64..512}), 200 seeds per d "
                         "(thorough 400), n = 2, s = 0.01: pooled log-log OLS slope (95% t-interval) must be within "
                         "0.15 of -1, and d·E[metric] extrapolated to d = ∞ (fit c + b/d) must match the derived c."),
            precision="float64 Monte Carlo; slope tol 0.15; constant tol 3 s.e. + 8%",
            statement={"target": "etf", "rate": -1.0, "scale": 0.01},
            control={"target": "one_hot", "rate": -1.0, "scale": 0.01},
            control_description="predicts the one-hot labels Y as the limit direction (same samples): the metric does not fall",
            K=(4,), L=(1, 2), thorough_K=(3, 4, 8), thorough_L=(1, 2, 3),
        ),
        Check(
            name="metric_rate_exponent", level=Level.NUMERIC, fn=velocity_alignment,
            description="same samples as etf_alignment_rate; the claimed exponent is the one derived (-1)",
            precision="float64 Monte Carlo; slope tol 0.15; constant tol 3 s.e. + 8%",
            statement={"target": "etf", "rate": -1.0, "scale": 0.01},
            control={"target": "etf", "rate": -0.5, "scale": 0.01},
            control_description="claims the metric falls like d^-1/2 (the rate of the Gram deviations, not of their square)",
            K=(4,), L=(1, 2), thorough_K=(3, 4, 8), thorough_L=(1, 2, 3),
        ),
        Check(
            name="finite_scale_constant", level=Level.NUMERIC, fn=velocity_alignment,
            description=("s = 1.5 (no s -> 0): the metric still falls like 1/d, with the constant c(K,n,L,s) that "
                         "includes the first-order softmax term s^{2L+2}[(K-1)N-1]/(K² n (K-1))."),
            precision="float64 Monte Carlo; slope tol 0.15; constant tol 3 s.e. + 8%",
            statement={"target": "etf", "rate": -1.0, "scale": 1.5, "constant": "derived"},
            control={"target": "etf", "rate": -1.0, "scale": 1.5, "constant": "s_to_zero"},
            control_description="uses the s -> 0 constant (Gram part only) at s = 1.5",
            K=(4,), L=(1,), thorough_K=(3, 4), thorough_L=(1, 2),
        ),
    ),
)
