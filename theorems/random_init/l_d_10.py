"""L-D.10 (App. D.7): a random square layer preserves a Gram matrix, up to O(d^{-1/2}).

Statement (rebuilt).  Let ``W`` be d x d with i.i.d. ``N(0, 1/d)`` entries, independent of
``X`` (d x m, m fixed).  If ``X^T X -> A`` in probability as ``d -> ∞``, then
``(W X)^T (W X) -> A`` in probability.

Proof mirrored here (the paper's, made quantitative).  Write ``Q = (WX)^T (WX) = Σ_r u_r u_r^T``
with ``u_r = X^T w_r`` for the rows ``w_r`` of W: given X the ``u_r`` are i.i.d.
``N(0, G/d)``, ``G = X^T X``.  Hence (Isserlis)

    E[Q | X] = G,     Cov(Q_ab, Q_ce | X) = (G_ac G_be + G_ae G_bc) / d,

so ``d · E[ ||Q - G||_F² | X ] = (tr G)² + ||G||_F²`` *exactly*, for every d.  Chebyshev then gives
``P(||Q - G||_F > ε | X) <= ((tr G)² + ||G||_F²)/(d ε²)``, which tends to 0 in probability when
G -> A; with ``Q - A = (Q - G) + (G - A)`` this is the lemma, with deviation ``O(d^{-1/2})``.

Checks.  The symbolic check expands the Gaussian moments exactly: in the row form with a symbolic d
and, for every one of the 15 equality patterns of the indices (a, b, c, e), a generic Cholesky factor
of the sub-Gram they involve (so every m and every X: the entries involve at most four coordinates
of u, whose law is fixed by that sub-Gram); and with every entry of W for d = 1, 2, 3 and symbolic X.
The numeric check measures the deviation over a geometric grid of d, fits its log-log slope (-1/2)
in the Frobenius and operator norms, and compares ``d · E||Q - A||_F²`` with ``(tr A)² + ||A||_F²``.
Not machine-checked: the Chebyshev step above (one line).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from sympy.utilities.iterables import multiset_partitions

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from numerics.random_init import (
    entry_std,
    gaussian_deviation_samples,
    gaussian_expectation,
    gram_covariance_expr,
    gram_deviation_constant,
    loglog_fit,
)

# A fixed non-identity target A = R^T R (m = 3): the lemma is about any limit Gram.
R_TARGET = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, -0.3], [0.0, 0.0, 0.7]])
SLOPE_TOL = 0.1
Z_TOL = 4.0  # d·E||Q - A||² vs (tr A)² + ||A||²: within 4 Monte Carlo standard errors at each d, and pooled
DS, DS_THOROUGH = (16, 32, 64, 128, 256, 512), (16, 32, 64, 128, 256, 512, 1024)
SEEDS, SEEDS_THOROUGH = 200, 400
FULL_W_WIDTHS, FULL_W_M = (1, 2, 3), 2
BOUND_FACTOR = 6.0  # the fuzz bound: this many times the exact rms
FUZZ_D, FUZZ_M, FUZZ_SCALES = (64, 512), (1, 5), (0.2, 3.0)


# --------------------------------------------------------------------------- symbolic
def index_patterns() -> list[tuple[int, int, int, int]]:
    """One representative (a, b, c, e) per equality pattern of four indices (15 set partitions)."""
    reps = []
    for blocks in multiset_partitions([0, 1, 2, 3]):
        label = {pos: k for k, block in enumerate(blocks) for pos in block}
        reps.append(tuple(label[pos] for pos in range(4)))
    return reps


def conditional_moments(ctx: Context, covariance: str) -> Outcome:
    """Exact Gaussian moments: E[Q|X] = G and the claimed Cov(Q_ab, Q_ce | X), every d and m."""
    failures, checked = [], []
    dsym = sp.Symbol("d", positive=True, integer=True)
    # (a) row form with a symbolic d: Q = Σ_{r<=d} u_r u_r^T, u_r = R^T ξ_r, ξ_r ~ N(0, I_k/d) i.i.d.;
    #     R a generic upper-triangular (Cholesky) factor of the k x k sub-Gram of the k distinct indices
    for a, b, c, e in index_patterns():
        k = max(a, b, c, e) + 1
        xi = sp.symbols(f"xi0:{k}")
        R = sp.Matrix(k, k, lambda i, j: sp.Symbol(f"r{i}{j}") if j >= i else 0)
        G = R.T * R
        u = R.T * sp.Matrix(xi)
        var = 1 / dsym
        m_ab = gaussian_expectation(u[a] * u[b], xi, var)
        m_ce = gaussian_expectation(u[c] * u[e], xi, var)
        cov1 = gaussian_expectation(u[a] * u[b] * u[c] * u[e], xi, var) - m_ab * m_ce
        # d i.i.d. rows: means and covariances add
        r_mean = sp.expand(dsym * m_ab - G[a, b])
        r_cov = sp.expand(dsym * cov1 - gram_covariance_expr(G, a, b, c, e, dsym, covariance))
        checked.append(f"pattern {(a, b, c, e)} (k = {k}), d symbolic")
        if r_mean != 0 or r_cov != 0:
            failures.append({"d": "symbolic", "indices_(a,b,c,e)": [a, b, c, e], "mean_residual": str(r_mean)[:200],
                             "covariance_residual": str(r_cov)[:200], "covariance_claim": covariance})
    # (b) every entry of W, concrete d, symbolic X (d x m): the variances
    m = FULL_W_M
    for d in FULL_W_WIDTHS:
        w = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"w{i}{j}"))
        X = sp.Matrix(d, m, lambda i, j: sp.Symbol(f"x{i}{j}"))
        G = X.T * X
        Q = (w * X).T * (w * X)
        var = sp.Rational(1, d)
        for a in range(m):
            for b in range(a, m):
                mean = gaussian_expectation(Q[a, b], list(w), var)
                second = gaussian_expectation(Q[a, b] ** 2, list(w), var)
                r_mean = sp.expand(mean - G[a, b])
                r_var = sp.expand(second - mean**2 - gram_covariance_expr(G, a, b, a, b, sp.Integer(d), covariance))
                checked.append(f"full W, d={d}, ({a},{b})")
                if r_mean != 0 or r_var != 0:
                    failures.append({"d": d, "entry": [a, b], "mean_residual": str(r_mean)[:200],
                                     "variance_residual": str(r_var)[:200], "covariance_claim": covariance})
    ev = {"checked": checked, "index_patterns": len(index_patterns()), "full_W_widths": FULL_W_WIDTHS,
          "full_W_m": m, "covariance_claim": covariance}
    if failures:
        return Outcome.refuted(failures[0], ev)
    return Outcome.held(ev)


# --------------------------------------------------------------------------- numeric
@lru_cache(maxsize=16)
def _deviation_samples(ds: tuple, seeds: int, seed: int) -> dict:
    """||(WX)^T(WX) - A|| (Frobenius and operator) with X = Q R, Q a random d x 3 orthonormal frame."""
    A = R_TARGET.T @ R_TARGET
    fro, op = [], []
    for d in ds:
        rng = np.random.default_rng([seed, 510, d])
        f_d, o_d = gaussian_deviation_samples(R_TARGET, d, seeds, rng)
        fro.append(f_d)
        op.append(o_d)
    return {"A": A, "fro": np.stack(fro), "op": np.stack(op)}


def deviation_rate(ctx: Context, covariance: str, rate: float) -> Outcome:
    """Deviation of (WX)^T(WX) from A = X^T X over d: slope ``rate`` and the claimed exact second moment."""
    ds = DS_THOROUGH if ctx.thorough else DS
    seeds = SEEDS_THOROUGH if ctx.thorough else SEEDS
    ctx.report(0.0, "drawing W")
    data = _deviation_samples(ds, seeds, ctx.seed)
    C = gram_deviation_constant(data["A"], covariance)
    dd = np.array(ds, dtype=float)
    fit_fro = loglog_fit(np.repeat(dd, seeds), data["fro"].ravel())
    fit_op = loglog_fit(np.repeat(dd, seeds), data["op"].ravel())
    sq = data["fro"] ** 2 * dd[:, None]  # d·||Q - A||_F² per draw
    mean_sq, se_sq = sq.mean(axis=1), sq.std(axis=1, ddof=1) / np.sqrt(seeds)
    z = (mean_sq - C) / se_sq
    pooled_se = sq.std(ddof=1) / np.sqrt(sq.size)  # the claim is the same constant at every d
    z_pooled = float((sq.mean() - C) / pooled_se)
    slope_ok = abs(fit_fro.slope - rate) <= SLOPE_TOL and abs(fit_op.slope - rate) <= SLOPE_TOL
    moment_ok = bool(np.all(np.abs(z) <= Z_TOL)) and abs(z_pooled) <= Z_TOL
    ev = {"covariance_claim": covariance, "claimed_rate": rate, "d": list(ds), "seeds_per_d": seeds,
          "A": data["A"].tolist(), "claimed_d_times_E_dev_sq": C, "measured_d_times_E_dev_sq": mean_sq.tolist(),
          "stderr": se_sq.tolist(), "z_scores": z.tolist(), "z_pooled": z_pooled, "fit_frobenius": fit_fro.as_dict(),
          "fit_operator": fit_op.as_dict(), "slope_tolerance": SLOPE_TOL, "z_tolerance": Z_TOL,
          "mean_frobenius_deviation": data["fro"].mean(axis=1).tolist()}
    if slope_ok and moment_ok:
        figs = _figure(dd, data, fit_fro, fit_op, C) if (covariance == "isserlis" and rate == -0.5) else []
        return Outcome.held(ev, figures=figs, established={"d": list(ds)})
    worst = int(np.argmax(np.abs(z)))
    return Outcome.refuted({
        "covariance_claim": covariance, "claimed_rate": rate, "claimed_constant": C,
        "fitted_slope_frobenius": fit_fro.slope, "fitted_slope_operator": fit_op.slope, "worst_d": ds[worst],
        "z": float(z[worst]), "z_pooled": z_pooled, "seed": ctx.seed,
        "rng": "numpy default_rng([seed, 510, d]) per width"}, ev)


def _figure(dd, data, fit_fro, fit_op, C):
    from reports.figures import render

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        for key, fit, label in (("fro", fit_fro, "Frobenius"), ("op", fit_op, "operator")):
            rms = np.sqrt(np.mean(data[key] ** 2, axis=1))
            ax.plot(dd, rms, "o", ms=4, label=f"{label} (rms): fitted slope {fit.slope:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}]")
        ax.plot(dd, np.sqrt(C / dd), ":", color="k", lw=1, label="exact Frobenius rms sqrt(((tr A)²+||A||²)/d)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("width d")
        ax.minorticks_off()
        ticks = dd  # the widths
        ax.set_xticks(ticks, [str(int(x)) for x in ticks])
        ax.set_ylabel("rms ||(WX)^T(WX) - A|| over seeds")
        ax.legend(fontsize=7)

    return [render("L-D.10: Gram deviation after one random layer", draw,
                   "X = Q R with a random orthonormal frame Q, A = R^T R fixed (m = 3); W entries N(0, 1/d).")]


# --------------------------------------------------------------------------- fuzz
def concentration_fuzz(ctx: Context, rate: float) -> Outcome:
    """Hypothesis over d, m, R, seed: ||(WX)^T(WX) - X^T X||_F <= 6 sqrt(C) d^{rate}, C = (tr G)² + ||G||²."""
    strategy = st.tuples(st.integers(*FUZZ_D), st.integers(*FUZZ_M), st.integers(0, 2**31 - 1))

    worst = [0.0]  # largest deviation / exact rms seen

    def prop(x):
        d, m, seed = x
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((d, m)) * rng.uniform(*FUZZ_SCALES, size=m)  # any X; G = X^T X
        G = X.T @ X
        W = entry_std(d) * rng.standard_normal((d, d))
        dev = float(np.linalg.norm((W @ X).T @ (W @ X) - G))
        rms = np.sqrt(gram_deviation_constant(G) / d)
        worst[0] = max(worst[0], dev / rms)
        bound = BOUND_FACTOR * np.sqrt(gram_deviation_constant(G)) * d**rate
        return dev <= bound, {"deviation": dev, "bound": bound}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "bound_factor": BOUND_FACTOR, "claimed_rate": rate,
          "bound": "bound_factor sqrt((tr G)^2 + ||G||_F^2) d^rate", "d_range": FUZZ_D, "m_range": FUZZ_M,
          "column_scales": FUZZ_SCALES, "max_deviation_over_exact_rms": worst[0]}
    if r.holds:
        return Outcome.held(ev, established={"d": f"∈ [{FUZZ_D[0]}, {FUZZ_D[1]}]", "m": f"∈ [{FUZZ_M[0]}, {FUZZ_M[1]}]"})
    d, m, seed = r.counterexample
    return Outcome.refuted({"d": d, "m": m, "seed": seed, "claimed_rate": rate, **r.detail}, ev)


_SERVES = Serves(what="no (K, L): a fixed target Gram, widths d = 16..512 (1024 thorough)", cost="seeds x d³")

CLAIM = Claim(
    id="L-D.10",
    title="A random N(0, 1/d) layer preserves Gram matrices in the wide limit",
    statement=("If W is d x d with i.i.d. N(0, 1/d) entries, independent of X (d x m, m fixed), and X^T X -> A in "
               "probability as d -> ∞, then (WX)^T(WX) -> A in probability; quantitatively "
               "E[(WX)^T(WX) | X] = X^T X and Cov(Q_ab, Q_ce | X) = (G_ac G_be + G_ae G_bc)/d, G = X^T X, so "
               "d·E[||(WX)^T(WX) - X^T X||_F² | X] = (tr G)² + ||G||_F²."),
    latex=(r"\mathbb E[(WX)^\top WX \mid X] = X^\top X,\quad "
           r"d\,\mathbb E\|(WX)^\top WX - X^\top X\|_F^2 = (\operatorname{tr} X^\top X)^2 + \|X^\top X\|_F^2"),
    reference=("Lemma D.10, App. D.7 (stated and proved there; the paper quotes Lemma D.11, which rests on it, "
               "in the proof of Theorem 4.5, App. D.6)"),
    domain=Domain(uses_K=False, uses_L=False),
    parts=(
        Part("moments", "E[(WX)^T(WX) | X] = X^T X and Cov(Q_ab, Q_ce | X) = (G_ac G_be + G_ae G_bc)/d, every d, m, X"),
        Part("convergence", "X^T X -> A in probability implies (WX)^T(WX) -> A in probability, deviation O(d^-1/2)"),
    ),
    uncovered=("convergence: the step from the exact second moment to convergence in probability is Chebyshev's "
               "inequality (one line, in the module docstring), not machine-checked",),
    checks=(
        Check(
            name="conditional_mean_and_variance", level=Level.SYMBOLIC, fn=conditional_moments,
            description=("exact Gaussian moment expansion: E[Q|X] = X^T X and Cov(Q_ab, Q_ce|X) = (G_ac G_be + "
                         "G_ae G_bc)/d in the row form u = R^T ξ with symbolic d, for each of the 15 equality patterns "
                         "of (a, b, c, e) with a generic Cholesky factor R of the sub-Gram (every m and X); and "
                         "Var[Q_ab|X] with every entry of W for d = 1, 2, 3 and symbolic X (m = 2)."),
            precision="exact (sympy polynomial identities)",
            statement={"covariance": "isserlis"},
            control={"covariance": "chi_square"},
            control_description="claims Cov(Q_ab, Q_ce|X) = 2 G_ab G_ce/d (Q = G χ²_d/d, a scalar chi-square)",
            control_why=("on the diagonal Q_aa = G_aa χ²_d/d and Var = 2 G_aa²/d is right; carrying the scalar "
                         "chi-square picture (true for m = 1) to the off-diagonal entries is the natural slip"),
            serves=Serves(what="sympy, symbolic d, every index pattern", cost="nothing grows: fixed expansions"),
            covers=("moments", "convergence"), for_all="all d, m, X", method="exact Gaussian moments (Isserlis)",
        ),
        Check(
            name="deviation_rate_and_second_moment", level=Level.NUMERIC, fn=deviation_rate,
            description=(f"d in {{{DS[0]}..{DS[-1]}}} (thorough ..{DS_THOROUGH[-1]}), {SEEDS} seeds per d (thorough "
                         f"{SEEDS_THOROUGH}), A = R^T R (m = 3), X = QR with a random orthonormal frame: pooled log-log "
                         f"slope of ||Q - A|| (Frobenius and operator norm) within {SLOPE_TOL} of -1/2, and "
                         f"d·E||Q - A||_F² = (tr A)² + ||A||_F² within {Z_TOL:g} s.e. at each d and pooled."),
            precision=f"float64 Monte Carlo; slope tol {SLOPE_TOL}; second moment within {Z_TOL:g} standard errors",
            statement={"covariance": "isserlis", "rate": -0.5},
            control={"covariance": "chi_square", "rate": -0.5},
            control_description="claims d·E||Q - A||_F² = 2||A||_F² (the scalar chi-square covariance; 38% low here)",
            control_why=("the variance of a diagonal entry, 2 G_aa²/d, carried to every entry (Var Q_ab = 2 G_ab²/d) "
                         "misses the (tr G)² - ||G||² from the off-diagonal pairings"),
            serves=_SERVES, covers=("convergence",), method="Monte Carlo",
        ),
        Check(
            name="deviation_rate_exponent", level=Level.NUMERIC, fn=deviation_rate,
            description="same draws as deviation_rate_and_second_moment; the claimed exponent is -1/2",
            precision=f"float64 Monte Carlo; slope tol {SLOPE_TOL}; second moment within {Z_TOL:g} standard errors",
            statement={"covariance": "isserlis", "rate": -0.5},
            control={"covariance": "isserlis", "rate": -1.0},
            control_description="claims the deviation falls like 1/d",
            control_why="the variance falls like 1/d; taking it for the deviation itself (not its square) is a slip",
            serves=_SERVES, covers=("convergence",), method="Monte Carlo",
        ),
        Check(
            name="concentration_bound", level=Level.FUZZ, fn=concentration_fuzz,
            description=(f"hypothesis over d in {list(FUZZ_D)}, m in {list(FUZZ_M)}, any X (column scales in "
                         f"{list(FUZZ_SCALES)}) and the seed: ||(WX)^T(WX) - X^T X||_F <= {BOUND_FACTOR:g} "
                         "sqrt((tr G)² + ||G||_F²)/sqrt(d), that many times the exact rms."),
            precision=(f"float64; {BOUND_FACTOR:g} x the exact rms (Chebyshev alone bounds a false alarm by "
                       f"1/{BOUND_FACTOR**2:g} per draw; the tails are sub-exponential (Hanson-Wright); the largest "
                       "ratio seen is in the evidence)"),
            statement={"rate": -0.5},
            control={"rate": -1.0},
            control_description="the same bound with d^-1 instead of d^-1/2",
            control_why="the nearest wrong rate: the squared deviation falls like 1/d, the deviation does not",
            serves=_SERVES, covers=("convergence",), method="hypothesis",
        ),
    ),
)
