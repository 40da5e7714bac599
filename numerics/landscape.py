"""A multi-start global search of (P_L) in its Schatten form, for the phase diagram (X-PD).

By Lemma D.7 the global minimum of (P_L) with NC1 logits ``Z = Zbar ⊗ 1_n^T`` and n = 1 is

    min { ((L+1)/2) Σ_i σ_i(Zbar)^{2/(L+1)} : Zbar[c,c] - Zbar[c',c] >= 1 for all c' != c }.

The margin constraints are LINEAR in Zbar; the objective is a Schatten quasi-norm (p = 2/(L+1) <= 1),
concave in the singular values, so the problem is non-convex for L >= 2.  The search minimises a
smoothed objective ``Σ (σ² + ε²)^{p/2}`` by SLSQP along a decreasing ε homotopy from many starts,
then cleans every end point: for each rank r it truncates the SVD to rank r and rescales to exact
feasibility (margins >= 1), and keeps the best.  Every value it reports is the exact objective of an
explicit, feasible matrix.

The known constructions come from numerics.constructions (shared with T3.1): DNC ``M_K = I - 11^T/K``;
the cross-polytope ``I_{K/2} ⊗ [[1,-1],[-1,1]]`` (K even) and, for K odd, its block-diagonal
completion with the singleton ``[1]`` or the centred singleton column ``e_K - 1/K``; the K-gon
circle code from numerics.circle_codes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from .constructions import cross_polytope_mean_logits, dnc_mean_logits, require_classes, require_depth
from .softmax import require_finite

__all__ = [
    "pd_kgon_mean_logits",
    "schatten_pl_value",
    "margin_matrix",
    "min_column_margin",
    "known_constructions",
    "SearchResult",
    "pl_global_search",
    "factor_penalty_descent",
    "describe_structure",
]


_K = require_classes  # K an integer >= 2, else ValueError
_L = require_depth  # L an integer >= 1, else ValueError


def schatten_pl_value(Zbar: np.ndarray, L: int, exponent_numerator: float = 2.0, *, rtol: float = 1e-12) -> float:
    """``((L+1)/2) Σ σ_i^{a/(L+1)}`` over σ_i > rtol σ_max (a = 2 is (P_L) by L-D.7)."""
    L = _L(L)
    s = np.linalg.svd(require_finite(Zbar, "Zbar"), compute_uv=False)
    if s[0] == 0:
        return 0.0
    s = s[s > rtol * s[0]]
    return 0.5 * (L + 1) * float(np.sum(s ** (exponent_numerator / (L + 1))))


def margin_matrix(K: int) -> np.ndarray:
    """Rows ``a`` with ``a · vec(Zbar) = Zbar[c,c] - Zbar[c',c]`` (row-major vec), one per c' != c."""
    K = _K(K)
    rows = []
    for c in range(K):
        for cp in range(K):
            if cp != c:
                a = np.zeros(K * K)
                a[c * K + c] = 1.0
                a[cp * K + c] = -1.0
                rows.append(a)
    return np.array(rows)


def min_column_margin(Zbar: np.ndarray) -> float:
    """``min_c (Zbar[c,c] - max_{c' != c} Zbar[c',c])``."""
    Z = np.asarray(Zbar, dtype=float)
    K = Z.shape[0]
    off = Z.copy()
    off[np.arange(K), np.arange(K)] = -np.inf
    return float(np.min(np.diag(Z) - np.max(off, axis=0)))


def pd_kgon_mean_logits(K: int) -> np.ndarray:
    """T3.2's circle code: ``Zbar = G^T G`` with G's columns a regular K-gon of ``|g|² = 1/(1 - cos(2π/K))``
    (rank 2, every margin exactly 1); K >= 3."""
    from .circle_codes import kgon_gram

    return kgon_gram(_K(K))


def known_constructions(K: int) -> dict[str, np.ndarray]:
    """DNC, the cross-polytope (both odd variants) and, for K >= 3, the K-gon circle code of T3.2."""
    K = _K(K)
    out = {"DNC": dnc_mean_logits(K)}
    if K == 2:  # the 2-class "cross-polytope" [[1,-1],[-1,1]] is 2 M_2 (constructions builds it for K >= 3)
        out["cross_polytope"] = 2 * dnc_mean_logits(K)
    elif K % 2 == 0:
        out["cross_polytope"] = cross_polytope_mean_logits(K)
    else:
        out["cross_polytope_odd"] = cross_polytope_mean_logits(K, singleton="plain")
        out["cross_polytope_odd_centred"] = cross_polytope_mean_logits(K, singleton="centred")
    if K >= 3:
        out["kgon"] = pd_kgon_mean_logits(K)
    return out


def _clean(Z: np.ndarray, L: int, a: float) -> tuple[float, np.ndarray]:
    """Best exactly-feasible rank-r truncation of Z (rescaled so that every margin is >= 1)."""
    U, s, Vt = np.linalg.svd(Z)
    best = (math.inf, Z)
    for r in range(1, len(s) + 1):
        Zr = (U[:, :r] * s[:r]) @ Vt[:r]
        m = min_column_margin(Zr)
        if m <= 1e-9:
            continue
        Zr = Zr / m  # every margin >= 1 now (the smallest is exactly 1 up to rounding)
        v = schatten_pl_value(Zr, L, a)
        if v < best[0]:
            best = (v, Zr)
    return best


@dataclass
class SearchResult:
    value: float
    Zbar: np.ndarray
    start: str
    best_random_value: float
    values_by_start: dict[str, float] = field(default_factory=dict)


def factor_penalty_descent(K: int, L: int, width: int, rng: np.random.Generator,
                           mus: tuple[float, ...] = (10.0, 100.0, 1e3, 1e4), iters: int = 40) -> np.ndarray:
    """Train the L+1 factors of width ``width`` on ``½ Σ ||A_j||_F² + μ Σ relu(1 - margin)²`` (L-BFGS,
    float64, μ increasing) from a random start; return the product ``Zbar`` (not yet feasible: clean it)."""
    import torch

    K, L = _K(K), _L(L)
    shapes = [(width, K)] + [(width, width)] * (L - 1) + [(K, width)]
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    params = [torch.nn.Parameter(torch.randn(*s, generator=gen, dtype=torch.float64) * (1.5 / math.sqrt(s[1])))
              for s in shapes]
    eye = torch.eye(K, dtype=torch.bool)

    def product():
        Z = params[0]
        for W in params[1:]:
            Z = W @ Z
        return Z

    for mu in mus:
        opt = torch.optim.LBFGS(params, lr=1.0, max_iter=iters, tolerance_grad=1e-10, tolerance_change=1e-14,
                                line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            Z = product()
            marg = torch.diagonal(Z)[None, :] - Z  # [c', c] = Z[c,c] - Z[c',c]
            viol = torch.relu(1.0 - marg[~eye])
            loss = 0.5 * sum((W * W).sum() for W in params) + mu * (viol * viol).sum()
            loss.backward()
            return loss

        opt.step(closure)
    with torch.no_grad():
        return product().numpy().copy()


def _polish(Z0: np.ndarray, L: int, a: float, eps_path: tuple[float, ...]) -> np.ndarray:
    """SLSQP on the smoothed objective Σ(σ² + ε²)^{p/2} under the linear margin constraints, along ε."""
    K = Z0.shape[0]
    p = a / (L + 1)
    A = margin_matrix(K)
    cons = [{"type": "ineq", "fun": lambda z: A @ z - 1.0, "jac": lambda z: A}]

    def f_and_grad(z, eps):
        U, s, Vt = np.linalg.svd(z.reshape(K, K))
        w = s * s + eps * eps
        return float(np.sum(w ** (p / 2))), ((U * (p * s * w ** (p / 2 - 1))) @ Vt).ravel()

    z = Z0.ravel().copy()
    for eps in eps_path:
        res = minimize(f_and_grad, z, args=(eps,), jac=True, method="SLSQP", constraints=cons,
                       options={"maxiter": 80, "ftol": 1e-12})
        if np.all(np.isfinite(res.x)):
            z = res.x
    return z.reshape(K, K)


def pl_global_search(K: int, L: int, rng: np.random.Generator, random_starts: int = 6,
                     exponent_numerator: float = 2.0,
                     eps_path: tuple[float, ...] = (1e-3, 1e-4)) -> SearchResult:
    """Multi-start search of ``min ((L+1)/2) Σσ^{a/(L+1)}`` over margin-feasible K x K Zbar.

    Starts: the known constructions (as they are, and perturbed by noise 0.3) and ``random_starts``
    random deep factorisations of random width 1..K trained on the penalised (P_L) objective
    (:func:`factor_penalty_descent`; with a = 2 its objective is (P_L) itself).  Every end point is
    polished by SLSQP on the smoothed Schatten objective along ``eps_path`` and cleaned by
    :func:`_clean` (rank-r truncation, rescaled to exact feasibility); the start itself is also a
    candidate.  ``values_by_start`` records every cleaned value; ``best_random_value`` the best
    among the random starts only.
    """
    K, L = _K(K), _L(L)
    a = float(exponent_numerator)
    starts: list[tuple[str, np.ndarray]] = []
    for name, Z0 in known_constructions(K).items():
        starts.append((name, Z0.copy()))
        starts.append((name + "+noise", Z0 + 0.3 * rng.standard_normal((K, K))))
    for i in range(random_starts):
        width = int(rng.integers(1, K + 1))
        if a == 2.0:
            Zf = factor_penalty_descent(K, L, width, rng)
        else:  # factor training minimises the a = 2 objective; for other exponents start from noise
            Zf = rng.standard_normal((K, width)) @ rng.standard_normal((width, K))
        starts.append((f"random{i}(width{width})", Zf))

    values: dict[str, float] = {}
    best = (math.inf, None, "")
    best_random = math.inf
    for name, Z0 in starts:
        v, Zc = _clean(_polish(Z0, L, a, eps_path), L, a)
        v0, Z0c = _clean(Z0, L, a)
        if v0 < v:
            v, Zc = v0, Z0c
        values[name] = v
        if name.startswith("random"):
            best_random = min(best_random, v)
        if v < best[0]:
            best = (v, Zc, name)
    return SearchResult(value=best[0], Zbar=best[1], start=best[2], best_random_value=best_random,
                        values_by_start=values)


def describe_structure(Zbar: np.ndarray, L: int, tol: float = 1e-4) -> dict:
    """Rank, singular values and the nearest known shape of a (cleaned) search end point."""
    Z = np.asarray(Zbar, dtype=float)
    K = Z.shape[0]
    s = np.linalg.svd(Z, compute_uv=False)
    rank = int(np.sum(s > 1e-9 * s[0]))
    sv = [round(float(x), 6) for x in s[:rank]]
    shape = f"other (rank {rank})"
    if np.linalg.norm(Z - dnc_mean_logits(K)) < tol:
        shape = "DNC"
    else:
        for name, C in known_constructions(K).items():
            sc = np.linalg.svd(C, compute_uv=False)
            if name != "DNC" and len(sc) == len(s) and np.allclose(np.sort(s), np.sort(sc), atol=tol):
                shape = name + " (same singular values)"
                break
        else:
            if rank == 2:
                shape = "rank 2 (circle-code type)"
    sym = bool(np.linalg.norm(Z - Z.T) < tol * max(1.0, np.linalg.norm(Z)))
    return {"rank": rank, "singular_values": sv, "shape": shape, "symmetric": sym}


# --------------------------------------------------------------------------- second order of (P_L) at a point
# (P_L) over the factors θ = (F_0 = H, F_1 = W_1, ..., F_L = W_L): minimise ½ Σ_j ||F_j||_F² subject to the
# margins g_{i,c'}(θ) = z_i[c_i] - z_i[c'] - 1 >= 0 of Z = F_L ... F_0.  At a KKT point with multipliers λ the
# Lagrangian is ℒ = ½||θ||² - <G, Z(θ)> + Σλ with G = Σ λ_{i,c'} (e_{c_i} - e_{c'}) e_i^T, and
#     ∇²ℒ[v, v] = ||v||² - 2 Σ_{i<j} <G, F_L..F_{j+1} v_j F_{j-1}..F_{i+1} v_i F_{i-1}..F_0>.
# The functions below build these objects EXACTLY for factors with rational entries (flint fmpq_mat), as
# integer-valued float64 arrays times a stated scale, so that a certificate can be exact.

def exact_dnc_factors(K: int, L: int, d: int | None = None) -> list:
    """The balanced DNC factors for n = 1 as exact rationals: ``H = [M_K; 0]`` (d x K),
    ``W_l = diag(M_K, 0)`` (d x d), ``W_L = [M_K, 0]`` (K x d), ``d >= K`` (default K).

    ``M_K`` is an orthogonal projector with K - 1 unit singular values, so every factor has singular values
    1 (K - 1 times) and 0, the product is ``M_K^{L+1} = M_K`` (margins exactly 1) and ½Σ||F||² = (L+1)(K-1)/2,
    the L-D.7 value: a balanced factorisation of Z_DNC with rational entries (a gauge transform of Eq. 10)."""
    import flint

    K, L = _K(K), _L(L)
    d = K if d is None else int(d)
    if d < K:
        raise ValueError(f"width d={d} must be >= K={K} here (the rational factors embed M_K)")

    def embed(rows: int, cols: int):
        X = flint.fmpq_mat(rows, cols)
        for a in range(K):
            for b in range(K):
                X[a, b] = flint.fmpq(int(a == b) * K - 1, K)
        return X

    return [embed(d, K)] + [embed(d, d) for _ in range(L - 1)] + [embed(K, d)]


def _fmpq_to_scaled_int(X, scale: int) -> np.ndarray:
    """``scale * X`` as an int64 array, exactly; ArithmeticError when it is not integral."""
    num, den = X.numer_denom()
    den = int(den)
    if scale % den:
        raise ArithmeticError(f"scale {scale} is not a multiple of the denominator {den}")
    f = scale // den
    return np.array([[int(v) * f for v in row] for row in num.tolist()], dtype=np.int64).reshape(X.nrows(), X.ncols())


def _chain(factors, lo: int, hi: int, size: int):
    """``F_{hi-1} ... F_lo`` exactly (the identity of the given size when lo >= hi)."""
    import flint

    out = flint.fmpq_mat(size, size)
    for a in range(size):
        out[a, a] = 1
    for j in range(lo, hi):
        out = factors[j] * out
    return out


def _den(X) -> int:
    return int(X.numer_denom()[1])


def _lcm(*xs: int) -> int:
    out = 1
    for x in xs:
        out = out * int(x) // math.gcd(out, int(x))
    return out


def _exact_float(A: np.ndarray) -> np.ndarray:
    """int64 -> float64, refusing values that float64 cannot hold exactly."""
    if A.size and int(np.max(np.abs(A))) >= 2**53:
        raise ArithmeticError("integer entries beyond 2^53: float64 would round them")
    return A.astype(np.float64)


def _exact_gram(X: np.ndarray) -> np.ndarray:
    """``X^T X`` for an integer-valued float64 (or sparse) X, refusing sizes where float64 could round:
    every partial sum is bounded by (|X|^T |X|)_max, required below 2^52."""
    import scipy.sparse as sps

    absX = abs(X)
    bound = (absX.T @ absX)
    bmax = float(bound.max()) if bound.shape[0] else 0.0
    if bmax >= 2.0**52:
        raise ArithmeticError("Gram entries could exceed 2^52: not exact in float64")
    G = X.T @ X
    return G.toarray() if sps.issparse(G) else np.asarray(G)


@dataclass
class PLSecondOrder:
    """Exact second-order data of (P_L) at a point θ with multipliers λ (n samples in class order).

    ``hessian`` is ``scale_h`` times the Hessian of the Lagrangian; ``jacobian`` is ``scale_j`` times the
    margin Jacobian (one row per constraint (i, c'), columns: the entries of F_0, ..., F_L row-major);
    ``gauge`` is ``scale_g`` times the tangent vectors of the orthogonal gauge action
    ``F_{l-1} -> Q F_{l-1}, F_l -> F_l Q^T`` for the basis ``Ω = E_pq - E_qp`` of so(d_l), l = 1..L
    (rows); all integer-valued float64, so products of small integers below 2^53 are exact.
    ``margins`` and ``multipliers`` are exact Fractions; ``stationarity_exact`` says whether
    ``θ = Σ λ ∇g`` held exactly (∇f = θ for f = ½||θ||²).
    """

    K: int
    L: int
    widths: list[int]
    sizes: list[int]
    theta: np.ndarray
    margins: list
    multipliers: list
    stationarity_exact: bool
    scale_h: int
    hessian: np.ndarray
    scale_j: int
    jacobian: object
    scale_g: int
    gauge: object

    @property
    def dimension(self) -> int:
        return int(sum(self.sizes))

    def finsler(self, rho: int, with_gauge: bool = True) -> tuple[np.ndarray, int]:
        """``(A, S)`` with ``A = S (∇²ℒ + ρ J^T J + ρ Γ^T Γ)`` integer-valued (Γ only ``with_gauge``).

        If A is positive definite then ∇²ℒ is positive definite on ker J ∩ ker Γ = C ∩ T^⊥ (the
        critical cone under strict complementarity, orthogonal to the gauge orbit): for v there,
        v^T A v = S v^T ∇²ℒ v.  (Finsler: for large ρ the converse holds too.)"""
        S = _lcm(self.scale_h, self.scale_j**2, self.scale_g**2 if with_gauge else 1)
        A = self.hessian * (S // self.scale_h)
        A = A + (rho * (S // self.scale_j**2)) * _exact_gram(self.jacobian)
        if with_gauge:
            A = A + (rho * (S // self.scale_g**2)) * _exact_gram(self.gauge)
        if np.max(np.abs(A)) >= 2.0**52:
            raise ArithmeticError("Finsler matrix entries beyond 2^52")
        return A, S


def pl_second_order_exact(factors: list, labels, multipliers=None) -> PLSecondOrder:
    """Exact margins, multipliers (given, or recovered from ∇f = J^T λ and verified exactly),
    Hessian of the Lagrangian, margin Jacobian and gauge generators of (P_L) at rational factors.

    ``factors`` are flint ``fmpq_mat`` ``[F_0 = H (d_1 x N), F_1, ..., F_L (K x d_L)]``."""
    import flint
    import scipy.sparse as sps
    from fractions import Fraction

    L = len(factors) - 1
    K, N = factors[-1].nrows(), factors[0].ncols()
    labels = [int(c) for c in labels]
    shapes = [(F.nrows(), F.ncols()) for F in factors]
    sizes = [r * c for r, c in shapes]
    offs = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    P = int(offs[-1])
    Z = _chain(factors, 0, L + 1, N)
    cons = [(i, c2) for i in range(N) for c2 in range(K) if c2 != labels[i]]
    margins = [Fraction(int((Z[labels[i], i] - Z[c2, i]).p), int((Z[labels[i], i] - Z[c2, i]).q)) for i, c2 in cons]
    # prefix C_j = F_{j-1}..F_0 (cols_j x N) and suffix A_j = F_L..F_{j+1} (K x rows_j)
    C = [_chain(factors, 0, j, N) for j in range(L + 1)]
    A = [_chain(factors, j + 1, L + 1, shapes[j][0]) for j in range(L + 1)]
    # margin Jacobian: row (i, c'), block j = outer(A_j^T w, C_j e_i), w = e_{c_i} - e_{c'}
    W = flint.fmpq_mat(K, len(cons))
    for m, (i, c2) in enumerate(cons):
        W[labels[i], m] = 1
        W[c2, m] = -1
    left = [A[j].transpose() * W for j in range(L + 1)]  # rows_j x m
    scale_j = _lcm(*[_den(left[j]) * _den(C[j]) for j in range(L + 1)])
    blocks = []
    for j in range(L + 1):
        dl, dc = _den(left[j]), _den(C[j])
        lj = _fmpq_to_scaled_int(left[j], dl)
        cj = _fmpq_to_scaled_int(C[j], dc)[:, [i for i, _ in cons]]  # cols_j x m
        blk = np.einsum("pm,qm->mpq", lj, cj).reshape(len(cons), -1) * (scale_j // (dl * dc))
        blocks.append(sps.csr_matrix(_exact_float(blk)))
    jac = sps.hstack(blocks, format="csr")
    theta_num = [_fmpq_to_scaled_int(F, scale_j) for F in factors]  # scale_j * θ, integral since C_0 = I
    theta = np.concatenate([t.ravel() for t in theta_num]).astype(np.float64) / scale_j
    # multipliers: given, or least squares rounded to rationals, then verified exactly: J^T λ = θ
    if multipliers is None:
        lam_f = sps.linalg.lsqr(jac.T.tocsr() / scale_j, theta, atol=1e-15, btol=1e-15)[0]
        multipliers = [Fraction(float(x)).limit_denominator(10**6) for x in lam_f]
    lam = [Fraction(x) for x in multipliers]
    den_l = _lcm(*[x.denominator for x in lam])
    lam_int = np.array([int(x * den_l) for x in lam], dtype=object)
    jac_obj = jac.T.tocsr()
    lhs = [sum(int(v) * lam_int[int(c)] for v, c in zip(jac_obj.data[jac_obj.indptr[r]:jac_obj.indptr[r + 1]],
                                                         jac_obj.indices[jac_obj.indptr[r]:jac_obj.indptr[r + 1]]))
           for r in range(P)]
    rhs_theta = np.concatenate([t.ravel() for t in theta_num])
    stationary = all(lhs[r] == int(rhs_theta[r]) * den_l for r in range(P))
    # G = Σ λ (e_{c_i} - e_{c'}) e_i^T, exactly
    G = flint.fmpq_mat(K, N)
    for (i, c2), x in zip(cons, lam):
        q = flint.fmpq(x.numerator, x.denominator)
        G[labels[i], i] += q
        G[c2, i] -= q
    # Hessian of the Lagrangian: block (j, i), i < j: -coef with coef[(b,c),(e,a)] = P1[a,b] B[c,e],
    # P1 = C_i G^T A_j, B = F_{j-1}..F_{i+1}; the form is ||v||² - 2 Σ_{i<j} vec(v_j)^T coef vec(v_i)
    pairs = [(i, j) for j in range(L + 1) for i in range(j)]
    P1s = {(i, j): C[i] * G.transpose() * A[j] for i, j in pairs}
    Bs = {(i, j): _chain(factors, i + 1, j, shapes[i][0]) for i, j in pairs}
    scale_h = _lcm(*[_den(P1s[p]) * _den(Bs[p]) for p in pairs]) if pairs else 1
    H = np.zeros((P, P), dtype=np.int64)
    H[np.arange(P), np.arange(P)] = scale_h
    for i, j in pairs:
        d1, d2 = _den(P1s[(i, j)]), _den(Bs[(i, j)])
        p1 = _fmpq_to_scaled_int(P1s[(i, j)], d1)
        b = _fmpq_to_scaled_int(Bs[(i, j)], d2)
        coef = np.einsum("ab,ce->bcea", p1, b).reshape(sizes[j], sizes[i]) * (scale_h // (d1 * d2))
        H[offs[j]:offs[j + 1], offs[i]:offs[i + 1]] -= coef
        H[offs[i]:offs[i + 1], offs[j]:offs[j + 1]] -= coef.T
    # gauge generators: inner space l (between F_{l-1} and F_l), Ω = E_pq - E_qp:
    # v_{l-1} = Ω F_{l-1} (row p <- row q, row q <- -row p), v_l = -F_l Ω (col q <- -col p, col p <- col q)
    scale_g = _lcm(*[_den(F) for F in factors])
    Fi = [_fmpq_to_scaled_int(F, scale_g) for F in factors]
    rows, cols, vals = [], [], []
    g = 0
    for l in range(1, L + 1):
        dl = shapes[l - 1][0]
        prev, cur = Fi[l - 1], Fi[l]
        for p in range(dl):
            for q in range(p + 1, dl):
                for cc in range(shapes[l - 1][1]):  # v_{l-1}[p, :] = F[q, :], v_{l-1}[q, :] = -F[p, :]
                    for rr, val in ((p, prev[q, cc]), (q, -prev[p, cc])):
                        if val:
                            rows.append(g), cols.append(offs[l - 1] + rr * shapes[l - 1][1] + cc), vals.append(val)
                for rr in range(shapes[l][0]):  # v_l[:, p] = F_l[:, q], v_l[:, q] = -F_l[:, p]
                    for cc, val in ((p, cur[rr, q]), (q, -cur[rr, p])):
                        if val:
                            rows.append(g), cols.append(offs[l] + rr * shapes[l][1] + cc), vals.append(val)
                g += 1
    gauge = sps.csr_matrix((np.array(vals, dtype=np.float64), (rows, cols)), shape=(g, P))
    return PLSecondOrder(K=K, L=L, widths=[s[0] for s in shapes[:-1]], sizes=sizes, theta=theta,
                         margins=margins, multipliers=lam, stationarity_exact=bool(stationary),
                         scale_h=scale_h, hessian=_exact_float(H), scale_j=scale_j, jacobian=jac,
                         scale_g=scale_g, gauge=gauge)
