"""The deep UFM at a Hadamard initialisation in exact arithmetic (no reduction used).

Factors are exact: ``H_K`` in integers, rational orthogonal ``Q`` (Cayley transforms),
rational singular values; the normalisations ``1/√K`` and ``1/√(Kn)`` of U and V are kept
as exact sympy scalars beside rational matrices (:class:`Scaled`).  For ``n`` a perfect
square the logits ``Z = W_L ... W_1 H`` come out rational, with a common denominator D.

Exponentials become monomials: ``exp(Z_ic) = t^{D Z_ic}`` with ``t = e^{1/D}``.  Softmax
entries are then ratios of sparse polynomials in t with rational coefficients, and an
identity between expressions built from them holds at the real point ``t = e^{1/D}`` iff it
holds in ``Q(t)``: t is transcendental, so a non-zero rational function with rational
coefficients does not vanish there.  Clearing the (few, distinct) softmax denominators turns
the gradient identity of Thm 4.2 into finitely many rational matrix identities, one per
power of t, decided exactly with python-flint.

Polynomials are sparse dicts ``{exponent: Fraction}``; polynomial matrices are dicts
``{exponent: flint.fmpq_mat}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Sequence

import flint
import mpmath
import numpy as np
import sympy as sp

from .hadamard import require_power_of_two, sylvester

__all__ = [
    "Poly",
    "poly_mul",
    "poly_add",
    "poly_eval_mp",
    "Scaled",
    "cayley_orthogonal",
    "rational_matrix",
    "hadamard_factors_exact",
    "gradient_identity_exact",
]

Poly = dict  # {int exponent: Fraction}


def poly_add(a: Poly, b: Poly, scale_b: Fraction = Fraction(1)) -> Poly:
    out = dict(a)
    for e, c in b.items():
        v = out.get(e, Fraction(0)) + scale_b * c
        if v:
            out[e] = v
        else:
            out.pop(e, None)
    return out


def poly_mul(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for ea, ca in a.items():
        for eb, cb in b.items():
            e = ea + eb
            v = out.get(e, Fraction(0)) + ca * cb
            if v:
                out[e] = v
            else:
                out.pop(e, None)
    return out


def poly_eval_mp(p: Poly, t: mpmath.mpf) -> mpmath.mpf:
    return mpmath.fsum(mpmath.mpf(c.numerator) / c.denominator * mpmath.power(t, e) for e, c in p.items())


def _fmpq(x: Fraction) -> flint.fmpq:
    return flint.fmpq(x.numerator, x.denominator)


def rational_matrix(rows: Sequence[Sequence]) -> flint.fmpq_mat:
    rows = [[Fraction(v) for v in r] for r in rows]
    return flint.fmpq_mat(len(rows), len(rows[0]), [_fmpq(v) for r in rows for v in r])


def _to_fraction(x: flint.fmpq) -> Fraction:
    return Fraction(int(x.p), int(x.q))


def _eye(k: int) -> flint.fmpq_mat:
    return rational_matrix(np.eye(k, dtype=int).tolist())


@dataclass(frozen=True)
class Scaled:
    """``coef * mat`` with ``coef`` an exact sympy number (e.g. 1/√K) and ``mat`` rational."""

    coef: sp.Expr
    mat: flint.fmpq_mat

    def __matmul__(self, other: "Scaled") -> "Scaled":
        return Scaled(sp.nsimplify(self.coef * other.coef), self.mat * other.mat)

    @property
    def T(self) -> "Scaled":
        return Scaled(self.coef, self.mat.transpose())

    def rational(self) -> flint.fmpq_mat:
        """The matrix itself, when ``coef`` is rational (raises otherwise)."""
        c = sp.nsimplify(self.coef)
        if not c.is_Rational:
            raise ValueError(f"scalar {c} is not rational")
        return self.mat * flint.fmpq(int(c.p), int(c.q))


def cayley_orthogonal(d: int, rng: np.random.Generator) -> flint.fmpq_mat:
    """Exact rational orthogonal ``(I - A)(I + A)^{-1}``, A integer skew-symmetric (entries in -2..2)."""
    A = np.zeros((d, d), dtype=int)
    for i in range(d):
        for j in range(i + 1, d):
            v = int(rng.integers(-2, 3))
            A[i, j], A[j, i] = v, -v
    I = np.eye(d, dtype=int)
    Q = rational_matrix((I - A).tolist()) * rational_matrix((I + A).tolist()).inv()
    if Q.transpose() * Q != _eye(d):  # exact: a construction error, not a finding
        raise ArithmeticError("Cayley transform is not orthogonal")
    return Q


def _padded(values: Sequence[Fraction], rows: int, cols: int) -> flint.fmpq_mat:
    M = [[Fraction(0)] * cols for _ in range(rows)]
    for k, v in enumerate(values):
        M[k][k] = Fraction(v)
    return rational_matrix(M)


def hadamard_factors_exact(s: Sequence[Sequence[Fraction]], n: int, d: int, Qs: Sequence[flint.fmpq_mat]) -> list[Scaled]:
    """``[H, W_1, ..., W_L]`` of Thm 4.2 exactly: ``H = Q_1 S_0 V^T``, ``W_l = Q_{l+1} S_l Q_l^T``, ``W_L = U S_L Q_L^T``."""
    L = len(s) - 1
    K = len(s[0])
    require_power_of_two(K, minimum=2)
    Hk = sylvester(K)
    HR = rational_matrix(np.kron(Hk, np.ones((1, n), dtype=int)).tolist())  # H ⊗ 1_n^T = √(Kn) V^T
    one = sp.Integer(1)
    F = [Scaled(one / sp.sqrt(K * n), Qs[0] * _padded(s[0], d, K) * HR)]
    for l in range(1, L):
        F.append(Scaled(one, Qs[l] * _padded(s[l], d, d) * Qs[l - 1].transpose()))
    F.append(Scaled(one / sp.sqrt(K), rational_matrix(Hk.tolist()) * _padded(s[L], K, d) * Qs[L - 1].transpose()))
    return F


def _chain(F: Sequence[Scaled], lo: int, hi: int, size: int) -> Scaled:
    """``F_{hi-1} ... F_lo``; the identity of order ``size`` when empty."""
    if hi <= lo:
        return Scaled(sp.Integer(1), _eye(size))
    out = F[lo]
    for j in range(lo + 1, hi):
        out = F[j] @ out
    return out


def _softmax_column(exps: Sequence[int]) -> tuple[list[Poly], Poly]:
    """Numerators and the denominator of softmax over entries t^{exps[i]} (shifted by the minimum)."""
    m = min(exps)
    nums = [{e - m: Fraction(1)} for e in exps]
    den: Poly = {}
    for p in nums:
        den = poly_add(den, p)
    return nums, den


def _key(p: Poly) -> tuple:
    return tuple(sorted(p.items()))


def gradient_identity_exact(s: Sequence[Sequence[Fraction]], n: int, d: int, Qs: Sequence[flint.fmpq_mat],
                            psi_divisor: int, budget_terms: int = 200_000) -> dict:
    """Compare ``-∂ℒ/∂F_j`` of the full model with the Hadamard-form velocity of the reduced flow, exactly.

    The reduced prediction is ``Ḟ_j = left_j pad(ṡ_j) right_j^T`` with
    ``ṡ_{j,k} = √n (1 - ψ_k) Π_{i≠j} s_{i,k}``, ``ψ = H softmax(H λ / psi_divisor)``, ``λ = σ/√n``
    (Thm 4.2 has ``psi_divisor = K``).  Everything else is the full model: logits by multiplying
    the factors, the column softmax of those logits, ``G = P - Y`` and the chain rule
    ``∂ℒ/∂F_j = A_{>j}^T G B_{<j}^T``.

    Returns ``{"zero": bool, "D": D, "distinct_softmax_denominators": r, "powers_of_t": m, "per_factor": [...]}``;
    on a non-zero residual ``"witness"`` gives the factor, entry, power of t and the residual's value at
    t = e^{1/D} (30 digits).  Raises MemoryError when the polynomials outgrow ``budget_terms`` per entry.
    """
    L = len(s) - 1
    K = len(s[0])
    N = K * n
    root_n = sp.sqrt(n)
    if not root_n.is_Rational:
        raise ValueError("n must be a perfect square for rational logits")
    rn = Fraction(int(root_n.p), int(root_n.q))
    F = hadamard_factors_exact(s, n, d, Qs)
    Z = _chain(F, 0, L + 1, N).rational()  # the logits of the full model, K x N, rational
    Zf = [[_to_fraction(Z[i, c]) for c in range(N)] for i in range(K)]
    sigma = [np.prod([Fraction(s[l][k]) for l in range(L + 1)]) for k in range(K)]
    lam = [x / rn for x in sigma]
    Hk = sylvester(K)
    f = [sum(int(Hk[k, i]) * lam[i] for i in range(K)) / psi_divisor for k in range(K)]
    D = lcm(*[x.denominator for row in Zf for x in row], *[x.denominator for x in f])
    # softmax columns of the full model, and ψ of the reduced prediction, as polynomials in t = e^{1/D}
    cols = [_softmax_column([int(Zf[i][c] * D) for i in range(K)]) for c in range(N)]
    g_num, den_f = _softmax_column([int(x * D) for x in f])
    omp = [_one_minus_psi_num(Hk, g_num, den_f, k) for k in range(K)]
    distinct: dict[tuple, Poly] = {}
    for _, den in cols:
        distinct.setdefault(_key(den), den)
    distinct.setdefault(_key(den_f), den_f)
    keys = list(distinct)

    def cofactor(den: Poly) -> Poly:
        out: Poly = {0: Fraction(1)}
        for k_ in keys:
            if k_ != _key(den):
                out = poly_mul(out, distinct[k_])
        return out

    cof = {k_: cofactor(distinct[k_]) for k_ in keys}
    M: Poly = {0: Fraction(1)}
    for k_ in keys:
        M = poly_mul(M, distinct[k_])
    # G~ = (P - Y) M  as {exponent: K x N rational}
    Gt: dict[int, list] = {}
    labels = np.repeat(np.arange(K), n)
    for c, (nums, den) in enumerate(cols):
        cf = cof[_key(den)]
        for i in range(K):
            entry = poly_mul(poly_add(nums[i], den, Fraction(-1) if labels[c] == i else Fraction(0)), cf)
            for e, v in entry.items():
                Gt.setdefault(e, [[Fraction(0)] * N for _ in range(K)])[i][c] = v
        if sum(len(x) for x in Gt.values()) > budget_terms * K * N:
            raise MemoryError("polynomial budget exhausted")
    Gt_m = {e: rational_matrix(v) for e, v in Gt.items()}
    # reduced prediction: ṡ~_{j,k} = √n (1-ψ_k) M Π_{i≠j} s_{i,k}, (1-ψ_k) M = omp_k cof(den_f)
    omp_M = [poly_mul(o, cof[_key(den_f)]) for o in omp]
    U_rows = rational_matrix(Hk.tolist())
    HR = rational_matrix(np.kron(Hk, np.ones((1, n), dtype=int)).tolist())
    results, witness = [], None
    for j in range(L + 1):
        A = _chain(F, j + 1, L + 1, K)
        B = _chain(F, 0, j, N)
        c_grad = sp.nsimplify(A.coef * B.coef)
        if j == 0:
            left, right_T, c_form, rows_, cols_ = Qs[0] * _padded([1] * K, d, K), HR, 1 / sp.sqrt(K * n), d, K * n
        elif j == L:
            left, right_T, c_form, rows_, cols_ = U_rows, _padded([1] * K, K, d) * Qs[L - 1].transpose(), 1 / sp.sqrt(K), K, d
        else:
            left = Qs[j] * _padded([1] * K, d, K)
            right_T = _padded([1] * K, K, d) * Qs[j - 1].transpose()
            c_form, rows_, cols_ = sp.Integer(1), d, d
        ratio = sp.nsimplify(c_grad / c_form)
        if not ratio.is_Rational:
            raise ArithmeticError(f"factor {j}: the scalar ratio {ratio} is not rational")
        r = flint.fmpq(int(ratio.p), int(ratio.q))
        others = [np.prod([Fraction(s[i][k]) for i in range(L + 1) if i != j]) for k in range(K)]
        pred: dict[int, list] = {}
        for k in range(K):
            for e, v in omp_M[k].items():
                pred.setdefault(e, [Fraction(0)] * K)[k] = rn * v * others[k]
        exps = set(Gt_m) | set(pred)
        At, Bt = A.mat.transpose(), B.mat.transpose()
        worst_entries = 0
        residual_by_power = {}
        for e in sorted(exps):
            g = At * Gt_m[e] * Bt * r if e in Gt_m else None  # ∇~_j coefficient, up to c_form
            x = pred.get(e)
            v = left * _padded(x, K, K) * right_T if x is not None else None
            res = (-g if g is not None else None)
            if v is not None:
                res = v * flint.fmpq(-1) if res is None else res - v
            residual_by_power[e] = res
            nz = [(a, b) for a in range(res.nrows()) for b in range(res.ncols()) if res[a, b] != 0]
            worst_entries = max(worst_entries, len(nz))
            if nz and witness is None:
                a, b = nz[0]
                witness = {"factor": j, "entry": [a, b], "power_of_t": e}
        results.append({"factor": j, "shape": [rows_, cols_], "powers_of_t": len(exps), "nonzero_entries": worst_entries})
        if witness is not None and witness["factor"] == j and "value" not in witness:
            a, b = witness["entry"]
            with mpmath.workdps(40):
                t = mpmath.exp(mpmath.mpf(1) / D)
                num = mpmath.fsum(mpmath.mpf(_to_fraction(m[a, b]).numerator) / _to_fraction(m[a, b]).denominator * t**e
                                  for e, m in residual_by_power.items())
                value = mpmath.mpf(sp.N(c_form, 50)) * num / poly_eval_mp(M, t)
            witness["value"] = mpmath.nstr(value, 30)
    out = {"zero": witness is None, "D": D, "distinct_softmax_denominators": len(keys),
           "powers_of_t": len(Gt_m), "per_factor": results}
    if witness is not None:
        out["witness"] = witness
    return out


def _one_minus_psi_num(Hk: np.ndarray, g_num: list[Poly], den_f: Poly, k: int) -> Poly:
    """Numerator of ``1 - ψ_k = (den - Σ_i H[k,i] num_i) / den``."""
    out = dict(den_f)
    for i in range(len(g_num)):
        out = poly_add(out, g_num[i], Fraction(-int(Hk[k, i])))
    return out
