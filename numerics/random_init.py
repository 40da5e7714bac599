"""Random (Gaussian) initialisation of the deep UFM: Theorem 4.5 and Lemmas D.10, D.11.

Conventions (CLAIMS.md): factors ``F = [H, W_1, ..., W_L]`` with ``H`` (d x N),
``W_l`` (d x d), ``W_L`` (K x d); ``Z = W_L ... W_1 H``; ``N = K n`` columns in class
order; the loss is the SUM of cross-entropies, so ``∂ℒ/∂Z = P - Y``.

Theorem 4.5 initialises ``F_j = s A_j`` with every entry of every ``A_j`` i.i.d.
``N(0, 1/d)``.  Every function here accepts a leading batch axis (one slice per
seed): arrays of shape ``(S, rows, cols)``, so many seeds are one batched matmul.

The logit velocity in the paper's Gram form (Eq. 56) is

    Ż = -Σ_{j=0}^{L} (A_{>j} A_{>j}^T) (P - Y) (B_{<j}^T B_{<j}),
    A_{>j} = F_L ... F_{j+1}  (K x d_j),   B_{<j} = F_{j-1} ... F_0  (d_j x N),

with ``A_{>L} = I_K`` and ``B_{<0} = I_N``.  It is computed here from the two Gram
matrices only; :func:`numerics.deep_ufm.logit_velocity` assembles the same quantity
from the factor gradients, and :func:`autograd_logit_velocity` from torch autograd
plus a forward-mode derivative: independent routes to the same number.

The Grams and logits of Thm 4.5's factors can also be drawn without any d x d matrix
(:func:`reduced_factor_grams`, exact in law, O(d (N + K)) per layer), which takes the Monte
Carlo to widths in the tens of thousands; :func:`initial_velocity_samples` draws either way.

Leading-order theory (derived in ``theorems/random_init/t4_5/constant.py``, with
:class:`DeltaPoly` for the index contractions and :func:`gram_tensor_coefficients` for the
moments): ``d · E ||Ż/||Ż|| - M/||M|| ||_F² -> c(K, n, L, s)`` with
:func:`predicted_metric_constant` (:func:`metric_constant_expr` in sympy), and for a Gram
``G = X^T X`` ``E ||(W X)^T (W X) - G||_F² = ((tr G)² + ||G||_F²) / d`` exactly
(:func:`gram_deviation_constant`).  Where a function offers a wrong variant (``variant=``,
``covariance=``, ``variance_model=``), it is a plausible slip for a negative control.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import sympy as sp
from scipy import stats

from .deep_ufm import etf, one_hot
from .softmax import require_finite, softmax

__all__ = [
    "ENTRY_VARIANCES",
    "entry_std",
    "entry_variance_symbol",
    "gaussian_matrix",
    "gaussian_factors",
    "etf_logit_direction",
    "batched_logits",
    "left_grams",
    "right_grams",
    "gram_form_velocity",
    "velocity_from_grams",
    "REDUCED_SAMPLER_VARIANTS",
    "reduced_factor_grams",
    "gram_tensor_coefficients",
    "INITIAL_VELOCITY_SAMPLERS",
    "initial_velocity_samples",
    "DeltaPoly",
    "autograd_logit_velocity",
    "finite_difference_logit_velocity",
    "normalised_velocity_metric",
    "predicted_metric_constant",
    "METRIC_CONSTANT_VARIANTS",
    "metric_constant_expr",
    "gram_deviation_constant",
    "GRAM_COVARIANCES",
    "gram_covariance_expr",
    "gaussian_deviation_samples",
    "product_gram_second_moment",
    "product_gram_deviations",
    "LogLogFit",
    "loglog_fit",
    "gaussian_expectation",
]

# Entry variances of the random factors, by name: the paper's N(0, 1/d), and N(0, 1).
ENTRY_VARIANCES = ("1/d", "1")


def _require_int(name: str, value, minimum: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def entry_std(d: int, entry_variance: str = "1/d") -> float:
    """Standard deviation of one entry: ``1/√d`` for ``"1/d"`` (the paper), 1 for ``"1"``."""
    d = _require_int("d (width)", d, 1)
    if entry_variance == "1/d":
        return 1.0 / math.sqrt(d)
    if entry_variance == "1":
        return 1.0
    raise ValueError(f"entry_variance must be one of {ENTRY_VARIANCES}, got {entry_variance!r}")


def entry_variance_symbol(entry_variance: str, d: sp.Expr) -> sp.Expr:
    """The entry variance as a sympy expression in the width ``d``: ``1/d`` (the paper) or 1."""
    if entry_variance == "1/d":
        return 1 / d
    if entry_variance == "1":
        return sp.Integer(1)
    raise ValueError(f"entry_variance must be one of {ENTRY_VARIANCES}, got {entry_variance!r}")


def gaussian_matrix(rows: int, cols: int, d: int, rng: np.random.Generator, *, seeds: int | None = None,
                    entry_variance: str = "1/d") -> np.ndarray:
    """``rows x cols`` matrix (or ``seeds`` of them) with i.i.d. ``N(0, 1/d)`` entries."""
    rows = _require_int("rows", rows, 1)
    cols = _require_int("cols", cols, 1)
    shape = (rows, cols) if seeds is None else (_require_int("seeds", seeds, 1), rows, cols)
    return entry_std(d, entry_variance) * rng.standard_normal(shape)


def gaussian_factors(K: int, n: int, d: int, L: int, s: float, rng: np.random.Generator, *,
                     seeds: int | None = None, entry_variance: str = "1/d") -> list[np.ndarray]:
    """``[H, W_1, ..., W_L] = s [A_0, ..., A_L]``, entries of each ``A`` i.i.d. ``N(0, 1/d)`` (Thm 4.5).

    With ``seeds=S`` each factor has a leading axis of length S (independent draws).
    """
    K = _require_int("K (number of classes)", K, 2)
    n = _require_int("n (samples per class)", n, 1)
    d = _require_int("d (width)", d, 1)
    L = _require_int("L (number of weight matrices)", L, 1)
    if not (isinstance(s, (int, float, np.floating)) and math.isfinite(s) and s > 0):
        raise ValueError(f"the initial scale s must be a finite positive number, got {s!r}")
    N = K * n
    shapes = [(d, N)] + [(d, d)] * (L - 1) + [(K, d)]
    return [s * gaussian_matrix(r, c, d, rng, seeds=seeds, entry_variance=entry_variance) for r, c in shapes]


def etf_logit_direction(K: int, n: int) -> np.ndarray:
    """``M_K ⊗ 1_n^T`` (K x N): the DNC logit matrix, the predicted direction of Ż."""
    return np.kron(etf(K), np.ones((1, n)))


def batched_logits(factors: Sequence[np.ndarray]) -> np.ndarray:
    """``Z = F_L ... F_0`` (batched over a leading axis if present)."""
    Z = factors[0]
    for F in factors[1:]:
        Z = F @ Z
    return Z


def _eye_like(size: int, batch_shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.eye(size), batch_shape + (size, size))


def right_grams(factors: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``[B_{<j}^T B_{<j} for j = 0..L]`` with ``B_{<j} = F_{j-1} ... F_0`` (``B_{<0} = I_N``)."""
    H = factors[0]
    batch, N = H.shape[:-2], H.shape[-1]
    grams = [_eye_like(N, batch)]
    B = None
    for j in range(1, len(factors)):
        B = factors[0] if B is None else factors[j - 1] @ B
        grams.append(np.swapaxes(B, -1, -2) @ B)
    return grams


def left_grams(factors: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``[A_{>j} A_{>j}^T for j = 0..L]`` with ``A_{>j} = F_L ... F_{j+1}`` (``A_{>L} = I_K``)."""
    WL = factors[-1]
    batch, K = WL.shape[:-2], WL.shape[-2]
    Lp1 = len(factors)
    grams: list[np.ndarray] = [None] * Lp1  # type: ignore[list-item]
    grams[Lp1 - 1] = _eye_like(K, batch)
    A = None
    for j in range(Lp1 - 2, -1, -1):
        A = factors[-1] if A is None else A @ factors[j + 1]
        grams[j] = A @ np.swapaxes(A, -1, -2)
    return grams


def velocity_from_grams(lefts: Sequence[np.ndarray], rights: Sequence[np.ndarray], Z: np.ndarray, K: int, n: int,
                        *, terms: str = "all") -> np.ndarray:
    """Eq. 56 from its ingredients: ``Ż = -Σ_j lefts[j] (softmax(Z) - Y) rights[j]``, batched.

    ``lefts[j] = A_{>j} A_{>j}^T`` (K x K), ``rights[j] = B_{<j}^T B_{<j}`` (N x N), j = 0..L,
    and the logits ``Z`` (K x N).  ``terms="weights_only"`` drops j = 0 (as if the features
    H were frozen): a wrong variant for negative controls.
    """
    if terms not in ("all", "weights_only"):
        raise ValueError(f"terms must be 'all' or 'weights_only', got {terms!r}")
    if len(lefts) != len(rights) or len(lefts) < 2:
        raise ValueError("need matching lists of L + 1 >= 2 left and right Grams")
    Z = require_finite(np.asarray(Z, dtype=float), "logits")
    if Z.shape[-2:] != (K, K * n):
        raise ValueError(f"logits have shape {Z.shape[-2:]}, expected (K, N) = ({K}, {K * n})")
    G = softmax(Z, axis=-2) - one_hot(K, n)
    start = 0 if terms == "all" else 1
    return -sum(lefts[j] @ G @ rights[j] for j in range(start, len(lefts)))


def gram_form_velocity(factors: Sequence[np.ndarray], K: int, n: int, *, terms: str = "all") -> np.ndarray:
    """Eq. 56: ``Ż = -Σ_j (A_{>j} A_{>j}^T)(P - Y)(B_{<j}^T B_{<j})``, batched.

    ``terms="all"`` is the paper's sum over every factor j = 0..L.  ``terms="weights_only"``
    drops j = 0 (as if the features H were frozen): a wrong variant for negative controls.
    """
    if terms not in ("all", "weights_only"):
        raise ValueError(f"terms must be 'all' or 'weights_only', got {terms!r}")
    if len(factors) < 2:
        raise ValueError("need L >= 1 weight matrices (at least 2 factors)")
    Z = require_finite(batched_logits(factors), "logits")
    if Z.shape[-2:] != (K, K * n):
        raise ValueError(f"logits have shape {Z.shape[-2:]}, expected (K, N) = ({K}, {K * n})")
    return velocity_from_grams(left_grams(factors), right_grams(factors), Z, K, n, terms=terms)


# Variants of the reduced sampler: the exact one, and a plausible slip for negative controls.
REDUCED_SAMPLER_VARIANTS = ("exact", "no_cholesky")


def _thin_qr(B: np.ndarray, gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``B = Q R`` (batched, Q with orthonormal columns).  For ``d >= 4N`` by two passes of Cholesky QR
    (``gram = B^T B`` given): a Gaussian B then has condition number <= ~3, and CholQR2 is orthonormal
    to rounding and ~40x faster than Householder QR on a stack; narrower B (condition number up to
    ~d) use Householder QR."""
    d, N = B.shape[-2:]
    if d < 4 * N:
        return np.linalg.qr(B)
    T = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
    L1 = np.linalg.cholesky(gram)
    Q = B @ T(np.linalg.inv(L1))
    L2 = np.linalg.cholesky(T(Q) @ Q)  # second pass: I + O(eps κ²)
    return Q @ T(np.linalg.inv(L2)), T(L1 @ L2)  # B = Q1 L1^T = Q2 L2^T L1^T


def _psd_factor(G: np.ndarray) -> np.ndarray:
    """A batched ``C`` with ``C C^T = G`` for symmetric positive semi-definite G: Cholesky, or the
    symmetric square root where Cholesky fails (G singular to rounding)."""
    try:
        return np.linalg.cholesky(G)
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(G)
        return V * np.sqrt(np.clip(w, 0.0, None))[..., None, :]


def reduced_factor_grams(K: int, n: int, d: int, L: int, s: float, rng: np.random.Generator, *, seeds: int,
                         variant: str = "exact") -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """The ingredients of Eq. 56 for Thm 4.5's Gaussian factors, drawn in O(d (N + K)) per layer.

    Returns ``(lefts, rights, Z)`` with the same joint law as ``left_grams(F)``, ``right_grams(F)``,
    ``batched_logits(F)`` for ``F = gaussian_factors(K, n, d, L, s, rng, seeds=seeds)``, without
    ever forming a d x d matrix.  The construction (exact, for d >= N = K n):

    * forward: ``B_1 = H``; with ``B_j = Q_j R_j`` (thin QR, Q_j d x N orthonormal), ``X_j = F_j Q_j``
      has i.i.d. ``N(0, s²/d)`` entries independent of the past, and ``B_{j+1} = X_j R_j``;
      ``Z = X_L R_L``.
    * backward: ``F_j = X_j Q_j^T + F_j^⊥`` with ``F_j^⊥ = F_j (I - Q_j Q_j^T)`` independent of
      ``X_j``, of the past, and of every later factor's parts (those see F_j only through X_j);
      so given ``A_{>j}``, ``A_{>j} F_j^⊥`` has the law of ``C_j Ξ_j (I - Q_j Q_j^T)`` with
      ``C_j C_j^T = A_{>j} A_{>j}^T`` (Cholesky) and ``Ξ_j`` K x d i.i.d. ``N(0, s²/d)``:
      ``A_{>j-1} = (A_{>j} X_j) Q_j^T + C_j Ξ_j (I - Q_j Q_j^T)``.

    ``variant="no_cholesky"`` drops ``C_j`` (as if the rows of ``A_{>j}`` were orthonormal, which
    they are only in the limit): a plausible slip, for negative controls.
    """
    K = _require_int("K (number of classes)", K, 2)
    n = _require_int("n (samples per class)", n, 1)
    L = _require_int("L (number of weight matrices)", L, 1)
    N = K * n
    d = _require_int("d (width; the reduced sampler needs d >= N)", d, N)
    seeds = _require_int("seeds", seeds, 1)
    if not (isinstance(s, (int, float, np.floating)) and math.isfinite(s) and s > 0):
        raise ValueError(f"the initial scale s must be a finite positive number, got {s!r}")
    if variant not in REDUCED_SAMPLER_VARIANTS:
        raise ValueError(f"variant must be one of {REDUCED_SAMPLER_VARIANTS}, got {variant!r}")
    sd = s / math.sqrt(d)
    T = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
    B = sd * rng.standard_normal((seeds, d, N))  # B_1 = H
    rights = [_eye_like(N, (seeds,)), T(B) @ B]
    Qs, Xs = [None], [None]  # index j = 1..L
    gram = rights[1]
    for j in range(1, L + 1):
        Q, R = _thin_qr(B, gram)
        rows = d if j < L else K
        X = sd * rng.standard_normal((seeds, rows, N))
        Qs.append(Q)
        Xs.append(X)
        B = X @ R
        if j < L:
            gram = T(B) @ B
            rights.append(gram)
    Z = B  # X_L R_L
    lefts: list[np.ndarray] = [None] * (L + 1)  # type: ignore[list-item]
    lefts[L] = _eye_like(K, (seeds,))
    A = None  # A_{>j}, K x d
    for j in range(L, 0, -1):
        Q, X = Qs[j], Xs[j]
        Xi = sd * rng.standard_normal((seeds, K, d))
        perp = Xi - (Xi @ Q) @ T(Q)  # Ξ (I - Q Q^T)
        if A is None:  # j = L: A_{>L} = I_K
            A = X @ T(Q) + perp
        else:
            C = _psd_factor(lefts[j]) if variant == "exact" else _eye_like(K, (seeds,))
            A = ((A @ X) @ T(Q)) + C @ perp
        lefts[j - 1] = A @ T(A)
    return lefts, rights, Z


INITIAL_VELOCITY_SAMPLERS = ("reduced", "direct")


def initial_velocity_samples(K: int, n: int, d: int, L: int, s: float, rng: np.random.Generator, seeds: int,
                             targets: dict[str, np.ndarray], *, sampler: str = "reduced", variant: str = "exact",
                             chunk_bytes: float = 6.4e7) -> dict[str, np.ndarray]:
    """Per-draw statistics of Thm 4.5's initial logit velocity, over ``seeds`` independent draws.

    Returns, each of shape ``(seeds,)``: the Eq. 61 metric of Eq. 56's Ż against every named
    target; ``left_dev_sq = ||A_{>0}A_{>0}^T / s^{2L} - I_K||_F²``, ``right_dev_sq =
    ||B_{<L}^T B_{<L} / s^{2L} - I_N||_F²`` and ``logit_sq = ||Z||_F² / s^{2L+2}``.
    ``sampler="reduced"`` draws with :func:`reduced_factor_grams` (O(d) per draw; ``variant``
    is passed on), ``"direct"`` multiplies the d x d factors of :func:`gaussian_factors`.
    Seeds are drawn in chunks of about ``chunk_bytes`` of working memory.
    """
    if sampler not in INITIAL_VELOCITY_SAMPLERS:
        raise ValueError(f"sampler must be one of {INITIAL_VELOCITY_SAMPLERS}, got {sampler!r}")
    N = K * n
    per_draw = 8 * d * (N + K) * 4 if sampler == "reduced" else 8 * d * (d * max(1, L - 1) + 2 * (N + K))
    chunk = max(1, min(seeds, int(chunk_bytes // per_draw)))
    out: dict[str, list] = {name: [] for name in (*targets, "left_dev_sq", "right_dev_sq", "logit_sq")}
    done = 0
    while done < seeds:
        b = min(chunk, seeds - done)
        if sampler == "reduced":
            lefts, rights, Z = reduced_factor_grams(K, n, d, L, s, rng, seeds=b, variant=variant)
        else:
            F = gaussian_factors(K, n, d, L, s, rng, seeds=b)
            lefts, rights, Z = left_grams(F), right_grams(F), batched_logits(F)
        Zdot = velocity_from_grams(lefts, rights, Z, K, n)
        for name, T in targets.items():
            out[name].append(normalised_velocity_metric(Zdot, T))
        scale = s ** (2 * L)
        out["left_dev_sq"].append(np.sum((lefts[0] / scale - np.eye(K)) ** 2, axis=(-2, -1)))
        out["right_dev_sq"].append(np.sum((rights[L] / scale - np.eye(N)) ** 2, axis=(-2, -1)))
        out["logit_sq"].append(np.sum(Z**2, axis=(-2, -1)) / (scale * s * s))
        done += b
    return {k: np.concatenate(v) for k, v in out.items()}


def gram_tensor_coefficients(depth, d):
    """Exact ``(α, β)`` with ``E[G_ab G_ce] = α δ_ab δ_ce + β (δ_ac δ_be + δ_ae δ_bc)`` for the Gram
    ``G`` of ``depth`` random ``N(0, 1/d)`` layers applied to an orthonormal frame.

    By Lemma D.10's conditional covariance one layer maps ``(α, β) -> (α + 2β/d, β + (α + β)/d)``,
    from ``(1, 0)``; the closed form (eigenvalues ``1 + 2/d`` and ``1 - 1/d``) is
    ``α = (2 (1 - 1/d)^depth + (1 + 2/d)^depth)/3``, ``β = ((1 + 2/d)^depth - (1 - 1/d)^depth)/3``.
    ``depth`` and ``d`` may be numbers or sympy symbols.
    """
    up, down = (1 + 2 / sp.sympify(d)) ** depth, (1 - 1 / sp.sympify(d)) ** depth
    return (2 * down + up) / 3, (up - down) / 3


def autograd_logit_velocity(factors: Sequence[np.ndarray], K: int, n: int) -> np.ndarray:
    """Ż from torch: factor gradients by reverse-mode autograd of the summed cross-entropy,
    then ``dZ/dt`` by a forward-mode derivative (``torch.func.jvp``) of the logits along
    ``Ḟ = -∇ℒ``.  Shares no code with Eq. 56 or with :mod:`numerics.deep_ufm`.  float64, CPU.
    """
    import torch
    from torch.func import jvp

    Fs = [torch.tensor(np.asarray(F, dtype=np.float64), dtype=torch.float64, requires_grad=True) for F in factors]
    labels = torch.as_tensor(np.repeat(np.arange(K), n))

    def logits_of(*fs):
        Z = fs[0]
        for F in fs[1:]:
            Z = F @ Z
        return Z

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: thread synchronisation would dominate; restored below
    try:
        loss = torch.nn.functional.cross_entropy(logits_of(*Fs).T, labels, reduction="sum")
        grads = torch.autograd.grad(loss, Fs)
        primals = tuple(F.detach() for F in Fs)
        _, Zdot = jvp(logits_of, primals, tuple(-g for g in grads))
    finally:
        torch.set_num_threads(threads)
    return Zdot.numpy()


def finite_difference_logit_velocity(factors: Sequence[np.ndarray], K: int, n: int, h: float = 1e-5) -> np.ndarray:
    """Ż from central differences only: each gradient entry of ℒ by a central difference of
    the loss, then ``(Z(F + hḞ) - Z(F - hḞ)) / 2h``.  Truncation error O(h²); for tiny models."""
    from .softmax import cross_entropy_sum

    labels = np.repeat(np.arange(K), n)
    Fs = [np.array(F, dtype=np.float64) for F in factors]

    def loss_at(fs):
        return cross_entropy_sum(batched_logits(fs), labels)

    grads = []
    for j, F in enumerate(Fs):
        g = np.zeros_like(F)
        for idx in np.ndindex(F.shape):
            old = F[idx]
            F[idx] = old + h
            up = loss_at(Fs)
            F[idx] = old - h
            down = loss_at(Fs)
            F[idx] = old
            g[idx] = (up - down) / (2 * h)
        grads.append(g)
    plus = batched_logits([F - h * g for F, g in zip(Fs, grads)])
    minus = batched_logits([F + h * g for F, g in zip(Fs, grads)])
    return (plus - minus) / (2 * h)


def normalised_velocity_metric(Zdot: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Eq. 61: ``|| Ż/||Ż||_F - T/||T||_F ||_F²`` (per batch slice); lies in [0, 4]."""
    Zdot = require_finite(np.asarray(Zdot, dtype=float), "logit velocity")
    target = require_finite(np.asarray(target, dtype=float), "target direction")
    nz = np.sqrt(np.sum(Zdot**2, axis=(-2, -1), keepdims=True))
    nt = np.sqrt(np.sum(target**2, axis=(-2, -1), keepdims=True))
    if np.any(nz == 0) or np.any(nt == 0):
        raise ValueError("cannot normalise a zero matrix in the Eq. 61 metric")
    return np.sum((Zdot / nz - target / nt) ** 2, axis=(-2, -1))


# Claimed forms of the Thm 4.5 constant: the derived one, and plausible slips for negative controls.
METRIC_CONSTANT_VARIANTS = ("derived", "independent_terms", "no_projection")


def predicted_metric_constant(K: int, n: int, L: int, s: float = 0.0, variant: str = "derived") -> float:
    """Leading-order ``d · E[Eq. 61 metric]`` for ``F_j = s A_j``, entries ``N(0, 1/d)``.

    ``c = S_L [(K-1)(K+N+2) - 4] / ((L+1)² (K-1))  +  s^{2L+2} [(K-1)N - 1] / (K² n (K-1))``
    with ``S_L = Σ_{i=1}^{L} i² = L(L+1)(2L+1)/6``.  The first term comes from the
    Gram fluctuations of Lemma D.11, the second from the first-order softmax term
    ``P ≈ 1/K + (1/K) M_K Z`` (derived in ``theorems/random_init/t4_5/constant.py``); it
    vanishes as s -> 0.  Plausible slips, for negative controls: ``"independent_terms"``
    treats the L + 1 Gram terms of Eq. 56 as independent (``L(L+1)/2`` in place of ``S_L``;
    they share layers); ``"no_projection"`` keeps the fluctuation along M (the relative error
    ``||Ż/s^{2L} - (L+1)M||²/||(L+1)M||²`` instead of the direction error):
    ``S_L (K+N+2)/(L+1)² + s^{2L+2}/K``.
    """
    K = _require_int("K", K, 2)
    n = _require_int("n", n, 1)
    L = _require_int("L", L, 1)
    if variant not in METRIC_CONSTANT_VARIANTS:
        raise ValueError(f"variant must be one of {METRIC_CONSTANT_VARIANTS}, got {variant!r}")
    N = K * n
    S = L * (L + 1) * (2 * L + 1) / 6 if variant != "independent_terms" else L * (L + 1) / 2
    if variant == "no_projection":
        return S * (K + N + 2) / (L + 1) ** 2 + s ** (2 * L + 2) / K
    gram_part = S * ((K - 1) * (K + N + 2) - 4) / ((L + 1) ** 2 * (K - 1))
    softmax_part = s ** (2 * L + 2) * ((K - 1) * N - 1) / (K**2 * n * (K - 1))
    return gram_part + softmax_part


def metric_constant_expr(K, n, L, s, variant: str = "derived") -> sp.Expr:
    """:func:`predicted_metric_constant` as a sympy expression (K, n, L, s numbers or symbols)."""
    if variant not in METRIC_CONSTANT_VARIANTS:
        raise ValueError(f"variant must be one of {METRIC_CONSTANT_VARIANTS}, got {variant!r}")
    K, n, L, s = (sp.sympify(v) for v in (K, n, L, s))
    N = K * n
    S = L * (L + 1) * (2 * L + 1) / 6 if variant != "independent_terms" else L * (L + 1) / 2
    if variant == "no_projection":
        return S * (K + N + 2) / (L + 1) ** 2 + s ** (2 * L + 2) / K
    return (S * ((K - 1) * (K + N + 2) - 4) / ((L + 1) ** 2 * (K - 1))
            + s ** (2 * L + 2) * ((K - 1) * N - 1) / (K**2 * n * (K - 1)))


# Claimed covariances of a random layer's Gram, Cov(Q_ab, Q_ce | X): Lemma D.10's (Isserlis / Wick),
# and the scalar chi-square slip Q ≈ G χ²_d/d (right on the diagonal, wrong off it), for negative controls.
GRAM_COVARIANCES = ("isserlis", "chi_square")


def gram_deviation_constant(G: np.ndarray, covariance: str = "isserlis") -> float:
    """``d · E ||(W X)^T (W X) - G||_F² = (tr G)² + ||G||_F²`` for ``G = X^T X``, W entries N(0, 1/d).

    ``covariance="chi_square"`` gives ``2 ||G||_F²``, what the slip ``Var Q_ab = 2 G_ab²/d`` predicts.
    """
    G = require_finite(np.asarray(G, dtype=float), "Gram matrix")
    if covariance == "isserlis":
        return float(np.trace(G) ** 2 + np.sum(G * G))
    if covariance == "chi_square":
        return float(2 * np.sum(G * G))
    raise ValueError(f"covariance must be one of {GRAM_COVARIANCES}, got {covariance!r}")


def gram_covariance_expr(G: sp.Matrix, a: int, b: int, c: int, e: int, d, covariance: str = "isserlis") -> sp.Expr:
    """The claimed ``Cov(Q_ab, Q_ce | X)`` for a (symbolic) Gram ``G``: ``(G_ac G_be + G_ae G_bc)/d``
    (Lemma D.10), or ``2 G_ab G_ce / d`` for ``covariance="chi_square"``."""
    if covariance == "isserlis":
        return (G[a, c] * G[b, e] + G[a, e] * G[b, c]) / d
    if covariance == "chi_square":
        return 2 * G[a, b] * G[c, e] / d
    raise ValueError(f"covariance must be one of {GRAM_COVARIANCES}, got {covariance!r}")


def product_gram_second_moment(size: int, depth: int, d, variance_model: str = "exact"):
    """``E ||P^T P - I_size||_F²`` for a product ``P = A_depth ... A_1 E`` of ``depth`` independent
    d x d-type Gaussian layers with ``N(0, 1/d)`` entries applied to an orthonormal ``E`` (d x size).

    Exact for every d, by Lemma D.10's conditional moments and the tower property: with
    ``a = E (tr G)²``, ``b = E ||G||_F²`` one layer maps ``(a, b) -> (a + 2b/d, b + (a + b)/d)``,
    from ``(size², size)``; and ``E G = I``, so the answer is ``b - size``.  Leading order
    ``depth · size (size + 1) / d``.  ``d`` may be a number or a sympy symbol.
    Wrong models for negative controls: ``"one_layer"`` returns ``size (size + 1)/d`` whatever the
    depth; ``"scalar_chi_square"`` returns ``size ((1 + 2/d)^depth - 1)`` (each layer multiplying the
    Gram by a scalar χ²_d/d, right for size 1 only).
    """
    size = _require_int("size", size, 1)
    depth = _require_int("depth", depth, 0)
    if variance_model == "one_layer":
        return size * (size + 1) / d if depth > 0 else 0 * d
    if variance_model == "scalar_chi_square":
        return size * ((1 + 2 / d) ** depth - 1)
    if variance_model != "exact":
        raise ValueError(f"variance_model must be 'exact', 'one_layer' or 'scalar_chi_square', got {variance_model!r}")
    a, b = size**2, size
    for _ in range(depth):
        a, b = a + 2 * b / d, b + (a + b) / d
    return b - size


def gaussian_deviation_samples(R: np.ndarray, d: int, seeds: int, rng: np.random.Generator, *,
                               entry_variance: str = "1/d") -> tuple[np.ndarray, np.ndarray]:
    """Frobenius and operator norms of ``(W X)^T (W X) - R^T R`` over ``seeds`` draws.

    ``X = Q R`` with ``Q`` a random d x m orthonormal frame (QR of a Gaussian matrix), so
    ``X^T X = R^T R`` exactly; ``W`` is d x d with i.i.d. entries of the given variance.
    """
    R = require_finite(np.asarray(R, dtype=float), "R")
    m = R.shape[0]
    d = _require_int("d (width)", d, m)
    A = R.T @ R
    fro, op = [], []
    chunk = max(1, min(seeds, int(4e6 // (d * d))))
    done = 0
    while done < seeds:
        b = min(chunk, seeds - done)
        Q, _ = np.linalg.qr(rng.standard_normal((b, d, m)))
        X = Q @ R
        WX = gaussian_matrix(d, d, d, rng, seeds=b, entry_variance=entry_variance) @ X
        dev = np.swapaxes(WX, -1, -2) @ WX - A
        fro.append(np.sqrt(np.sum(dev**2, axis=(-2, -1))))
        op.append(np.max(np.abs(np.linalg.eigvalsh(dev)), axis=-1))
        done += b
    return np.concatenate(fro), np.concatenate(op)


def product_gram_deviations(X: np.ndarray, Ws: Sequence[np.ndarray], target: np.ndarray) -> np.ndarray:
    """``||(W_k ... W_1 X)^T (W_k ... W_1 X) - target||_F`` for k = 0..len(Ws), batched.

    Entry k of the last axis is the deviation after k random layers (k = 0: X alone).
    """
    devs = []
    Y = X
    for k in range(len(Ws) + 1):
        if k > 0:
            Y = Ws[k - 1] @ Y
        gram = np.swapaxes(Y, -1, -2) @ Y
        devs.append(np.sqrt(np.sum((gram - target) ** 2, axis=(-2, -1))))
    return np.stack(devs, axis=-1)


@dataclass(frozen=True)
class LogLogFit:
    """OLS fit ``log y = intercept + slope log x`` with a two-sided t confidence interval."""

    slope: float
    intercept: float
    slope_stderr: float
    ci_low: float
    ci_high: float
    confidence: float
    points: int

    def contains(self, rate: float) -> bool:
        return self.ci_low <= rate <= self.ci_high

    def as_dict(self) -> dict:
        return {"slope": self.slope, "intercept": self.intercept, "slope_stderr": self.slope_stderr,
                "ci": [self.ci_low, self.ci_high], "confidence": self.confidence, "points": self.points}


def loglog_fit(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> LogLogFit:
    """Fit a power law ``y ∝ x^slope`` to positive samples (pooled OLS on logs)."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape or x.size < 3:
        raise ValueError("loglog_fit needs matching x, y with at least 3 points")
    if np.any(x <= 0) or np.any(y <= 0) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("loglog_fit needs finite positive x and y")
    if np.unique(x).size < 2:
        raise ValueError("loglog_fit needs at least two distinct x values")
    lx, ly = np.log(x), np.log(y)
    res = stats.linregress(lx, ly)
    t = stats.t.ppf(0.5 + confidence / 2, x.size - 2)
    half = t * res.stderr
    return LogLogFit(float(res.slope), float(res.intercept), float(res.stderr),
                     float(res.slope - half), float(res.slope + half), confidence, int(x.size))


def gaussian_expectation(expr: sp.Expr, variables: Sequence[sp.Symbol], variance: sp.Expr) -> sp.Expr:
    """Exact ``E[expr]`` for ``variables`` i.i.d. ``N(0, variance)``: expand into monomials and
    replace ``v^p`` by its Gaussian moment ``(p-1)!! variance^{p/2}`` (0 for odd p)."""
    variables = list(variables)
    poly = sp.Poly(sp.expand(expr), *variables)
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        moment = sp.Integer(1)
        for p in powers:
            if p % 2:
                moment = sp.Integer(0)
                break
            moment *= sp.factorial2(p - 1) * variance ** (p // 2)
        total += coeff * moment
    return sp.expand(total)


class DeltaPoly:
    """Polynomials in Kronecker deltas ``δ(i, j)`` of named indices, with sympy coefficients.

    The exact contraction engine of the Theorem 4.5 constant: every tensor there (the ETF
    ``M_K``, the logit direction ``M_K ⊗ 1_n^T``, the Gram-fluctuation covariances) is a
    polynomial in deltas, and :meth:`sum_over` sums an index over a range of *symbolic* size
    (``Σ_i δ(i, j) f(i) = f(j)``; ``Σ_i 1 = size``), so a full contraction is an exact
    expression in the dimensions, valid for every value of them.
    A term is a set of unordered index pairs (a product of deltas) with a coefficient.
    """

    __slots__ = ("terms",)

    def __init__(self, terms: dict | None = None):
        self.terms: dict[frozenset, sp.Expr] = {}
        for key, coef in (terms or {}).items():
            self._add_term(key, coef)

    def _add_term(self, key: frozenset, coef) -> None:
        coef = sp.sympify(coef)
        if coef == 0:
            return
        total = sp.expand(self.terms.get(key, 0) + coef)
        if total == 0:
            self.terms.pop(key, None)
        else:
            self.terms[key] = total

    @staticmethod
    def delta(i: str, j: str) -> "DeltaPoly":
        if i == j:
            return DeltaPoly({frozenset(): 1})
        return DeltaPoly({frozenset({frozenset((i, j))}): 1})

    @staticmethod
    def const(c) -> "DeltaPoly":
        return DeltaPoly({frozenset(): c})

    def __add__(self, other) -> "DeltaPoly":
        other = other if isinstance(other, DeltaPoly) else DeltaPoly.const(other)
        out = DeltaPoly(self.terms)
        for k, c in other.terms.items():
            out._add_term(k, c)
        return out

    __radd__ = __add__

    def __neg__(self) -> "DeltaPoly":
        return DeltaPoly({k: -c for k, c in self.terms.items()})

    def __sub__(self, other) -> "DeltaPoly":
        return self + (-(other if isinstance(other, DeltaPoly) else DeltaPoly.const(other)))

    def __rsub__(self, other) -> "DeltaPoly":
        return DeltaPoly.const(other) - self

    def __mul__(self, other) -> "DeltaPoly":
        if not isinstance(other, DeltaPoly):
            return DeltaPoly({k: c * other for k, c in self.terms.items()})
        out = DeltaPoly()
        for k1, c1 in self.terms.items():
            for k2, c2 in other.terms.items():
                out._add_term(k1 | k2, c1 * c2)
        return out

    __rmul__ = __mul__

    def rename(self, mapping: dict[str, str]) -> "DeltaPoly":
        """Rename indices (a pair that becomes ``δ(i, i)`` is 1)."""
        out = DeltaPoly()
        for key, coef in self.terms.items():
            pairs = set()
            for pair in key:
                p = frozenset(mapping.get(i, i) for i in pair)
                if len(p) == 2:
                    pairs.add(p)
            out._add_term(frozenset(pairs), coef)
        return out

    def sum_over(self, index: str, size) -> "DeltaPoly":
        """``Σ_{index = 1}^{size}`` of the polynomial (``size`` a number or a sympy symbol)."""
        out = DeltaPoly()
        for key, coef in self.terms.items():
            hit = next((p for p in key if index in p), None)
            if hit is None:
                out._add_term(key, coef * size)
                continue
            (other,) = tuple(hit - {index})
            pairs = set()
            for pair in key - {hit}:
                p = frozenset(other if i == index else i for i in pair)
                if len(p) == 2:
                    pairs.add(p)
            out._add_term(frozenset(pairs), coef)
        return out

    def sum_all(self, sizes: dict[str, object]) -> "DeltaPoly":
        out = self
        for index, size in sizes.items():
            out = out.sum_over(index, size)
        return out

    def free_indices(self) -> set[str]:
        return {i for key in self.terms for pair in key for i in pair}

    def scalar(self) -> sp.Expr:
        """The value of a fully contracted polynomial."""
        if self.free_indices():
            raise ValueError(f"not fully contracted: free indices {sorted(self.free_indices())}")
        return sp.expand(self.terms.get(frozenset(), sp.Integer(0)))

    def coefficient(self, *pairs: tuple[str, str]) -> sp.Expr:
        """Coefficient of the delta monomial ``Π δ(i, j)`` over ``pairs`` (0 if absent)."""
        return self.terms.get(frozenset(frozenset(p) for p in pairs), sp.Integer(0))
