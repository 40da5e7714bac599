"""L-D.11 (App. D.7): Gram matrices of products of random layers concentrate on the identity.

Statement (rebuilt; the formulas did not survive).  Let ``A_0`` (d x N), ``A_1 .. A_{L-1}``
(d x d) and ``A_L`` (K x d) have i.i.d. ``N(0, 1/d)`` entries, and ``A_{>j} = A_L ... A_{j+1}``,
``B_{<j} = A_{j-1} ... A_0``.  With K, N, L fixed, as ``d -> ∞``, for every j = 0..L,

    B_{<j}^T B_{<j} -> I_N,     A_{>j} A_{>j}^T -> I_K     in probability.

The paper states the lemma without proof (App. D.7) and quotes it in the proof of Theorem 4.5.
Proof mirrored here.  ``A_0 = A_0 E`` with ``E = [I_N; 0]`` orthonormal, and ``A_{>j}^T`` is a
product of transposed layers (again i.i.d. ``N(0, 1/d)``) applied to ``[I_K; 0]``; so both
follow from j (resp. L - j) applications of Lemma D.10, starting from ``X^T X = I``.
Made quantitative: Lemma D.10's exact conditional covariance
``Cov(Q_ab, Q_ce | X) = (G_ac G_be + G_ae G_bc)/d`` gives, for ``a = E(tr G)²`` and
``b = E||G||_F²``, the exact one-layer map ``(a, b) -> (a + 2b/d, b + (a+b)/d)``; since ``E G = I``
(tower property), ``E||G - I||_F² = b - N`` *exactly* at every d.  In closed form (the eigenvalues of
the map are ``1 + 2/d`` and ``1 - 1/d``), after j layers

    E||G_j - I_N||_F² = (α_j - 1) N + β_j N (N + 1),   α_j = (2(1-1/d)^j + (1+2/d)^j)/3,
    β_j = ((1+2/d)^j - (1-1/d)^j)/3,   so   d · E||G_j - I_N||_F² -> j N (N + 1):

the deviation falls like ``d^{-1/2}`` and its square grows linearly with the number of layers.
The symbolic check proves the covariance (row form, symbolic d), the (a, b) map (symbolic 3 x 3
Gram), the closed form by induction and its leading term for symbolic j and N, and the N = 1 case
against products of ``χ²_d/d``; the numeric check finds Monte Carlo second moments consistent with
the exact values and fits the rate.  Convergence in probability from the second moments is
Chebyshev's inequality (not machine-checked).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from numerics.random_init import (
    gaussian_expectation,
    gram_covariance_expr,
    gram_tensor_coefficients,
    gaussian_factors,
    left_grams,
    loglog_fit,
    product_gram_second_moment,
    right_grams,
)

N_PER_CLASS = 1
SLOPE_TOL = 0.1
Z_TOL = 4.0
# Squared deviations of products are heavy-tailed (sample kurtosis ~40 at d = 64 for 2 x 2 Grams of
# 4-layer products), so the sample standard error understates the Monte Carlo error: allow 10% on top.
REL_TOL = 0.10
DS, DS_THOROUGH = (32, 64, 128, 256), (32, 64, 128, 256, 512)
SEEDS, SEEDS_THOROUGH = 200, 400
SYMBOLIC_DEPTHS = tuple(range(0, 7))  # the numerics recursion against the closed form at these depths ...
SYMBOLIC_SIZES = (1, 2, 3, 7)  # ... and sizes
BOUND_FACTOR = 6.0
FUZZ_D = (128, 512)


# --------------------------------------------------------------------------- symbolic
def exact_second_moments(ctx: Context, covariance: str) -> Outcome:
    """sympy: a layer's covariance, the (a, b) map, its closed form for every depth, d·E||G_j - I||² -> j N(N+1)."""
    d = sp.Symbol("d", positive=True)
    j, N = sp.symbols("j N", positive=True, integer=True)
    failures, facts, not_shown = [], [], []
    # (1) row form, symbolic d: Q = Σ_{r<=d} u_r u_r^T, u_r = R^T ξ_r, ξ_r ~ N(0, I_m/d): d i.i.d. rows
    #     (every index pattern and m: Lemma D.10's check; here m = 2)
    m = 2
    xi = sp.symbols(f"xi0:{m}")
    R = sp.Matrix(m, m, lambda i, k: sp.Symbol(f"r{i}{k}"))
    G = R.T * R
    u = R.T * sp.Matrix(xi)
    pairs = [(a, b) for a in range(m) for b in range(a, m)]
    for (a, b) in pairs:
        for (c, e) in pairs:
            cov1 = gaussian_expectation(u[a] * u[b] * u[c] * u[e], xi, 1 / d) \
                - gaussian_expectation(u[a] * u[b], xi, 1 / d) * gaussian_expectation(u[c] * u[e], xi, 1 / d)
            resid = sp.expand(d * cov1 - gram_covariance_expr(G, a, b, c, e, d, covariance))
            if resid != 0:
                failures.append({"fact": "Cov(Q_ab, Q_ce | X)", "entries": [a, b, c, e], "residual": str(resid)[:200],
                                 "covariance_claim": covariance})
    facts.append(f"Cov(Q_ab, Q_ce|X) as claimed ({covariance}), symbolic d, m = {m}")
    # (2) the (a, b) map from the claimed covariance, for a symbolic symmetric 3 x 3 Gram
    g = sp.Matrix(3, 3, lambda i, k: sp.Symbol(f"g{min(i, k)}{max(i, k)}"))
    cov = lambda a_, b_, c_, e_: gram_covariance_expr(g, a_, b_, c_, e_, d, covariance)  # noqa: E731
    tr2 = g.trace() ** 2 + sum(cov(a_, a_, c_, c_) for a_ in range(3) for c_ in range(3))
    fro2 = sum(g[a_, b_] ** 2 + cov(a_, b_, a_, b_) for a_ in range(3) for b_ in range(3))
    fro_g = sum(g[a_, b_] ** 2 for a_ in range(3) for b_ in range(3))
    if sp.expand(tr2 - (g.trace() ** 2 + 2 * fro_g / d)) != 0 or \
            sp.expand(fro2 - (fro_g + (g.trace() ** 2 + fro_g) / d)) != 0:
        failures.append({"fact": "(a, b) -> (a + 2b/d, b + (a+b)/d)", "covariance_claim": covariance,
                         "E(trQ)^2": str(sp.expand(tr2)), "E||Q||^2": str(sp.expand(fro2))})
    facts.append("E[(tr Q)²|X] = (tr G)² + 2||G||²/d, E[||Q||²|X] = ||G||² + ((tr G)² + ||G||²)/d")
    # (3) closed form for symbolic depth j and size N, by induction on the (a, b) map
    def ab(depth):
        al, be = gram_tensor_coefficients(depth, d)
        return al * N**2 + 2 * be * N, al * N + be * (N**2 + N)  # E(tr G)², E||G||² from the tensor
    a0, b0 = ab(0)
    aj, bj = ab(j)
    a1, b1 = (sp.expand_power_exp(sp.expand(x)) for x in ab(j + 1))
    if sp.simplify(a0 - N**2) != 0 or sp.simplify(b0 - N) != 0 or \
            sp.simplify(sp.expand_power_exp(aj + 2 * bj / d) - a1) != 0 or \
            sp.simplify(sp.expand_power_exp(bj + (aj + bj) / d) - b1) != 0:
        not_shown.append({"fact": "closed form of the (a, b) recursion (induction on j)"})
    lead = sp.limit(d * (bj - N), d, sp.oo)
    if sp.simplify(lead - j * N * (N + 1)) != 0:
        not_shown.append({"fact": "d·E||G_j - I||² -> j N(N+1)", "limit": str(lead)})
    facts.append(f"E||G_j - I||² = {sp.simplify(bj - N)} for every j, N, d (induction); d·E -> {sp.factor(lead)}")
    # the float recursion of numerics.random_init against the closed form
    for depth in SYMBOLIC_DEPTHS:
        for size in SYMBOLIC_SIZES:
            exact = sp.expand((ab(depth)[1] - N).subs({N: size, d: 7}))  # an exact rational
            got = product_gram_second_moment(size, depth, sp.Integer(7))  # exact rational arithmetic
            if sp.expand(got - exact) != 0:
                failures.append({"fact": "numerics.product_gram_second_moment", "size": size, "depth": depth, "d": 7,
                                 "recursion": str(got), "closed_form": str(exact)})
    facts.append(f"numerics.product_gram_second_moment = closed form at d = 7, depths {SYMBOLIC_DEPTHS}, sizes {SYMBOLIC_SIZES}")
    # (4) N = 1 cross-check: ||P e||² is a product of j independent χ²_d/d (rotation invariance);
    #     χ²_d moments from its moment generating function (1 - 2t)^(-d/2).
    t = sp.Symbol("t")
    mgf = (1 - 2 * t) ** (-d / 2)
    m1 = sp.expand(sp.diff(mgf, t).subs(t, 0) / d)  # E[χ²_d/d]
    m2 = sp.expand(sp.diff(mgf, t, 2).subs(t, 0) / d**2)  # E[(χ²_d/d)²]
    for depth in range(1, 5):
        scalar = sp.expand(m2**depth - 2 * m1**depth + 1)
        if sp.expand(scalar - (ab(depth)[1] - N).subs(N, 1)) != 0:
            failures.append({"fact": "N = 1: E(Π χ²/d - 1)² = closed form", "depth": depth, "chi_square": str(scalar)})
    facts.append("N = 1: E(Π_j χ²_d/d - 1)² = (1 + 2/d)^j - 1 equals the closed form, j = 1..4")
    ev = {"facts": facts, "covariance_claim": covariance, "not_shown": not_shown}
    if failures:  # polynomial identities compared after expansion, or exact rationals: a disproof
        return Outcome.refuted(failures[0], ev)
    if not_shown:  # identities in the symbolic depth j (powers (1 + 2/d)^j) sympy did not reduce: not a disproof
        return Outcome.undecided(f"not shown by sympy: {[f['fact'] for f in not_shown]}", ev)
    return Outcome.held(ev)


# --------------------------------------------------------------------------- numeric
@lru_cache(maxsize=16)
def _gram_deviations(K: int, n: int, L: int, ds: tuple, seeds: int, seed: int) -> dict:
    """Squared Frobenius deviations of every right and left Gram of the T4.5 factors (s = 1)."""
    N = K * n
    right, left = [], []
    for d in ds:
        rng = np.random.default_rng([seed, 511, K, n, L, d])
        chunk = max(1, min(seeds, int(4e6 // (d * d * max(1, L - 1)))))
        r_d, l_d, done = [], [], 0
        while done < seeds:
            b = min(chunk, seeds - done)
            F = gaussian_factors(K, n, d, L, 1.0, rng, seeds=b)
            rg, lg = right_grams(F), left_grams(F)
            r_d.append(np.stack([np.sum((rg[j] - np.eye(N)) ** 2, axis=(-2, -1)) for j in range(1, L + 1)], -1))
            l_d.append(np.stack([np.sum((lg[j] - np.eye(K)) ** 2, axis=(-2, -1)) for j in range(0, L)], -1))
            done += b
        right.append(np.concatenate(r_d))
        left.append(np.concatenate(l_d))
    return {"right": np.stack(right), "left": np.stack(left)}  # (len(ds), seeds, L)


def product_grams(ctx: Context, variance_model: str) -> Outcome:
    """Every Gram of Thm 4.5's products: the claimed second moment at each d and pooled, and rate -1/2."""
    ds = DS_THOROUGH if ctx.thorough else DS
    seeds = SEEDS_THOROUGH if ctx.thorough else SEEDS
    cases, failures, fig_rows = [], [], []
    dd = np.array(ds, dtype=float)
    pairs = ctx.KL_pairs()
    for i, (K, L) in enumerate(pairs):
        ctx.report(i / len(pairs), f"K={K} L={L}")
        N = K * N_PER_CLASS
        data = _gram_deviations(K, N_PER_CLASS, L, ds, seeds, ctx.seed)
        sides = [("B_<j^T B_<j", "right", N, j, j - 1) for j in range(1, L + 1)] + \
                [("A_>j A_>j^T", "left", K, L - j, j) for j in range(0, L)]
        for label, side, size, depth, col in sides:
            sq = data[side][:, :, col]  # squared Frobenius deviations, (len(ds), seeds)
            predicted = np.array([product_gram_second_moment(size, depth, d, variance_model) for d in dd])
            mean, se = sq.mean(axis=1), sq.std(axis=1, ddof=1) / np.sqrt(seeds)
            z = (mean - predicted) / se
            # pooled over d: the ratio measured / claimed is 1 at every d
            ratio = sq / predicted[:, None]
            r_mean, r_se = float(ratio.mean()), float(ratio.std(ddof=1) / np.sqrt(ratio.size))
            fit = loglog_fit(np.repeat(dd, seeds), np.sqrt(sq).ravel())
            within = np.abs(mean - predicted) <= Z_TOL * se + REL_TOL * predicted
            pooled_ok = abs(r_mean - 1) <= Z_TOL * r_se + REL_TOL
            ok = bool(np.all(within)) and pooled_ok and abs(fit.slope + 0.5) <= SLOPE_TOL
            case = {"K": K, "N": N, "L": L, "gram": label, "j": (depth if side == "right" else L - depth),
                    "layers": depth, "d": list(ds), "mean_sq_dev": mean.tolist(), "claimed_sq_dev": predicted.tolist(),
                    "z_scores": z.tolist(), "relative_error": (mean / predicted - 1).tolist(),
                    "pooled_ratio": r_mean, "pooled_ratio_se": r_se, "d_times_mean_sq_dev": (dd * mean).tolist(),
                    "leading_constant_layers_x_size_x_(size+1)": depth * size * (size + 1),
                    "fit_frobenius": fit.as_dict(), "ok": ok}
            cases.append(case)
            fig_rows.append((K, L, label, depth, dd, np.sqrt(mean), np.sqrt(predicted), fit))
            if not ok:
                failures.append(case)
    ev = {"variance_model": variance_model, "seeds_per_d": seeds, "n": N_PER_CLASS,
          "second_moment_tolerance": {"standard_errors": Z_TOL, "relative": REL_TOL, "also_pooled_over_d": True},
          "slope_tolerance": SLOPE_TOL, "cases": cases}
    figs = _figure(fig_rows) if variance_model == "exact" else []
    if failures:
        f = failures[0]
        worst = int(np.argmax(np.abs(f["z_scores"])))
        return Outcome.refuted({
            "K": f["K"], "N": f["N"], "L": f["L"], "gram": f["gram"], "layers": f["layers"], "d": ds[worst],
            "z": f["z_scores"][worst], "pooled_ratio": f["pooled_ratio"], "fitted_slope": f["fit_frobenius"]["slope"],
            "variance_model": variance_model, "seed": ctx.seed, "rng": "numpy default_rng([seed, 511, K, n, L, d])"},
            ev, figures=figs)
    return Outcome.held(ev, figures=figs)


def _figure(rows):
    from reports.figures import render

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        for K, L, label, depth, dd, rms, exact, fit in rows:
            if label.startswith("A"):
                continue
            line = ax.plot(dd, rms, "o", ms=4, label=f"K={K}, L={L}, {depth} layer(s): fitted slope {fit.slope:.3f}")
            ax.plot(dd, exact, ":", color=line[0].get_color(), lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("width d")
        ax.minorticks_off()
        ticks = rows[0][4]  # the widths
        ax.set_xticks(ticks, [str(int(x)) for x in ticks])
        ax.set_ylabel("rms ||B_<j^T B_<j - I_N||_F")
        ax.legend(fontsize=7)

    return [render("L-D.11: Grams of random products concentrate on I", draw,
                   "Right Grams B_<j^T B_<j of the Theorem 4.5 factors (n = 1); markers: Monte Carlo rms; dotted: exact rms from the second-moment recursion.")]


# --------------------------------------------------------------------------- fuzz
def product_bound_fuzz(ctx: Context, rate: float) -> Outcome:
    """Hypothesis over K, n, L, d, seed: every Gram within 6 sqrt(layers·size(size+1)) d^{rate} of I."""
    strategy = st.tuples(st.sampled_from(ctx.K), st.integers(1, 2), st.sampled_from(ctx.L),
                         st.integers(*FUZZ_D), st.integers(0, 2**31 - 1))
    worst = [0.0]

    def prop(x):
        K, n, L, d, seed = x
        N = K * n
        F = gaussian_factors(K, n, d, L, 1.0, np.random.default_rng(seed))
        rg, lg = right_grams(F), left_grams(F)
        checks = [(np.linalg.norm(rg[j] - np.eye(N)), j, N, f"B_<{j}") for j in range(1, L + 1)] + \
                 [(np.linalg.norm(lg[j] - np.eye(K)), L - j, K, f"A_>{j}") for j in range(0, L)]
        for dev, layers, size, name in checks:
            scale = np.sqrt(layers * size * (size + 1))
            worst[0] = max(worst[0], dev / (scale / np.sqrt(d)))
            bound = BOUND_FACTOR * scale * d**rate
            if dev > bound:
                return False, {"gram": name, "deviation": float(dev), "bound": float(bound)}
        return True, {}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "bound_factor": BOUND_FACTOR, "claimed_rate": rate,
          "bound": "bound_factor sqrt(layers size (size+1)) d^rate", "d_range": FUZZ_D,
          "max_deviation_over_leading_rms": worst[0]}
    if r.holds:
        return Outcome.held(ev)
    K, n, L, d, seed = r.counterexample
    return Outcome.refuted({"K": K, "n": n, "L": L, "d": d, "seed": seed, "claimed_rate": rate, **r.detail}, ev)


_MC_SERVES = Serves(K_max=16, L_max=6, K_max_thorough=32, L_max_thorough=8,
                    what="Monte Carlo of the direct d x d products, d <= 256 (512 thorough)", cost="seeds x L d³")

CLAIM = Claim(
    id="L-D.11",
    title="Gram matrices of products of random layers concentrate on the identity",
    statement=("With A_0 (d x N), A_1..A_{L-1} (d x d), A_L (K x d) i.i.d. N(0, 1/d): for every j, "
               "B_<j^T B_<j -> I_N and A_>j A_>j^T -> I_K in probability as d -> ∞ (K, N, L fixed); "
               "quantitatively d·E||B_<j^T B_<j - I_N||_F² -> j N(N+1) and d·E||A_>j A_>j^T - I_K||_F² -> (L-j) K(K+1)."),
    latex=(r"B_{<j}^\top B_{<j} \xrightarrow{P} I_N,\ A_{>j}A_{>j}^\top \xrightarrow{P} I_K,\quad "
           r"d\,\mathbb E\|B_{<j}^\top B_{<j} - I_N\|_F^2 \to jN(N+1)"),
    reference="Lemma D.11, App. D.7 (stated without proof; quoted in the proof of Theorem 4.5, App. D.6)",
    domain=Domain(K_min=2, L_min=1),
    depends_on=("L-D.10",),
    parts=(
        Part("moments", "E||G_j - I||_F² exact for every d (the (a, b) recursion), -> layers·size(size+1)/d"),
        Part("convergence", "B_<j^T B_<j -> I_N and A_>j A_>j^T -> I_K in probability as d -> ∞"),
    ),
    uncovered=("convergence: from the exact second moment by Chebyshev's inequality (one line), not machine-checked",),
    checks=(
        Check(
            name="exact_second_moment_recursion", level=Level.SYMBOLIC, fn=exact_second_moments,
            description=("sympy: one layer's conditional covariance (row form, symbolic d, m = 2; every m: L-D.10's "
                         "check), the exact map "
                         "(a, b) -> (a + 2b/d, b + (a+b)/d) for a = E(tr G)², b = E||G||² (symbolic 3 x 3 Gram), its "
                         "closed form for symbolic depth j and size N (induction) with d·E||G_j - I||² -> j N(N+1), "
                         "numerics.product_gram_second_moment against it, and the N = 1 case against products of "
                         "χ²_d/d (moments from the χ² MGF)."),
            precision="exact (sympy)",
            statement={"covariance": "isserlis"},
            control={"covariance": "chi_square"},
            control_description="claims each layer multiplies the Gram by a scalar χ²_d/d: Cov(Q_ab, Q_ce|X) = 2 G_ab G_ce/d",
            control_why=("for N = 1 the Gram of a product IS a product of χ²_d/d (and this control passes the N = 1 "
                         "cross-check); generalising that picture to N > 1 is the natural slip"),
            serves=Serves(what="sympy, symbolic depth, size and d", cost="nothing grows: fixed expansions"),
            covers=("moments", "convergence"), for_all="all N, K, depths, d", method="Gaussian moments + induction",
        ),
        Check(
            name="product_grams_concentrate", level=Level.NUMERIC, fn=product_grams,
            description=(f"every right Gram B_<j^T B_<j and left Gram A_>j A_>j^T of the Theorem 4.5 factors, d in "
                         f"{{{DS[0]}..{DS[-1]}}} (thorough ..{DS_THOROUGH[-1]}), {SEEDS} seeds per d (thorough "
                         f"{SEEDS_THOROUGH}): mean squared deviation consistent with the exact value at each d and "
                         f"pooled over d (within {Z_TOL:g} s.e. + {REL_TOL:.0%}: heavy tails) and pooled log-log slope of "
                         f"the deviation within {SLOPE_TOL} of -1/2."),
            precision=f"float64 Monte Carlo; second moment within {Z_TOL:g} s.e. + {REL_TOL:.0%}; slope tol {SLOPE_TOL}",
            statement={"variance_model": "exact"},
            control={"variance_model": "scalar_chi_square"},
            control_description="claims E||G_j - I||² = size ((1 + 2/d)^j - 1) (each layer a scalar χ²_d/d; (size+1)/2 times too small)",
            control_why=("exact for size 1 (a single column's squared norm is a product of χ²_d/d); the natural slip is "
                         "to scale it by the size, missing the off-diagonal fluctuations"),
            K=(3,), L=(3,), thorough_K=(2, 4), thorough_L=(1, 2, 4),
            serves=_MC_SERVES, covers=("moments", "convergence"), method="Monte Carlo",
        ),
        Check(
            name="deviation_grows_with_depth", level=Level.NUMERIC, fn=product_grams,
            description="same draws as product_grams_concentrate; the squared deviation adds up over the layers",
            precision=f"float64 Monte Carlo; second moment within {Z_TOL:g} s.e. + {REL_TOL:.0%}; slope tol {SLOPE_TOL}",
            statement={"variance_model": "exact"},
            control={"variance_model": "one_layer"},
            control_description="claims E||Gram - I||² = size(size+1)/d whatever the number of layers",
            control_why=("each layer preserves the Gram in mean (Lemma D.10), so one may think the fluctuation does not "
                         "accumulate; it does. The two agree for one layer, so the check serves L >= 2"),
            K=(3,), L=(3,), thorough_K=(2, 4), thorough_L=(2, 4),
            serves=Serves(K_max=16, L_min=2, L_max=6, K_max_thorough=32, L_max_thorough=8,
                          what="Monte Carlo of the direct products (the control equals the statement at L = 1)",
                          cost="seeds x L d³"),
            covers=("moments",), method="Monte Carlo",
        ),
        Check(
            name="product_gram_bound", level=Level.FUZZ, fn=product_bound_fuzz,
            description=(f"hypothesis over K, n <= 2, L, d in {list(FUZZ_D)} and the seed: every Gram of the Theorem 4.5 "
                         f"products within {BOUND_FACTOR:g} sqrt(layers·size(size+1)/d) of the identity (Frobenius)."),
            precision=(f"float64; {BOUND_FACTOR:g} x the leading-order rms (Chebyshev alone bounds a false alarm by "
                       f"~1/{BOUND_FACTOR**2:g} per Gram; the largest ratio seen is in the evidence)"),
            statement={"rate": -0.5},
            control={"rate": -1.0},
            control_description="the same bound with d^-1 instead of d^-1/2",
            control_why="the nearest wrong rate: the squared deviation falls like 1/d, the deviation does not",
            K=(2, 3, 4), L=(1, 2, 3),
            serves=Serves(K_max=16, L_max=6, what="hypothesis over direct products, d <= 512",
                          cost="examples x L d³"),
            covers=("convergence",), method="hypothesis",
        ),
    ),
)
