"""T4.5, steps (1) and (3): Eq. 56 is the chain rule, and the softmax residual tends to -(M_K ⊗ 1_n^T).

(1) ``Ż = Σ_j A_{>j} Ḟ_j B_{<j}`` with ``Ḟ_j = -A_{>j}^T (P - Y) B_{<j}^T``: Eq. 56 from the Gram
matrices (:func:`numerics.random_init.gram_form_velocity`) against three routes that share no code
with it: :func:`numerics.deep_ufm.logit_velocity` (factor gradients), torch reverse-mode gradients +
a forward-mode derivative, and central finite differences only.
(3) ``softmax(t z)_c = 1/K + t (z_c - z̄)/K + O(t²)`` for a symbolic number K of classes (sympy
``Sum``), so ``P - Y -> (1/K) 1 1^T - Y = -(M_K ⊗ 1_n^T)`` as the logits ``Z = s^{L+1} A_L ... A_0``
shrink, with first-order term ``(1/K) M_K Z``; the float64 residual orders s^{L+1} and s^{2(L+1)}.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Context, Outcome
from numerics.deep_ufm import etf, logit_velocity, one_hot
from numerics.random_init import (
    DeltaPoly,
    autograd_logit_velocity,
    batched_logits,
    etf_logit_direction,
    finite_difference_logit_velocity,
    gaussian_factors,
    gram_form_velocity,
    loglog_fit,
)
from numerics.softmax import softmax

N_PER_CLASS = 2  # n in the Eq. 56 comparisons and the residual orders
ROUTE_TOLS = {"deep_ufm": 1e-12, "autograd": 1e-12, "finite_difference": 1e-6}
FD_STEP = 1e-5
ROUTE_SHAPES = ((3, 0.5), (7, 2.0))  # (d, s): a narrow (d < K when K = 4) and a wider case; two scales
FUZZ_RTOL = 1e-11
RESIDUAL_D = 16
RESIDUAL_LOGIT_NORMS = (1e-4, 1e-2, 6)  # |Z| ~ s^{L+1} from 1e-4 to 1e-2 (6 points): above rounding
RESIDUAL_SLOPE_TOL = 0.05
RESIDUAL_SECOND_TOL = 0.1


# --------------------------------------------------------------------------- (1) Eq. 56
def eq56_routes(ctx: Context, terms: str) -> Outcome:
    """Eq. 56 (Gram form) vs factor-gradient assembly vs torch autograd+jvp vs finite differences."""
    rows = []
    worst = {name: 0.0 for name in ROUTE_TOLS}
    for K, L in ctx.KL_pairs():
        ctx.report(len(rows) / (3 * len(ROUTE_SHAPES) * len(ctx.KL_pairs())), f"K={K} L={L}")
        for d, s in ROUTE_SHAPES:
            rng = ctx.rng(1000 * K + 10 * L + d)
            F = gaussian_factors(K, N_PER_CLASS, d, L, s, rng)
            claimed = gram_form_velocity(F, K, N_PER_CLASS, terms=terms)
            routes = {
                "deep_ufm": logit_velocity(F, K, N_PER_CLASS),
                "autograd": autograd_logit_velocity(F, K, N_PER_CLASS),
                "finite_difference": finite_difference_logit_velocity(F, K, N_PER_CLASS, h=FD_STEP),
            }
            for name, ref in routes.items():
                err = float(np.max(np.abs(claimed - ref)) / np.max(np.abs(ref)))
                worst[name] = max(worst[name], err)
                rows.append({"K": K, "L": L, "d": d, "s": s, "route": name, "rel_err": err})
                if err > ROUTE_TOLS[name]:
                    return Outcome.refuted({"K": K, "n": N_PER_CLASS, "L": L, "d": d, "s": s, "seed": ctx.seed,
                                            "salt": 1000 * K + 10 * L + d, "route": name, "rel_err": err,
                                            "terms": terms},
                                           {"worst_rel_err": worst, "tolerances": ROUTE_TOLS, "fd_step": FD_STEP})
    return Outcome.held({"worst_rel_err": worst, "tolerances": ROUTE_TOLS, "fd_step": FD_STEP,
                         "shapes_(d,s)": ROUTE_SHAPES, "n": N_PER_CLASS, "cases": len(rows) // 3})


def eq56_fuzz(ctx: Context, terms: str) -> Outcome:
    """Hypothesis over (K, n, L, d, s, seed): Eq. 56 against torch autograd + jvp."""
    n_max, d_max, s_range = 3, 9, (0.05, 3.0)
    strategy = st.tuples(st.sampled_from(ctx.K), st.integers(1, n_max), st.sampled_from(ctx.L),
                         st.integers(1, d_max), st.floats(*s_range), st.integers(0, 2**31 - 1))
    worst = [0.0]

    def prop(x):
        K, n, L, d, s, seed = x
        F = gaussian_factors(K, n, d, L, s, np.random.default_rng(seed))
        claimed = gram_form_velocity(F, K, n, terms=terms)
        ref = autograd_logit_velocity(F, K, n)
        err = float(np.max(np.abs(claimed - ref)) / np.max(np.abs(ref)))
        worst[0] = max(worst[0], err)
        return err <= FUZZ_RTOL, {"rel_err": err}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "rtol": FUZZ_RTOL, "worst_rel_err": worst[0],
          "ranges": {"K": list(ctx.K), "n": [1, n_max], "L": list(ctx.L), "d": [1, d_max], "s": list(s_range)}}
    if r.holds:
        return Outcome.held(ev)
    K, n, L, d, s, seed = r.counterexample
    return Outcome.refuted({"K": K, "n": n, "L": L, "d": d, "s": s, "seed": seed, "terms": terms, **r.detail}, ev)


# --------------------------------------------------------------------------- (3) the small-logit limit
def softmax_small_scale(ctx: Context, first_order: str) -> Outcome:
    """sympy, K symbolic: softmax(t z)_c = 1/K + t (z_c - z̄)/K + O(t²), and (1/K) - δ_kc = -(M_K)_kc."""
    t = sp.Symbol("t")
    K = sp.Symbol("K", positive=True, integer=True)
    z = sp.IndexedBase("z")
    k, c = sp.symbols("k c", integer=True)
    denom = sp.Sum(sp.exp(t * z[k]), (k, 1, K))
    p = sp.exp(t * z[c]) / denom
    p0 = sp.simplify(p.subs(t, 0).doit())
    p1 = sp.simplify(sp.diff(p, t).subs(t, 0).doit())
    zbar = sp.Sum(z[k], (k, 1, K)) / K
    claimed1 = (z[c] - zbar) / K if first_order == "centred" else z[c] / K  # "uncentred": a slip
    r0, r1 = sp.simplify(p0 - 1 / K), sp.simplify(p1 - claimed1)
    # column c of the limit of P - Y is (1/K) 1 - e_c; the claim: = -(M_K)_{:, c}, M_K = I - 1 1^T/K
    limit_residual = (DeltaPoly.const(1 / K) - DeltaPoly.delta("k", "c")) + (DeltaPoly.delta("k", "c") - 1 / K)
    ev = {"zeroth_order": str(p0), "first_order": str(p1), "claimed_first_order": str(claimed1),
          "residuals": [str(r0), str(r1)], "limit_residual_terms": len(limit_residual.terms), "K": "symbolic"}
    if r0 == 0 and r1 == 0 and not limit_residual.terms:
        return Outcome.held(ev)
    # a refutation needs an explicit instance: K = 3 classes, logits z = (1, 2, 5), class c = 1, exact
    instance = {K: 3, c: 1}, {z[1]: 1, z[2]: 2, z[3]: 5}
    values = [sp.nsimplify(r.subs(K, 3).doit().subs(instance[0]).subs(instance[1])) for r in (r0, r1)]
    ev["residuals at K = 3, z = (1, 2, 5), c = 1"] = [str(v) for v in values]
    if any(v.is_number and v != 0 for v in values):
        return Outcome.refuted({"first_order_claim": first_order, "residual_zeroth": str(r0), "residual_first": str(r1),
                                "K": 3, "z": [1, 2, 5], "c": 1, "residuals_there (exact)": [str(v) for v in values]}, ev)
    return Outcome.undecided("sympy did not reduce the residuals to 0 and the instance K = 3, z = (1, 2, 5) does not "
                             "separate them: not shown", ev)


def small_scale_residual_orders(ctx: Context, logit_order: str) -> Outcome:
    """float64: ||P - Y + M|| ~ s^{L+1} and, after the first-order term (1/K) M_K Z, ~ s^{2(L+1)}."""
    rows, failures = [], []
    lo, hi, points = RESIDUAL_LOGIT_NORMS
    for K, L in ctx.KL_pairs():
        ctx.report(len(rows) / len(ctx.KL_pairs()), f"K={K} L={L}")
        scales = np.geomspace(lo, hi, points) ** (1.0 / (L + 1))
        A = gaussian_factors(K, N_PER_CLASS, RESIDUAL_D, L, 1.0, ctx.rng(4500 + 10 * K + L))
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
        ok = abs(f1.slope - p) <= RESIDUAL_SLOPE_TOL and f2.slope >= 2 * p - RESIDUAL_SECOND_TOL
        rows.append({"K": K, "L": L, "claimed_order": p, "scales": scales.tolist(), "slope_zeroth_residual": f1.slope,
                     "slope_first_order_residual": f2.slope, "residual_at_smallest_s": [r1[0], r2[0]]})
        if not ok:
            failures.append(rows[-1])
    ev = {"d": RESIDUAL_D, "n": N_PER_CLASS, "logit_norms": [lo, hi], "points": points, "cases": rows,
          "slope_tolerance_zeroth": RESIDUAL_SLOPE_TOL, "slope_tolerance_first": RESIDUAL_SECOND_TOL}
    if failures:
        return Outcome.refuted({**failures[0], "seed": ctx.seed, "logit_order": logit_order}, ev)
    return Outcome.held(ev)
