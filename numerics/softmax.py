"""Numerically stable softmax, log-softmax and cross-entropy (log-sum-exp form).

Works on float arrays and on object arrays of ``mpmath.mpf`` (high precision);
logit gaps of 10^3 and more neither overflow nor produce NaN.  ``axis=0`` is the
paper's convention: each *column* of a logit matrix is one sample.
"""

from __future__ import annotations

import mpmath
import numpy as np

__all__ = ["softmax", "log_softmax", "logsumexp", "cross_entropy_sum", "require_finite"]

_mp_exp = np.frompyfunc(mpmath.exp, 1, 1)
_mp_log = np.frompyfunc(mpmath.log, 1, 1)


def _is_object(x: np.ndarray) -> bool:
    return x.dtype == object


def require_finite(x, what: str = "input") -> np.ndarray:
    """Return ``x`` as an array, raising ``ValueError`` if any entry is NaN or infinite."""
    a = np.asarray(x)
    if _is_object(a):
        bad = [v for v in a.ravel() if not mpmath.isfinite(v)]
        if bad:
            raise ValueError(f"{what} has non-finite entries (e.g. {bad[0]})")
        return a
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what} has non-finite entries (NaN or inf)")
    return a


def logsumexp(x: np.ndarray, axis: int = 0, keepdims: bool = False) -> np.ndarray:
    """``log Σ exp(x)`` along ``axis``, shifted by the maximum (no overflow)."""
    x = require_finite(x, "logits")
    m = np.max(x, axis=axis, keepdims=True)
    if _is_object(x):
        s = np.sum(_mp_exp(x - m), axis=axis, keepdims=True)
        out = m + _mp_log(s)
    else:
        out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x: np.ndarray, axis: int = 0) -> np.ndarray:
    x = require_finite(x, "logits")
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """``exp(x - logsumexp(x))`` along ``axis`` (columns by default); non-finite logits are an error."""
    x = require_finite(x, "logits")
    m = np.max(x, axis=axis, keepdims=True)
    if _is_object(x):
        e = _mp_exp(x - m)
    else:
        e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def cross_entropy_sum(Z: np.ndarray, labels: np.ndarray) -> float:
    """``ℒ = Σ_samples -log softmax(z)_label`` for a K x N logit matrix ``Z``.

    ``labels[c]`` is the class of column c.  The SUM convention of CLAIMS.md.
    """
    Z = np.asarray(Z)
    lsm = log_softmax(Z, axis=0)
    picked = lsm[np.asarray(labels), np.arange(Z.shape[1])]
    total = -np.sum(picked)
    return total if _is_object(Z) else float(total)
