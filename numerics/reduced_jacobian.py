"""Jacobian-vector products of the reduced flow (Eq. 6) and of its normalised flow.

The reduced flow is ``F(λ) = (1 - ψ(λ)) ⊙ λ^β`` on the modes k = 1..K-1
(:mod:`numerics.reduced_flow`).  Its Jacobian is never formed at large K: a
Jacobian-vector product ``J w`` costs two fast transforms, by the chain rule
through the softmax (no identity about ψ is assumed here):

    δf = H (0, w) / K,   δg = g ⊙ (δf - <g, δf>),   δ(1 - ψ_k) = 2 Σ_{i>=1 : H[k,i] = -1} δg_i,
    J w = δ(1 - ψ) ⊙ λ^β + (1 - ψ) ⊙ β λ^{β-1} ⊙ w.

(``1 - ψ_k = Σ_i (1 - H[k,i]) g_i`` and mode i = 0 carries ``1 - H[k,0] = 0``.)

Scaling.  At the scales where the stability thresholds live (``a ~ K(L-1)/(L+1)``,
thousands at K = 2^12) every off-zero softmax weight ``g_i`` (i >= 1) is below
the float64 range.  The *scaled* routines therefore work with
``t_i = g_i / e^{ℓ*}``, ``ℓ* = max_{i>=1} log g_i`` (computed from the stable
log-softmax), and return ``(value / e^{ℓ*}, ℓ*)``: ``F``, ``J w`` and the
tangent Jacobian below all carry the same positive factor ``e^{ℓ*}``, which
changes no sign and no root in ``a``.

Normalised flow.  The direction ``u = λ/||λ||`` obeys ``u̇ = P_u F(λ)/||λ||``,
``P_u = I - u u^T``.  Linearising at fixed radius ``r = ||λ||`` in a tangent
direction ``w ⊥ u`` gives

    G w = P_u J w - (<u, F> / r) w            (w ⊥ u),

the *tangent Jacobian*: a direction is linearly stable when every eigenvalue of
``G`` on ``u^⊥`` has negative real part (perturbations shrink relative to the
radius).  :func:`tangent_spectrum` finds the extreme eigenvalues by ARPACK
(Lanczos / Arnoldi) driven only by these products.

mpmath (``*_mp``) and arb (``*_arb``) versions use the same chain rule in
high-precision / ball arithmetic (no scaling needed: their exponents do not
underflow).
"""

from __future__ import annotations

from typing import Sequence

import flint
import mpmath
import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigs

from .hadamard import fwht, fwht_mp, fwht_split, require_power_of_two
from .reduced_flow import beta, mean_logit_profile, require_depth, softmax_profile_mp
from .softmax import log_softmax, require_finite

__all__ = [
    "scaled_tail_weights",
    "scaled_one_minus_psi",
    "scaled_rhs",
    "psi_jvp",
    "scaled_rhs_jvp",
    "scaled_tangent_jvp",
    "lanczos_extremes",
    "DENSE_TANGENT_MAX",
    "tangent_basis",
    "tangent_spectrum",
    "dense_rhs_jacobian",
    "rhs_jvp_fd_mp",
    "rhs_jvp_mp",
    "tangent_rayleigh_mp",
    "tangent_jvp_arb",
]


def _check_lam(lam: np.ndarray) -> tuple[np.ndarray, int]:
    lam = require_finite(np.asarray(lam, dtype=float), "λ")
    if lam.ndim != 1:
        raise ValueError("λ must be a vector of the K-1 reduced modes")
    K = lam.shape[-1] + 1
    require_power_of_two(K, minimum=4, what="K (= number of reduced modes + 1)")
    if np.any(lam < 0):
        raise ValueError("the reduced flow is defined for λ >= 0 (singular values)")
    return lam, K


def _check_w(w: np.ndarray, n: int) -> np.ndarray:
    w = require_finite(np.asarray(w, dtype=float), "w")
    if w.shape != (n,):
        raise ValueError(f"tangent vector must have shape ({n},), got {w.shape}")
    return w


def _minus_half_sum(x_tail: np.ndarray) -> np.ndarray:
    """``2 Σ_{i>=1: H[k,i]=-1} x_i`` for k = 1..K-1, given x on all K modes with x_0 = 0.

    Summed by :func:`numerics.hadamard.fwht_split` (additions only), not as ``Σ x - H x``: for x >= 0 that
    difference cancels when the odd part is many orders below the total (as in ``1 - ψ`` at large margins).
    """
    return 2 * fwht_split(x_tail)[1][1:]


# ----------------------------------------------------------------------------- float64, scaled
def scaled_tail_weights(lam: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``(t, g_0, ℓ*)`` with ``t_i = g_i e^{-ℓ*}`` for i >= 1, ``t_0 = 0``, ``g = softmax(H(0,λ)/K)``."""
    lam, K = _check_lam(lam)
    logg = log_softmax(mean_logit_profile(lam), axis=-1)
    ell = float(np.max(logg[1:]))
    t = np.zeros_like(logg)
    t[1:] = np.exp(logg[1:] - ell)
    return t, float(np.exp(logg[0])), ell


def scaled_one_minus_psi(lam: np.ndarray) -> tuple[np.ndarray, float]:
    """``((1 - ψ) e^{-ℓ*}, ℓ*)`` on modes 1..K-1 (core form, no cancellation against 1)."""
    t, _, ell = scaled_tail_weights(lam)
    return _minus_half_sum(t), ell


def scaled_rhs(lam: np.ndarray, L: int) -> tuple[np.ndarray, float]:
    """``(F(λ) e^{-ℓ*}, ℓ*)`` with ``F = (1 - ψ) ⊙ λ^β`` (Eq. 6)."""
    omp, ell = scaled_one_minus_psi(lam)
    return omp * np.power(np.asarray(lam, float), beta(L)), ell


def psi_jvp(lam: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``(∂ψ/∂λ) w`` on modes 1..K-1 by the softmax chain rule (unscaled float64)."""
    lam, K = _check_lam(lam)
    w = _check_w(w, K - 1)
    logg = log_softmax(mean_logit_profile(lam), axis=-1)
    g = np.exp(logg)
    df = fwht(np.concatenate([[0.0], w])) / K
    dg = g * (df - np.dot(g, df))
    return fwht(dg)[1:]


def scaled_rhs_jvp(lam: np.ndarray, w: np.ndarray, L: int) -> tuple[np.ndarray, float]:
    """``(J w e^{-ℓ*}, ℓ*)``: the reduced flow's Jacobian applied to ``w`` (two fast transforms)."""
    lam, K = _check_lam(lam)
    w = _check_w(w, K - 1)
    b = beta(L)
    logg = log_softmax(mean_logit_profile(lam), axis=-1)
    ell = float(np.max(logg[1:]))
    t = np.zeros_like(logg)
    t[1:] = np.exp(logg[1:] - ell)
    g = np.exp(logg)
    df = fwht(np.concatenate([[0.0], w])) / K
    gbar = float(np.dot(g, df))  # <g, δf>, mode 0 included
    d_omp = _minus_half_sum(t * (df - gbar))  # δ(1 - ψ) e^{-ℓ*}
    omp = _minus_half_sum(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        dpow = b * np.where(lam > 0, np.power(lam, b - 1.0), 1.0 if b == 1.0 else 0.0)
    return d_omp * np.power(lam, b) + omp * dpow * w, ell


def scaled_tangent_jvp(lam: np.ndarray, w: np.ndarray, L: int) -> tuple[np.ndarray, float]:
    """``(G w e^{-ℓ*}, ℓ*)`` with ``G w = P_u J w - (<u,F>/r) w`` for the tangent part of ``w``."""
    lam = np.asarray(lam, float)
    r = float(np.linalg.norm(lam))
    if not r > 0:
        raise ValueError("the normalised flow needs λ != 0")
    u = lam / r
    w = np.asarray(w, float)
    w = w - np.dot(u, w) * u
    Jw, ell = scaled_rhs_jvp(lam, w, L)
    F, ell2 = scaled_rhs(lam, L)
    assert ell == ell2
    Gw = Jw - np.dot(u, Jw) * u - (np.dot(u, F) / r) * w
    return Gw, ell


def lanczos_extremes(matvec, v0: np.ndarray, steps: int = 30, breakdown: float = 1e-10,
                     noise_floor: float = 0.0) -> dict:
    """Lanczos with full reorthogonalisation for a symmetric operator: extreme Ritz values.

    Stops early when the Krylov space closes (``β_j <= max(breakdown · ||A v_j||, noise_floor)``):
    the Ritz values are then exact eigenvalues of the operator restricted to an
    invariant subspace containing ``v0``.  ``noise_floor`` is the rounding level of the matvec
    itself (an operator that is a small difference of large terms): a residual below it is
    noise, and continuing would add spurious Ritz values.  Returns ``{"max", "min", "steps", "closed"}``.
    """
    V = [v0 / np.linalg.norm(v0)]
    alphas: list[float] = []
    betas: list[float] = []
    closed = False
    for _ in range(steps):
        w = matvec(V[-1])
        size = float(np.linalg.norm(w))
        a = float(np.dot(V[-1], w))
        alphas.append(a)
        for v in V:  # full reorthogonalisation (twice is enough)
            w = w - np.dot(v, w) * v
        for v in V:
            w = w - np.dot(v, w) * v
        b = float(np.linalg.norm(w))
        if b <= max(breakdown * max(size, 1e-300), noise_floor):
            closed = True
            break
        betas.append(b)
        V.append(w / b)
    if len(alphas) == 1:
        ritz = np.array(alphas)
    else:
        ritz = eigh_tridiagonal(np.array(alphas), np.array(betas[: len(alphas) - 1]), eigvals_only=True)
    return {"max": float(ritz.max()), "min": float(ritz.min()), "steps": len(alphas), "closed": closed}


#: Lanczos residuals below this fraction of ||J v|| are rounding noise (measured: <= 5e-14 up to K = 2^16)
LANCZOS_NOISE = 1e-12

#: below this tangent dimension (K - 2) the non-symmetric spectrum is taken from the dense matrix
#: (ARPACK needs k + 1 < ncv <= n, impossible at K = 4, and is no faster at small sizes).
DENSE_TANGENT_MAX = 64


def tangent_basis(u: np.ndarray) -> np.ndarray:
    """An orthonormal basis of ``u^⊥`` (columns), ``u`` a unit vector: n x (n - 1)."""
    n = u.size
    Q, _ = np.linalg.qr(np.column_stack([u, np.eye(n)]))
    return Q[:, 1:n]


def tangent_spectrum(lam: np.ndarray, L: int, *, symmetric: bool, seed: int = 0,
                     tol: float = 1e-12, ends: tuple[str, ...] = ("max", "min"), ncv: int = 20,
                     dense_max: int = DENSE_TANGENT_MAX) -> dict:
    """Extreme real parts of the eigenvalues of ``G`` on ``u^⊥`` (scaled by ``e^{-ℓ*}``), from JVPs only.

    ``symmetric=True`` (G is symmetric at λ ≡ a): Lanczos with full
    reorthogonalisation on ``u^⊥`` (:func:`lanczos_extremes`; G maps ``u^⊥`` into
    itself, so a tangent start vector keeps the Krylov space tangent).  Otherwise,
    for a tangent dimension ``n - 1 <= dense_max``: the dense matrix of ``G`` in an
    orthonormal basis of ``u^⊥`` (``n - 1`` JVPs) and ``numpy.linalg.eigvals``; above it
    Arnoldi (ARPACK eigs) with the radial direction deflated to a large eigenvalue
    of the sign that keeps it out of the requested end.  Returns
    ``{"max": ..., "min": ..., "log_scale": ℓ*, "jvps": count, "method": ...}`` (+ Lanczos info).
    """
    lam = np.asarray(lam, float)
    n = lam.size
    u = lam / np.linalg.norm(lam)
    _, ell = scaled_rhs(lam, L)
    count = [0]
    rng = np.random.default_rng(seed)
    v0 = rng.standard_normal(n)
    v0 -= np.dot(u, v0) * u
    v0 /= np.linalg.norm(v0)

    def tangent_mv(x):
        count[0] += 1
        xt = x - np.dot(u, x) * u
        y = scaled_tangent_jvp(lam, xt, L)[0]
        return y - np.dot(u, y) * u

    out = {"log_scale": ell}
    if symmetric:
        # G = P_u J - ρ I is a difference of terms of size ||J v||: its rounding level is relative to that
        F, _ = scaled_rhs(lam, L)
        ref = float(np.linalg.norm(scaled_rhs_jvp(lam, v0, L)[0])) + abs(float(np.dot(u, F))) / float(np.linalg.norm(lam))
        floor = LANCZOS_NOISE * ref
        res = lanczos_extremes(tangent_mv, v0, steps=min(ncv * 3, n - 1), noise_floor=floor)
        out.update({k: res[k] for k in ("max", "min") if k in ends}, lanczos_steps=res["steps"],
                   krylov_closed=res["closed"], jvps=count[0], method="lanczos", noise_floor=floor)
        return out
    if n - 1 <= dense_max:
        Q = tangent_basis(u)
        M = Q.T @ np.column_stack([tangent_mv(Q[:, j]) for j in range(n - 1)])
        re = np.real(np.linalg.eigvals(M))
        out.update({k: float(f(re)) for k, f in (("max", np.max), ("min", np.min)) if k in ends},
                   jvps=count[0], method=f"dense eigvals ({n - 1} x {n - 1})")
        return out
    probe = np.linalg.norm(tangent_mv(v0))
    big = 10.0 * (probe + 1.0)

    def op(shift):
        def mv(x):
            x = np.asarray(x, float).ravel()
            return tangent_mv(x) + shift * np.dot(u, x) * u
        return LinearOperator((n, n), matvec=mv, dtype=float)

    for end, shift in (("max", -big), ("min", big)):
        if end not in ends:
            continue
        try:
            vals = eigs(op(shift), k=1, which="LR" if end == "max" else "SR", v0=v0, tol=tol, ncv=min(n - 1, ncv),
                        maxiter=5000, return_eigenvectors=False)
        except ArpackNoConvergence as exc:  # pragma: no cover - reported, not hidden
            raise RuntimeError(f"ARPACK did not converge for the {end} tangent eigenvalue") from exc
        out[end] = float(np.real(vals[0]))
    out["jvps"] = count[0]
    out["method"] = f"ARPACK eigs (ncv {min(n - 1, ncv)}, tol {tol:g})"
    return out


def dense_rhs_jacobian(lam: np.ndarray, L: int) -> tuple[np.ndarray, float]:
    """The dense Jacobian ``J e^{-ℓ*}`` column by column (small K: tests and benchmarks only)."""
    lam = np.asarray(lam, float)
    n = lam.size
    cols = [scaled_rhs_jvp(lam, e, L) for e in np.eye(n)]
    return np.stack([c[0] for c in cols], axis=1), cols[0][1]


# ----------------------------------------------------------------------------- mpmath
def _profile_softmax_mp(lam: Sequence) -> tuple[list, int]:
    require_power_of_two(len(lam) + 1, minimum=4)
    g = softmax_profile_mp(lam)
    return g, len(g)


def rhs_jvp_mp(lam: Sequence, w: Sequence, L: int) -> tuple[list, list]:
    """``(F(λ), J w)`` at the current mpmath precision, by the same chain rule."""
    L = require_depth(L)
    b = mpmath.mpf(2 * L) / (L + 1)
    lam = [mpmath.mpmathify(x) for x in lam]
    w = [mpmath.mpmathify(x) for x in w]
    g, K = _profile_softmax_mp(lam)
    df = [x / K for x in fwht_mp([mpmath.mpf(0)] + w)]
    gbar = mpmath.fsum(gi * di for gi, di in zip(g, df))
    dg = [gi * (di - gbar) for gi, di in zip(g, df)]

    def core(x):
        x = [mpmath.mpf(0)] + list(x[1:])
        S = mpmath.fsum(x)
        Hx = fwht_mp(x)
        return [S - Hx[k] for k in range(1, K)]

    omp, domp = core(g), core(dg)
    F, Jw = [], []
    for k in range(K - 1):
        lk = lam[k]
        pw = mpmath.power(lk, b)
        dpw = b * mpmath.power(lk, b - 1) if lk > 0 else (mpmath.mpf(1) if L == 1 else mpmath.mpf(0))
        F.append(omp[k] * pw)
        Jw.append(domp[k] * pw + omp[k] * dpw * w[k])
    return F, Jw


def rhs_jvp_fd_mp(lam: Sequence, w: Sequence, L: int, h=None) -> list:
    """``J w`` by central differences of the flow itself, ``(F(λ + h w) - F(λ - h w)) / (2h)``, in mpmath.

    An independent route to :func:`rhs_jvp_mp` and :func:`scaled_rhs_jvp`: it uses only
    :func:`numerics.reduced_flow.reduced_rhs_mp` (no chain rule, no softmax Jacobian).
    The truncation error is ``O(h²)``; the default ``h = 10^{-dps/3}`` leaves about a third of
    the working digits for the rounding error ``O(10^{-dps}/h)``.  λ must stay >= 0 on
    ``λ ± h w`` (it is the caller's job to keep ``h |w|`` below ``min λ``).
    """
    from .reduced_flow import reduced_rhs_mp

    lam = [mpmath.mpmathify(x) for x in lam]
    w = [mpmath.mpmathify(x) for x in w]
    h = mpmath.mpf(10) ** (-(mpmath.mp.dps // 3)) if h is None else mpmath.mpmathify(h)
    plus = reduced_rhs_mp([x + h * y for x, y in zip(lam, w)], L)
    minus = reduced_rhs_mp([x - h * y for x, y in zip(lam, w)], L)
    return [(p - m) / (2 * h) for p, m in zip(plus, minus)]


def tangent_rayleigh_mp(lam: Sequence, w: Sequence, L: int) -> tuple[mpmath.mpf, mpmath.mpf]:
    """Rayleigh quotient ``<w, G w>/<w, w>`` of the tangent Jacobian and the eigen-residual.

    ``w`` must be tangent (``<w, λ> = 0``).  The residual ``||G w - R w|| / ||G w||``
    is ~0 exactly when ``w`` is an eigenvector of ``G``.
    """
    lam = [mpmath.mpmathify(x) for x in lam]
    w = [mpmath.mpmathify(x) for x in w]
    r = mpmath.sqrt(mpmath.fsum(x * x for x in lam))
    u = [x / r for x in lam]
    if abs(mpmath.fsum(a * b for a, b in zip(u, w))) > mpmath.mpf(10) ** (-mpmath.mp.dps // 2):
        raise ValueError("w must be tangent to the sphere at λ")
    F, Jw = rhs_jvp_mp(lam, w, L)
    uJw = mpmath.fsum(a * b for a, b in zip(u, Jw))
    uF = mpmath.fsum(a * b for a, b in zip(u, F))
    Gw = [jw - uJw * ui - (uF / r) * wi for jw, ui, wi in zip(Jw, u, w)]
    ww = mpmath.fsum(x * x for x in w)
    R = mpmath.fsum(a * b for a, b in zip(w, Gw)) / ww
    res = mpmath.sqrt(mpmath.fsum((a - R * b) ** 2 for a, b in zip(Gw, w)))
    nGw = mpmath.sqrt(mpmath.fsum(a * a for a in Gw))
    return R, (res / nGw if nGw != 0 else mpmath.mpf(0))


# ----------------------------------------------------------------------------- arb balls
_arb_exp = np.frompyfunc(lambda x: x.exp(), 1, 1)


def tangent_jvp_arb(lam: Sequence, w: Sequence, L: int) -> tuple[list, flint.arb]:
    """``(G w, <w, G w>/<w, w>)`` in arb ball arithmetic (exact inputs: arb balls or ints).

    The softmax here is the plain ``exp / Σ exp`` in balls: arb has no overflow or
    underflow, so the log-sum-exp shift of :mod:`numerics.softmax` (float/mpmath
    only) is not needed for correctness.
    """
    L = require_depth(L)
    lam = np.array([flint.arb(x) for x in lam], dtype=object)
    w = np.array([flint.arb(x) for x in w], dtype=object)
    K = lam.size + 1
    require_power_of_two(K, minimum=4)
    b = flint.arb(2 * L) / (L + 1)
    zero = flint.arb(0)
    f = fwht(np.concatenate([[zero], lam])) / K
    e = _arb_exp(f - f[0])
    g = e / sum(e)
    df = fwht(np.concatenate([[zero], w])) / K
    gbar = sum(g * df)
    dg = g * (df - gbar)

    def core(x):
        x = x.copy()
        x[0] = zero
        return (sum(x) - fwht(x))[1:]

    omp, domp = core(g), core(dg)
    pw = np.array([x ** b if x > 0 else zero for x in lam], dtype=object)
    dpw = np.array([b * x ** (b - 1) if x > 0 else (flint.arb(1) if L == 1 else zero) for x in lam], dtype=object)
    F = omp * pw
    Jw = domp * pw + omp * dpw * w
    r2 = sum(lam * lam)
    r = r2.sqrt()
    uJw = sum(lam * Jw) / r
    uF = sum(lam * F) / r
    Gw = Jw - uJw * lam / r - (uF / r) * w
    R = sum(w * Gw) / sum(w * w)
    return list(Gw), R
