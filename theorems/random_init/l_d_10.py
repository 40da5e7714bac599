"""L-D.10 (App. D.7): a random square layer preserves a Gram matrix, up to O(d^{-1/2}).

Statement (rebuilt).  Let ``W`` be d x d with i.i.d. ``N(0, 1/d)`` entries, independent of
``X`` (d x m, m fixed).  If ``X^T X -> A`` in probability as ``d -> ∞``, then
``(W X)^T (W X) -> A`` in probability.

Proof mirrored here (the paper's, made quantitative).  Write ``Q = (WX)^T (WX) = Σ_r u_r u_r^T``
with ``u_r = X^T w_r`` for the rows ``w_r`` of W: given X the ``u_r`` are i.i.d.
``N(0, G/d)``, ``G = X^T X``.  Hence

    E[Q | X] = G,     Var[Q_ab | X] = (G_aa G_bb + G_ab²) / d,

so ``d · E[ ||Q - G||_F² | X ] = (tr G)² + ||G||_F²`` *exactly*, for every d, and Chebyshev
gives convergence in probability with deviation ``O(d^{-1/2})``.  The symbolic check expands
the Gaussian moments exactly (all entries of W for d = 1, 2, 3 and symbolic X; and the row
form ``u = R^T ξ`` with a symbolic d, which covers every d).  The numeric check measures the
deviation over a geometric grid of d, fits its log-log slope (-1/2) in the Frobenius and the
operator norm, and compares ``d · E||Q - A||_F²`` with ``(tr A)² + ||A||_F²`` at every d.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from numerics.random_init import entry_std, entry_variance_symbol, gaussian_deviation_samples, gaussian_expectation, gram_deviation_constant, loglog_fit

# A fixed non-identity target A = R^T R (m = 3): the lemma is about any limit Gram.
R_TARGET = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, -0.3], [0.0, 0.0, 0.7]])
SLOPE_TOL = 0.1
Z_TOL = 4.0  # d·E||Q - A||² vs (tr A)² + ||A||²: within 4 Monte Carlo standard errors at each d


# --------------------------------------------------------------------------- symbolic
def conditional_moments(ctx: Context, entry_variance: str) -> Outcome:
    """Exact Gaussian moments: E[Q|X] = G and Var[Q_ab|X] = (G_aa G_bb + G_ab²)/d."""
    m = 2
    failures, checked = [], []
    # (a) every entry of W, concrete d, symbolic X
    for d in (1, 2, 3):
        w = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"w{i}{j}"))
        X = sp.Matrix(d, m, lambda i, j: sp.Symbol(f"x{i}{j}"))
        G = X.T * X
        Q = (w * X).T * (w * X)
        var = entry_variance_symbol(entry_variance, sp.Integer(d))
        for a in range(m):
            for b in range(a, m):
                mean = gaussian_expectation(Q[a, b], list(w), var)
                second = gaussian_expectation(Q[a, b] ** 2, list(w), var)
                r_mean = sp.expand(mean - G[a, b])
                r_var = sp.expand(second - mean**2 - (G[a, a] * G[b, b] + G[a, b] ** 2) / d)
                checked.append(f"d={d},({a},{b})")
                if r_mean != 0 or r_var != 0:
                    failures.append({"d": d, "entry": [a, b], "mean_residual": str(r_mean)[:200],
                                     "variance_residual": str(r_var)[:200]})
    # (b) row form with a symbolic d: Q = Σ_{r<=d} u_r u_r^T, u_r = R^T ξ_r, ξ_r ~ N(0, var I_m) i.i.d.
    dsym = sp.Symbol("d", positive=True, integer=True)
    xi = sp.symbols(f"xi0:{m}")
    R = sp.Matrix(m, m, lambda i, j: sp.Symbol(f"r{i}{j}"))
    G = R.T * R
    u = R.T * sp.Matrix(xi)
    var = entry_variance_symbol(entry_variance, dsym)
    for a in range(m):
        for b in range(a, m):
            one = u[a] * u[b]
            mean1 = gaussian_expectation(one, xi, var)
            var1 = gaussian_expectation(one**2, xi, var) - mean1**2
            r_mean = sp.expand(dsym * mean1 - G[a, b])  # d i.i.d. rows: means and variances add
            r_var = sp.expand(dsym * var1 - (G[a, a] * G[b, b] + G[a, b] ** 2) / dsym)
            checked.append(f"d symbolic,({a},{b})")
            if r_mean != 0 or r_var != 0:
                failures.append({"d": "symbolic", "entry": [a, b], "mean_residual": str(r_mean)[:200],
                                 "variance_residual": str(r_var)[:200]})
    ev = {"entries_checked": checked, "m": m, "entry_variance": entry_variance}
    if failures:
        return Outcome(False, ev, counterexample=failures[0])
    return Outcome(True, ev)


# --------------------------------------------------------------------------- numeric
@lru_cache(maxsize=64)
def _deviation_samples(entry_variance: str, ds: tuple, seeds: int, seed: int) -> dict:
    """||(WX)^T(WX) - A|| (Frobenius and operator) with X = Q R, Q a random d x 3 orthonormal frame."""
    A = R_TARGET.T @ R_TARGET
    fro, op = [], []
    for d in ds:
        rng = np.random.default_rng([seed, 510, d, len(entry_variance)])
        f_d, o_d = gaussian_deviation_samples(R_TARGET, d, seeds, rng, entry_variance=entry_variance)
        fro.append(f_d)
        op.append(o_d)
    return {"A": A, "fro": np.stack(fro), "op": np.stack(op)}


def deviation_rate(ctx: Context, entry_variance: str, rate: float) -> Outcome:
    """Deviation of (WX)^T(WX) from A = X^T X over d: slope `rate` and the exact second moment."""
    ds = (16, 32, 64, 128, 256, 512, 1024) if ctx.thorough else (16, 32, 64, 128, 256, 512)
    seeds = 400 if ctx.thorough else 150
    data = _deviation_samples(entry_variance, ds, seeds, ctx.seed)
    C = gram_deviation_constant(data["A"])
    dd = np.array(ds, dtype=float)
    fit_fro = loglog_fit(np.repeat(dd, seeds), data["fro"].ravel())
    fit_op = loglog_fit(np.repeat(dd, seeds), data["op"].ravel())
    sq = data["fro"] ** 2 * dd[:, None]  # d·||Q - A||_F² per draw
    mean_sq, se_sq = sq.mean(axis=1), sq.std(axis=1, ddof=1) / np.sqrt(seeds)
    z = (mean_sq - C) / se_sq
    slope_ok = abs(fit_fro.slope - rate) <= SLOPE_TOL and abs(fit_op.slope - rate) <= SLOPE_TOL
    moment_ok = bool(np.all(np.abs(z) <= Z_TOL))
    ev = {"entry_variance": entry_variance, "claimed_rate": rate, "d": list(ds), "seeds_per_d": seeds,
          "A": data["A"].tolist(), "predicted_d_times_E_dev_sq": C, "measured_d_times_E_dev_sq": mean_sq.tolist(),
          "stderr": se_sq.tolist(), "z_scores": z.tolist(), "fit_frobenius": fit_fro.as_dict(),
          "fit_operator": fit_op.as_dict(), "slope_tolerance": SLOPE_TOL, "z_tolerance": Z_TOL,
          "mean_frobenius_deviation": data["fro"].mean(axis=1).tolist()}
    if slope_ok and moment_ok:
        return Outcome(True, ev, figures=_figure(dd, data, fit_fro, fit_op, C) if entry_variance == "1/d" else [])
    worst = int(np.argmax(np.abs(z)))
    return Outcome(False, ev, counterexample={
        "entry_variance": entry_variance, "claimed_rate": rate, "fitted_slope_frobenius": fit_fro.slope,
        "fitted_slope_operator": fit_op.slope, "worst_d": ds[worst], "z": float(z[worst]), "seed": ctx.seed})


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
    strategy = st.tuples(st.integers(64, 512), st.integers(1, 5), st.integers(0, 2**31 - 1))

    worst = [0.0]  # largest deviation / exact rms seen

    def prop(x):
        d, m, seed = x
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((d, m)) * rng.uniform(0.2, 3.0, size=m)  # any X; G = X^T X
        G = X.T @ X
        W = entry_std(d) * rng.standard_normal((d, d))
        dev = float(np.linalg.norm((W @ X).T @ (W @ X) - G))
        rms = np.sqrt(gram_deviation_constant(G) / d)
        worst[0] = max(worst[0], dev / rms)
        bound = 6.0 * np.sqrt(gram_deviation_constant(G)) * d**rate
        return dev <= bound, {"deviation": dev, "bound": bound}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "bound": f"6 sqrt((tr G)^2 + ||G||_F^2) d^{rate}",
          "max_deviation_over_exact_rms": worst[0]}
    if r.holds:
        return Outcome(True, ev)
    d, m, seed = r.counterexample
    return Outcome(False, ev, counterexample={"d": d, "m": m, "seed": seed, "claimed_rate": rate, **r.detail})


CLAIM = Claim(
    id="L-D.10",
    title="A random N(0, 1/d) layer preserves Gram matrices in the wide limit",
    statement=("If W is d x d with i.i.d. N(0, 1/d) entries, independent of X (d x m, m fixed), and X^T X -> A in "
               "probability as d -> ∞, then (WX)^T(WX) -> A in probability; quantitatively "
               "E[(WX)^T(WX) | X] = X^T X and d·E[||(WX)^T(WX) - X^T X||_F² | X] = (tr X^T X)² + ||X^T X||_F²."),
    latex=(r"\mathbb E[(WX)^\top WX \mid X] = X^\top X,\quad "
           r"d\,\mathbb E\|(WX)^\top WX - X^\top X\|_F^2 = (\operatorname{tr} X^\top X)^2 + \|X^\top X\|_F^2"),
    reference="Lemma D.10, App. D.7 (used for Lemma D.11 and Theorem 4.5)",
    domain=Domain(uses_K=False, uses_L=False),
    checks=(
        Check(
            name="conditional_mean_and_variance", level=Level.SYMBOLIC, fn=conditional_moments,
            description=("exact Gaussian moment expansion: E[Q|X] = X^T X and Var[Q_ab|X] = (G_aa G_bb + G_ab²)/d for "
                         "every entry of W with d = 1, 2, 3 and symbolic X (m = 2), and in the row form "
                         "u = R^T ξ with symbolic d (every d)."),
            precision="exact (sympy polynomial identities)",
            statement={"entry_variance": "1/d"},
            control={"entry_variance": "1"},
            control_description="W with N(0, 1) entries: E[Q|X] = d X^T X, not X^T X",
        ),
        Check(
            name="deviation_rate_and_second_moment", level=Level.NUMERIC, fn=deviation_rate,
            description=("d in {16..512} (thorough ..1024), 150 seeds per d (thorough 400), A = R^T R (m = 3), X = QR "
                         "with a random orthonormal frame: pooled log-log slope of ||Q - A|| (Frobenius and operator "
                         "norm) within 0.1 of -1/2, and d·E||Q - A||_F² = (tr A)² + ||A||_F² within 4 s.e. at each d."),
            precision="float64 Monte Carlo; slope tol 0.1; second moment within 4 standard errors",
            statement={"entry_variance": "1/d", "rate": -0.5},
            control={"entry_variance": "1", "rate": -0.5},
            control_description="W with N(0, 1) entries (wrong variance): the Gram tends to d·A and the deviation grows",
        ),
        Check(
            name="deviation_rate_exponent", level=Level.NUMERIC, fn=deviation_rate,
            description="same samples as deviation_rate_and_second_moment; the claimed exponent is -1/2",
            precision="float64 Monte Carlo; slope tol 0.1; second moment within 4 standard errors",
            statement={"entry_variance": "1/d", "rate": -0.5},
            control={"entry_variance": "1/d", "rate": -1.0},
            control_description="claims the deviation falls like 1/d",
        ),
        Check(
            name="concentration_bound", level=Level.FUZZ, fn=concentration_fuzz,
            description=("hypothesis over d in [64, 512], m <= 5, any X (random scales) and the seed: "
                         "||(WX)^T(WX) - X^T X||_F <= 6 sqrt((tr G)² + ||G||_F²)/sqrt(d), six times the exact rms."),
            precision=("float64; 6 x the exact rms (Chebyshev alone bounds a false alarm by 1/36 per draw; the tails are "
                       "sub-exponential (Hanson-Wright); the largest ratio seen is in the evidence)"),
            statement={"rate": -0.5},
            control={"rate": -1.0},
            control_description="the same bound with d^-1 instead of d^-1/2",
        ),
    ),
)
