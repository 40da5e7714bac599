"""L-D.11 (App. D.7): Gram matrices of products of random layers concentrate on the identity.

Statement (rebuilt; the formulas did not survive).  Let ``A_0`` (d x N), ``A_1 .. A_{L-1}``
(d x d) and ``A_L`` (K x d) have i.i.d. ``N(0, 1/d)`` entries, and ``A_{>j} = A_L ... A_{j+1}``,
``B_{<j} = A_{j-1} ... A_0``.  With K, N, L fixed, as ``d -> ∞``, for every j = 0..L,

    B_{<j}^T B_{<j} -> I_N,     A_{>j} A_{>j}^T -> I_K     in probability.

Proof mirrored here.  ``A_0 = A_0 E`` with ``E = [I_N; 0]`` orthonormal, and ``A_{>j}^T`` is a
product of transposed layers (again i.i.d. ``N(0, 1/d)``) applied to ``[I_K; 0]``; so both
follow from j (resp. L - j) applications of Lemma D.10, starting from ``X^T X = I``.
Made quantitative: Lemma D.10's exact conditional covariance
``Cov(Q_ab, Q_ce | X) = (G_ac G_be + G_ae G_bc)/d`` gives, for ``a = E(tr G)²`` and
``b = E||G||_F²``, the exact one-layer map ``(a, b) -> (a + 2b/d, b + (a+b)/d)``; since ``E G = I``
(tower property), ``E||G - I||_F² = b - N`` *exactly* at every d, and

    d · E ||B_{<j}^T B_{<j} - I_N||_F²  ->  j N (N + 1),   d · E ||A_{>j}A_{>j}^T - I_K||_F²  ->  (L - j) K (K + 1):

the deviation falls like ``d^{-1/2}`` and its square grows linearly with the number of layers.
The symbolic check proves the covariance (row form, symbolic d), the (a, b) map, and the
leading term ``j N(N+1)`` (and the N = 1 case against ``(χ²_d/d)`` products); the numeric check
finds Monte Carlo second moments consistent with the exact values and fits the rate.  Its tolerance
(4 s.e. + 10%, for heavy tails) is wider than the gap between the exact value and the leading order
``j N(N+1)/d`` (at most 4.8% on the ci grid K = 3, L = 3, d = 32..256), so it cannot tell them apart:
exactness at every d is established by the symbolic check only.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from numerics.random_init import (
    entry_variance_symbol,
    gaussian_expectation,
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


# --------------------------------------------------------------------------- symbolic
def exact_second_moments(ctx: Context, entry_variance: str) -> Outcome:
    """sympy: covariance of one random layer, the (a, b) map, E[G] = I, and d·E||G_j - I||² -> j N(N+1)."""
    d = sp.Symbol("d", positive=True)
    var = entry_variance_symbol(entry_variance, d)
    failures, facts = [], []
    # (1) row form, symbolic d: Q = Σ_{r<=d} u_r u_r^T, u_r = R^T ξ_r, ξ_r ~ N(0, var I_m): d i.i.d. rows.
    m = 2
    xi = sp.symbols(f"xi0:{m}")
    R = sp.Matrix(m, m, lambda i, j: sp.Symbol(f"r{i}{j}"))
    G = R.T * R
    u = R.T * sp.Matrix(xi)
    pairs = [(a, b) for a in range(m) for b in range(a, m)]
    for (a, b) in pairs:
        mean_ab = d * gaussian_expectation(u[a] * u[b], xi, var)
        if sp.expand(mean_ab - G[a, b]) != 0:
            failures.append({"fact": "E[Q|X] = X^T X", "entry": [a, b], "residual": str(sp.expand(mean_ab - G[a, b]))})
        for (c, e) in pairs:
            cov1 = gaussian_expectation(u[a] * u[b] * u[c] * u[e], xi, var) \
                - gaussian_expectation(u[a] * u[b], xi, var) * gaussian_expectation(u[c] * u[e], xi, var)
            resid = sp.expand(d * cov1 - (G[a, c] * G[b, e] + G[a, e] * G[b, c]) / d)  # polynomial identity
            if resid != 0:
                failures.append({"fact": "Cov(Q_ab, Q_ce | X)", "entries": [a, b, c, e], "residual": str(resid)[:200]})
    facts.append("E[Q|X] = G and Cov(Q_ab, Q_ce|X) = (G_ac G_be + G_ae G_bc)/d (symbolic d, m = 2)")
    # (2) the (a, b) map from that covariance, for a symbolic symmetric 3 x 3 Gram
    g = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"g{min(i, j)}{max(i, j)}"))
    cov = lambda a_, b_, c_, e_: (g[a_, c_] * g[b_, e_] + g[a_, e_] * g[b_, c_]) / d  # noqa: E731
    tr2 = g.trace() ** 2 + sum(cov(a_, a_, c_, c_) for a_ in range(3) for c_ in range(3))
    fro2 = sum(g[a_, b_] ** 2 + cov(a_, b_, a_, b_) for a_ in range(3) for b_ in range(3))
    fro_g = sum(g[a_, b_] ** 2 for a_ in range(3) for b_ in range(3))
    if sp.expand(tr2 - (g.trace() ** 2 + 2 * fro_g / d)) != 0 or \
            sp.expand(fro2 - (fro_g + (g.trace() ** 2 + fro_g) / d)) != 0:
        failures.append({"fact": "(a, b) -> (a + 2b/d, b + (a+b)/d)"})
    facts.append("E[(tr Q)²|X] = (tr G)² + 2||G||²/d, E[||Q||²|X] = ||G||² + ((tr G)² + ||G||²)/d")
    # (3) leading term of the exact recursion, symbolic N, depths 1..4
    N = sp.Symbol("N", positive=True, integer=True)
    for j in range(1, 5):
        lead = sp.limit(d * product_gram_second_moment_sym(N, j, d), d, sp.oo)
        if sp.expand(lead - j * N * (N + 1)) != 0:
            failures.append({"fact": "d·E||G_j - I||² -> j N(N+1)", "depth": j, "limit": str(lead)})
    facts.append("d·E||G_j - I||² -> j N (N+1) for j = 1..4 (symbolic N)")
    # (4) N = 1 cross-check: ||P e||² is a product of j independent var·χ²_d (rotation invariance);
    #     χ²_d moments from its moment generating function (1 - 2t)^(-d/2).
    t = sp.Symbol("t")
    mgf = (1 - 2 * t) ** (-d / 2)
    m1 = sp.expand(sp.diff(mgf, t).subs(t, 0) * var)  # E[var χ²_d]
    m2 = sp.expand(sp.diff(mgf, t, 2).subs(t, 0) * var**2)  # E[(var χ²_d)²]
    for j in range(1, 5):
        scalar = sp.expand(m2**j - 2 * m1**j + 1)
        if sp.expand(scalar - product_gram_second_moment_sym(1, j, d)) != 0:
            failures.append({"fact": "N = 1: E(Π χ²/d - 1)² = recursion", "depth": j, "chi_square": str(scalar)})
    facts.append("N = 1: E(Π_j χ²_d/d - 1)² = (1 + 2/d)^j - 1 equals the recursion, j = 1..4")
    ev = {"facts": facts, "entry_variance": entry_variance}
    if failures:
        return Outcome(False, ev, counterexample=failures[0])
    return Outcome(True, ev)


def product_gram_second_moment_sym(N, depth: int, d: sp.Symbol) -> sp.Expr:
    """The exact recursion of :func:`numerics.random_init.product_gram_second_moment` with symbolic N."""
    a, b = N**2, N
    for _ in range(depth):
        a, b = sp.expand(a + 2 * b / d), sp.expand(b + (a + b) / d)
    return sp.expand(b - N)


# --------------------------------------------------------------------------- numeric
@lru_cache(maxsize=64)
def _gram_deviations(K: int, n: int, L: int, entry_variance: str, ds: tuple, seeds: int, seed: int) -> dict:
    """Squared Frobenius deviations of every right and left Gram of the T4.5 factors (s = 1)."""
    N = K * n
    right, left = [], []
    for d in ds:
        rng = np.random.default_rng([seed, 511, K, n, L, d, len(entry_variance)])
        chunk = max(1, min(seeds, int(4e6 // (d * d * max(1, L - 1)))))
        r_d, l_d, done = [], [], 0
        while done < seeds:
            b = min(chunk, seeds - done)
            F = gaussian_factors(K, n, d, L, 1.0, rng, seeds=b, entry_variance=entry_variance)
            rg, lg = right_grams(F), left_grams(F)
            r_d.append(np.stack([np.sum((rg[j] - np.eye(N)) ** 2, axis=(-2, -1)) for j in range(1, L + 1)], -1))
            l_d.append(np.stack([np.sum((lg[j] - np.eye(K)) ** 2, axis=(-2, -1)) for j in range(0, L)], -1))
            done += b
        right.append(np.concatenate(r_d))
        left.append(np.concatenate(l_d))
    return {"right": np.stack(right), "left": np.stack(left)}  # (len(ds), seeds, L)


def product_grams(ctx: Context, entry_variance: str, variance_model: str) -> Outcome:
    """Every Gram of Thm 4.5's products: exact second moment at each d, and rate -1/2."""
    ds = (32, 64, 128, 256, 512) if ctx.thorough else (32, 64, 128, 256)
    seeds = 300 if ctx.thorough else 120
    cases, failures, fig_rows = [], [], []
    dd = np.array(ds, dtype=float)
    for K in ctx.K:
        for L in ctx.L:
            N = K * N_PER_CLASS
            data = _gram_deviations(K, N_PER_CLASS, L, entry_variance, ds, seeds, ctx.seed)
            sides = [("B_<j^T B_<j", "right", N, j, j - 1) for j in range(1, L + 1)] + \
                    [("A_>j A_>j^T", "left", K, L - j, j) for j in range(0, L)]
            for label, side, size, depth, col in sides:
                sq = data[side][:, :, col]  # squared Frobenius deviations, (len(ds), seeds)
                predicted = np.array([product_gram_second_moment(size, depth, d, variance_model) for d in dd])
                mean, se = sq.mean(axis=1), sq.std(axis=1, ddof=1) / np.sqrt(seeds)
                z = (mean - predicted) / se
                fit = loglog_fit(np.repeat(dd, seeds), np.sqrt(sq).ravel())
                within = np.abs(mean - predicted) <= Z_TOL * se + REL_TOL * predicted
                ok = bool(np.all(within)) and abs(fit.slope + 0.5) <= SLOPE_TOL
                case = {"K": K, "N": N, "L": L, "gram": label, "j": (depth if side == "right" else L - depth),
                        "layers": depth, "d": list(ds), "mean_sq_dev": mean.tolist(), "exact_sq_dev": predicted.tolist(),
                        "z_scores": z.tolist(), "relative_error": (mean / predicted - 1).tolist(), "d_times_mean_sq_dev": (dd * mean).tolist(),
                        "leading_constant_layers_x_size_x_(size+1)": depth * size * (size + 1),
                        "fit_frobenius": fit.as_dict(), "ok": ok}
                cases.append(case)
                fig_rows.append((K, L, label, depth, dd, np.sqrt(mean), np.sqrt(predicted), fit))
                if not ok:
                    failures.append(case)
    ev = {"entry_variance": entry_variance, "variance_model": variance_model, "seeds_per_d": seeds,
          "n": N_PER_CLASS, "second_moment_tolerance": f"{Z_TOL:g} s.e. + {REL_TOL:.0%} of the exact value",
          "slope_tolerance": SLOPE_TOL, "cases": cases}
    figs = _figure(fig_rows) if (entry_variance == "1/d" and variance_model == "exact") else []
    if failures:
        f = failures[0]
        worst = int(np.argmax(np.abs(f["z_scores"])))
        return Outcome(False, ev, figures=figs, counterexample={
            "K": f["K"], "N": f["N"], "L": f["L"], "gram": f["gram"], "layers": f["layers"], "d": ds[worst],
            "z": f["z_scores"][worst], "fitted_slope": f["fit_frobenius"]["slope"],
            "entry_variance": entry_variance, "variance_model": variance_model, "seed": ctx.seed})
    return Outcome(True, ev, figures=figs)


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
                         st.integers(128, 512), st.integers(0, 2**31 - 1))
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
            bound = 6.0 * scale * d**rate
            if dev > bound:
                return False, {"gram": name, "deviation": float(dev), "bound": float(bound)}
        return True, {}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "bound": f"6 sqrt(layers size (size+1)) d^{rate}",
          "max_deviation_over_leading_rms": worst[0]}
    if r.holds:
        return Outcome(True, ev)
    K, n, L, d, seed = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "n": n, "L": L, "d": d, "seed": seed, "claimed_rate": rate,
                                              **r.detail})


CLAIM = Claim(
    id="L-D.11",
    title="Gram matrices of products of random layers concentrate on the identity",
    statement=("With A_0 (d x N), A_1..A_{L-1} (d x d), A_L (K x d) i.i.d. N(0, 1/d): for every j, "
               "B_<j^T B_<j -> I_N and A_>j A_>j^T -> I_K in probability as d -> ∞ (K, N, L fixed); "
               "quantitatively d·E||B_<j^T B_<j - I_N||_F² -> j N(N+1) and d·E||A_>j A_>j^T - I_K||_F² -> (L-j) K(K+1)."),
    latex=(r"B_{<j}^\top B_{<j} \xrightarrow{P} I_N,\ A_{>j}A_{>j}^\top \xrightarrow{P} I_K,\quad "
           r"d\,\mathbb E\|B_{<j}^\top B_{<j} - I_N\|_F^2 \to jN(N+1)"),
    reference="Lemma D.11, App. D.7 (used in the proof of Theorem 4.5, App. D.6)",
    domain=Domain(K_min=2, L_min=1),
    depends_on=("L-D.10",),
    checks=(
        Check(
            name="exact_second_moment_recursion", level=Level.SYMBOLIC, fn=exact_second_moments,
            description=("sympy: one layer's conditional covariance (row form, symbolic d), the exact map "
                         "(a, b) -> (a + 2b/d, b + (a+b)/d) for a = E(tr G)², b = E||G||², its leading term j N(N+1)/d "
                         "(symbolic N, depths 1..4), and the N = 1 case against products of χ²_d/d (moments from the χ² MGF)."),
            precision="exact (sympy)",
            statement={"entry_variance": "1/d"},
            control={"entry_variance": "1"},
            control_description="layers with N(0, 1) entries: E[Q|X] = d X^T X, so the Grams do not tend to I",
            K=(2,), L=(1,),
        ),
        Check(
            name="product_grams_concentrate", level=Level.NUMERIC, fn=product_grams,
            description=("every right Gram B_<j^T B_<j and left Gram A_>j A_>j^T of the Theorem 4.5 factors, d in "
                         "{32..256} (thorough ..512), 120 seeds per d (thorough 300): mean squared deviation consistent "
                         "with the exact value at each d (within 4 s.e. + 10%: heavy tails; too wide to separate the exact "
                         "value from the leading order j N(N+1)/d, <= 4.8% apart here: exactness is the symbolic check's) "
                         "and pooled log-log slope of the deviation within 0.1 of -1/2."),
            precision="float64 Monte Carlo; second moment within 4 standard errors + 10%; slope tol 0.1",
            statement={"entry_variance": "1/d", "variance_model": "exact"},
            control={"entry_variance": "1", "variance_model": "exact"},
            control_description="layers with N(0, 1) entries (wrong variance): the Grams grow like d^layers",
            K=(3,), L=(3,), thorough_K=(2, 4), thorough_L=(1, 2, 4),
        ),
        Check(
            name="deviation_grows_with_depth", level=Level.NUMERIC, fn=product_grams,
            description="same samples as product_grams_concentrate; the squared deviation adds up over the layers",
            precision="float64 Monte Carlo; second moment within 4 standard errors + 10%; slope tol 0.1",
            statement={"entry_variance": "1/d", "variance_model": "exact"},
            control={"entry_variance": "1/d", "variance_model": "one_layer"},
            control_description="claims E||Gram - I||² = size(size+1)/d whatever the number of layers",
            K=(3,), L=(3,), thorough_K=(2, 4), thorough_L=(1, 2, 4),
        ),
        Check(
            name="product_gram_bound", level=Level.FUZZ, fn=product_bound_fuzz,
            description=("hypothesis over K, n <= 2, L, d in [128, 512] and the seed: every Gram of the Theorem 4.5 "
                         "products within 6 sqrt(layers·size(size+1)/d) of the identity (Frobenius)."),
            precision=("float64; 6 x the leading-order rms (Chebyshev alone bounds a false alarm by ~1/36 per Gram; "
                       "the largest ratio seen is in the evidence)"),
            statement={"rate": -0.5},
            control={"rate": -1.0},
            control_description="the same bound with d^-1 instead of d^-1/2",
            K=(2, 3, 4), L=(1, 2, 3),
        ),
    ),
)
