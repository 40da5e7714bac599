"""L-D.7 (Lemma D.7, App. D.1): the Schatten identity for deep factorisations.

Statement.  For a K x N matrix Z with singular values σ_i and p = L + 1 factors,

    min { Σ_{j=1}^{p} ||A_j||_F² : A_p A_{p-1} ... A_1 = Z } = p Σ_i σ_i(Z)^{2/p},

attained by the balanced SVD factors (every factor has singular values σ_i^{1/p}).
Hence the global minimum of (P_L) is ``(p/2) min Σ_i σ_i^{2/p}`` over margin-feasible Z.

What is proved and what is cited.  The symbolic check proves the *scalar* (1 x 1) case
``min Σ_j a_j²  s.t.  Π_j a_j = σ`` for a symbolic number of factors p: Lagrange forces all
a_j² equal, so a_j = σ^{1/p}; that this stationary point is the minimum is AM-GM: with
a_j = σ^{1/p} e^{t_j}, Σ t_j = 0, ``Σ a_j² = σ^{2/p} Σ e^{2 t_j} >= σ^{2/p} Σ (1 + 2 t_j) = p σ^{2/p}``
(tangent line of the convex e^{2t}).  (A diagonal Z does NOT simply split into scalar problems:
the factors of a diagonal matrix need not be diagonal.)  The matrix inequality is completed
from the cited Schatten-Hölder inequality ``||A_p ... A_1||_{S_{2/p}} <= Π_j ||A_j||_F``
(generalised Hölder for Schatten quasi-norms, 1/(2/p) = Σ_j 1/2), which is NOT proved here:
squaring gives ``(Σσ^{2/p})^p <= Π_j ||A_j||_F²``, and AM-GM over the p numbers ||A_j||_F²
(proved symbolically, tangent line of the concave log) gives ``Π_j ||A_j||_F² <= (Σ_j ||A_j||_F²/p)^p``,
hence ``Σ_j ||A_j||_F² >= p Σσ^{2/p}``; the balanced factors attain it.  The matrix statement
itself is checked numerically (below).  The numeric check minimises Σ||A_j||² over exact
factorisations of random Z (several L, ranks, shapes) from random starts with
L-BFGS, never finding a value below ``p Σ σ^{2/p}`` and reaching it; the balanced
factors of numerics.schatten attain it.  The fuzz check draws random (non-optimal)
exact factorisations, including ones wider than the rank, which must never go below.

Reduction used by the optimiser (stated, and re-checked on the output): projecting
A_1's rows onto row(Z) and A_p's columns onto col(Z) keeps the product and does not
increase the norms, so it suffices to factorise the r x r matrix ``diag(σ_1..σ_r)``
with r x r factors; the optimiser's factors are mapped back to factors of Z itself and
the product and objective are re-checked on Z.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy.optimize import minimize

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from numerics.schatten import balanced_factors, pl_objective, product

PAPER_EXPONENT = "2/(L + 1)"
WRONG_EXPONENT = "2/L"
_L = sp.Symbol("L", positive=True, integer=True)


def _exponent_value(expr: str, L: int) -> float:
    return float(sp.sympify(expr, locals={"L": _L}).subs(_L, L))


def claimed_minimum(s: np.ndarray, L: int, exponent: str) -> float:
    """``(L+1) Σ σ^{e(L)}``: the claimed minimum of Σ||A_j||² (with e = 2/(L+1) in the lemma)."""
    return float((L + 1) * np.sum(s ** _exponent_value(exponent, L)))


# --------------------------------------------------------------------------- symbolic
def scalar_am_gm(ctx: Context, exponent: str) -> Outcome:
    """sympy: Lagrange point of min Σ a_j² s.t. Π a_j = σ (p factors) and the AM-GM lower bound."""
    p = sp.Symbol("p", positive=True, integer=True)
    sigma, a, lam, t = sp.symbols("sigma a lambda t", positive=True)
    ev: dict = {}
    # Lagrange: ∂/∂a_j [Σ a_i² - λ (Π a_i - σ)] = 2 a_j - λ σ / a_j = 0  =>  a_j² = λσ/2 for every j:
    stationary = sp.solve(sp.Eq(2 * a - lam * sigma / a, 0), a)
    ev["stationary a_j (same for all j)"] = [str(x) for x in stationary]
    if len(stationary) != 1:
        return Outcome(False, ev, counterexample={"why": "no unique positive stationary a"})
    # all equal => a^p = σ
    a_star = sp.solve(sp.Eq(a ** p, sigma), a)
    ev["a from a^p = sigma"] = [str(x) for x in a_star]
    value = sp.simplify(p * a_star[0] ** 2)
    ev["value p a^2"] = str(value)
    # AM-GM via the tangent line: h(t) = e^{2t} - 1 - 2t >= 0 (h(0) = h'(0) = 0, h'' > 0)
    h = sp.exp(2 * t) - 1 - 2 * t
    tt = sp.Symbol("tt", real=True)
    h_real = h.subs(t, tt)
    tangent_ok = (h_real.subs(tt, 0) == 0 and sp.diff(h_real, tt).subs(tt, 0) == 0
                  and sp.diff(h_real, tt, 2).is_positive)
    ev["e^{2t} >= 1 + 2t (h(0)=h'(0)=0, h''>0)"] = bool(tangent_ok)
    # with a_j = σ^{1/p} e^{t_j}, Σ t_j = 0:  Σ a_j² >= σ^{2/p} Σ (1 + 2 t_j) = p σ^{2/p}; the lower bound
    j, T = sp.Symbol("j", integer=True), sp.Symbol("T", real=True)  # T = Σ_j t_j
    # Π a_j = σ^{p/p} e^{T} = σ forces T = 0; Σ_j σ^{2/p} (1 + 2 t_j) = σ^{2/p} (p + 2T)
    T_value = sp.solve(sp.Eq(sigma ** (p / p) * sp.exp(T), sigma), T)
    lower_bound = sp.simplify((sp.summation(sigma ** (2 / p), (j, 1, p)) + 2 * sigma ** (2 / p) * T).subs(T, T_value[0]))
    ev["constraint forces sum t_j ="] = [str(x) for x in T_value]
    ev["lower bound sigma^(2/p) sum(1 + 2 t_j)"] = str(lower_bound)
    derived_matches_bound = sp.simplify(value - lower_bound) == 0
    # the claim: minimum = (L+1) σ^{e(L)} with p = L + 1
    claimed = (_L + 1) * sigma ** sp.sympify(exponent, locals={"L": _L})
    diff = sp.simplify(value.subs(p, _L + 1) - claimed)
    ev["derived - claimed"] = str(diff)
    # matrix case from the CITED Schatten-Hölder inequality (Σσ^{2/p})^{p/2} <= Π_j ||A_j||_F (not proved here):
    # AM-GM over p numbers x_j = ||A_j||_F² with mean m: log x <= log m + (x - m)/m (tangent of the concave log),
    # summed over j the linear terms cancel (Σ (x_j - m) = 0), so Σ log x_j <= p log m, i.e. Π x_j <= m^p.
    x, m = sp.symbols("x m", positive=True)
    tangent_gap = sp.log(m) + (x - m) / m - sp.log(x)  # >= 0: zero with zero slope at x = m, convex in x
    log_tangent_ok = (sp.simplify(tangent_gap.subs(x, m)) == 0 and sp.simplify(sp.diff(tangent_gap, x).subs(x, m)) == 0
                      and sp.simplify(sp.diff(tangent_gap, x, 2)).is_positive)
    ev["AM-GM over p terms: log x <= log m + (x - m)/m"] = bool(log_tangent_ok)
    S, E = sp.symbols("S E", positive=True)  # S = Σσ^{2/p}, E = Σ_j ||A_j||_F², m = E/p
    # Hölder squared: S^p <= Π x_j <= (E/p)^p; x -> x^{1/p} is increasing, so S <= E/p, i.e. E >= p S
    lhs_root = sp.powsimp(sp.expand_power_base((S ** (p / 2)) ** 2), force=True) ** (1 / p)
    rhs_root = ((E / p) ** p) ** (1 / p)
    chain_ok = sp.simplify(lhs_root - S) == 0 and sp.simplify(rhs_root - E / p) == 0
    ev["p-th root of S^p <= (E/p)^p gives S <= E/p"] = bool(chain_ok)
    # the bound p S is what the scalar case gives for one singular value (S = σ^{2/p}): the two routes agree
    matrix_bound_matches = sp.simplify((p * S).subs(S, sigma ** (2 / p)) - value) == 0
    ev["matrix bound p Σσ^{2/p} at rank 1 = scalar minimum"] = bool(matrix_bound_matches)
    ev["cited, not proved"] = "Schatten-Hölder: ||A_p...A_1||_{S_{2/p}} <= Π_j ||A_j||_F"
    if tangent_ok and derived_matches_bound and diff == 0 and log_tangent_ok and chain_ok and matrix_bound_matches:
        return Outcome(True, ev)
    # a concrete witness where they differ
    for Lv in range(1, 6):
        for sv in (2, 3, sp.Rational(1, 2)):
            d = diff.subs({_L: Lv, sigma: sv})
            if sp.simplify(d) != 0:
                return Outcome(False, ev, counterexample={"L": Lv, "sigma": str(sv), "derived minimum": str(value.subs({p: Lv + 1, sigma: sv})),
                                                         "claimed minimum": str(claimed.subs({_L: Lv, sigma: sv}))})
    return Outcome(False, ev, counterexample={"why": "proof step failed", **ev})


# --------------------------------------------------------------------------- numeric
def _descend_square(S: np.ndarray, L: int, rng: np.random.Generator, maxiter: int = 1500):
    """min Σ_{j<=L} ||A_j||² + ||S P^{-1}||² over r x r factors A_1..A_L (P = A_L ... A_1);
    the last factor ``A_{L+1} = S P^{-1}`` makes every iterate an exact factorisation of S."""
    r = S.shape[0]

    def unpack(x):
        return [x[i * r * r:(i + 1) * r * r].reshape(r, r) for i in range(L)]

    def fg(x):
        F = unpack(x)
        P = product(F)
        Pinv = np.linalg.inv(P)
        X = S @ Pinv
        val = float(x @ x) + float(np.sum(X * X))
        gP = -2 * X.T @ X @ Pinv.T  # ∂||S P^{-1}||²/∂P
        grads = []
        for j in range(L):
            A = product(F[j + 1:]) if j < L - 1 else np.eye(r)
            C = product(F[:j]) if j > 0 else np.eye(r)
            grads.append((2 * F[j] + A.T @ gP @ C.T).ravel())
        return val, np.concatenate(grads)

    res = minimize(fg, rng.standard_normal(L * r * r), jac=True, method="L-BFGS-B",
                   options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-12})
    F = unpack(res.x)
    return F + [S @ np.linalg.inv(product(F))]


def _random_matrix(rng: np.random.Generator, K: int, N: int, r: int) -> np.ndarray:
    return rng.standard_normal((K, r)) @ rng.standard_normal((r, N))


def descent_reaches_bound(ctx: Context, exponent: str) -> Outcome:
    """L-BFGS over exact factorisations of random Z: never below the claimed minimum, reaches it;
    balanced SVD factors attain it."""
    rng = ctx.rng(7)
    shapes = [(3, 4, 3), (4, 6, 2), (6, 3, 1), (5, 5, 4)]
    if ctx.thorough:
        shapes += [(8, 8, 6), (5, 9, 5), (7, 7, 7)]
    starts = 3
    rows = []
    for a, (K, N, r) in enumerate(shapes):
        Z = _random_matrix(rng, K, N, r)
        U, s, Vt = np.linalg.svd(Z)
        Ur, sr, Vr = U[:, :r], s[:r], Vt[:r].T
        for L in ctx.L:
            ctx.report(a / len(shapes), f"{K}x{N} rank {r}, L={L}")
            claimed = claimed_minimum(sr, L, exponent)
            found = []
            for _ in range(starts):
                Fs = _descend_square(np.diag(sr), L, rng)
                # back to factors of Z: A_1 = B V_r^T, A_{L+1} = U_r C
                F = [Fs[0] @ Vr.T] + Fs[1:-1] + [Ur @ Fs[-1]]
                res = float(np.max(np.abs(product(F) - Z)))
                found.append((2 * pl_objective(F), res))
            best = min(v for v, _ in found)
            worst_res = max(rv for _, rv in found)
            balanced = 2 * pl_objective(balanced_factors(Z, L, d=r + 1))
            row = {"shape": [K, N], "rank": r, "L": L, "claimed_min": claimed, "best_found": best,
                   "all_found": [v for v, _ in found], "balanced_svd_value": balanced,
                   "max_product_residual": worst_res,
                   "best_rel_excess": (best - claimed) / claimed, "balanced_rel_err": abs(balanced - claimed) / claimed}
            rows.append(row)
            below = [v for v, _ in found if v < claimed * (1 - 1e-10)]
            if below or worst_res > 1e-9:
                return Outcome(False, {"rows": rows}, counterexample={"Z_shape": [K, N], "rank": r, "L": L,
                               "found_below_claimed": below, "claimed": claimed, "residual": worst_res})
            if best > claimed * (1 + 1e-8) or row["balanced_rel_err"] > 1e-12:
                return Outcome(False, {"rows": rows}, counterexample={"Z_shape": [K, N], "rank": r, "L": L,
                               "best_found": best, "balanced": balanced, "claimed": claimed,
                               "why": "the claimed minimum is not attained"})
    return Outcome(True, {"rows": rows, "starts_per_case": starts,
                          "optimiser": "scipy L-BFGS-B on A_1..A_L, A_{L+1} = S P^{-1} (exact), ftol 1e-15"})


# --------------------------------------------------------------------------- fuzz
def random_factorisations(ctx: Context, exponent: str) -> Outcome:
    """hypothesis: random exact factorisations (width >= rank, Z wider than square) never beat the bound;
    balanced factors equal it."""
    strategy = st.tuples(st.integers(2, 6), st.integers(2, 7), st.integers(1, 6), st.sampled_from(ctx.L),
                         st.integers(0, 2**32 - 1), st.floats(-1.0, 1.0), st.integers(0, 3))

    def prop(x):
        K, N, r, L, seed, log_scale, extra = x
        r = min(r, K, N)
        rng = np.random.default_rng(seed)
        Z = 10.0 ** log_scale * _random_matrix(rng, K, N, r)
        s = np.linalg.svd(Z, compute_uv=False)[:r]
        claimed = claimed_minimum(s, L, exponent)
        d = N + extra  # wider than N: P = A_L..A_1 (d x N) has full column rank, A_{L+1} = Z P^+ is exact
        F = [rng.standard_normal((d, N))] + [rng.standard_normal((d, d)) for _ in range(L - 1)]
        F.append(Z @ np.linalg.pinv(product(F)))
        # and a perturbed balanced factorisation (gauge by random invertible near-identity maps)
        B = balanced_factors(Z, L, d=d)
        G = [np.eye(d) + 0.1 * rng.standard_normal((d, d)) for _ in range(L)]
        Bg = [G[0] @ B[0]] + [G[j] @ B[j] @ np.linalg.inv(G[j - 1]) for j in range(1, L)] + [B[L] @ np.linalg.inv(G[L - 1])]
        vals = {"random": 2 * pl_objective(F), "gauged_balanced": 2 * pl_objective(Bg), "balanced": 2 * pl_objective(B)}
        res = max(float(np.max(np.abs(product(M) - Z))) for M in (F, Bg, B))
        ok = (res < 1e-8 * max(1.0, float(np.max(np.abs(Z))))
              and min(vals["random"], vals["gauged_balanced"]) >= claimed * (1 - 1e-10)
              and abs(vals["balanced"] - claimed) <= 1e-10 * claimed)
        return ok, {"claimed": claimed, **vals, "residual": res}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run}
    if r.holds:
        return Outcome(True, ev)
    K, N, rk, L, seed, log_scale, extra = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "N": N, "rank": min(rk, K, N), "L": L, "seed": seed,
                                             "scale": 10.0 ** log_scale, "width_extra": extra, **r.detail})


CLAIM = Claim(
    id="L-D.7",
    title="Schatten identity: the best deep factorisation costs (L+1) Σ σ^{2/(L+1)}",
    statement=("min { Σ_{j=1}^{L+1} ||A_j||_F² : A_{L+1} ... A_1 = Z } = (L+1) Σ_i σ_i(Z)^{2/(L+1)}, attained by "
               "balanced SVD factors; so the global minimum of (P_L) is ((L+1)/2) min Σ σ^{2/(L+1)} over feasible Z."),
    latex=r"\min_{A_{L+1}\cdots A_1=Z}\sum_{j=1}^{L+1}\|A_j\|_F^2=(L+1)\sum_i\sigma_i(Z)^{\frac{2}{L+1}}",
    reference="Lemma D.7, App. D.1 (used in Thm 3.1 and Thm 3.2)",
    domain=Domain(uses_K=False, L_min=1),
    checks=(
        Check(
            name="scalar_am_gm", level=Level.SYMBOLIC, fn=scalar_am_gm,
            description=("sympy, p factors symbolic, scalar (1 x 1) case: the Lagrange point of min Σ a_j² s.t. "
                         "Π a_j = σ is a_j = σ^{1/p} with value p σ^{2/p}, the AM-GM lower bound (tangent line "
                         "e^{2t} >= 1 + 2t). Matrix case: from the CITED Schatten-Hölder inequality "
                         "||Z||_{S_{2/p}} <= Π||A_j||_F (not proved here) plus AM-GM over the p numbers ||A_j||_F² "
                         "(proved: tangent line of log), Σ||A_j||_F² >= p Σσ^{2/p}; the matrix statement is "
                         "checked numerically below."),
            precision="exact (sympy)",
            statement={"exponent": PAPER_EXPONENT},
            control={"exponent": WRONG_EXPONENT},
            control_description="minimum (L+1) Σ σ^{2/L} (exponent 2/L instead of 2/(L+1))",
        ),
        Check(
            name="descent_reaches_bound", level=Level.NUMERIC, fn=descent_reaches_bound,
            description=("random Z (4 shapes/ranks in ci), L-BFGS from 3 random starts over exact factorisations: "
                         "no value below (L+1)Σσ^{2/(L+1)} (rel 1e-10), the best within rel 1e-8 of it, balanced SVD "
                         "factors equal to it (rel 1e-12); products re-checked on Z."),
            precision="float64; below: rel 1e-10; reached: rel 1e-8; residual 1e-9",
            statement={"exponent": PAPER_EXPONENT},
            control={"exponent": WRONG_EXPONENT},
            control_description="minimum (L+1) Σ σ^{2/L}",
            L=(1, 2, 3), thorough_L=(1, 2, 3, 4, 5, 7),
        ),
        Check(
            name="random_factorisations", level=Level.FUZZ, fn=random_factorisations,
            description=("hypothesis over shape, rank, scale 10^[-1,1], width d >= N, L: random exact factorisations "
                         "(A_{L+1} = Z P^+) and gauged balanced ones never go below the bound; balanced equals it."),
            precision="float64, rel 1e-10",
            statement={"exponent": PAPER_EXPONENT},
            control={"exponent": WRONG_EXPONENT},
            control_description="minimum (L+1) Σ σ^{2/L}",
            L=(1, 2, 3, 4, 6),
        ),
    ),
)
