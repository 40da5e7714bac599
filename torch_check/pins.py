"""torch_check's metrics pinned to exact values on known matrices, computed independently.

The empirical claims compare deep runs with references (shallow runs, placebos, other
starts) through the same metrics, so a slip in a metric's normalisation (σ² instead of σ
in the effective rank, ||Zbar|| instead of ||Z|| in the margin, a missing centring, the
wrong direction of a KL divergence) can cancel between them and go unnoticed.  Here each
metric of :mod:`torch_check.metrics` (and the convergence statistics built on them) is
evaluated on matrices whose value is known in closed form, and compared with that value
computed by sympy from the exact (rational) matrix or from the singular values it was
built with — never by the code under test.

Each pin also carries the value of a *plausible wrong definition* of the metric on the
same matrix (the slips above), so the pins are known to tell the paper's definition from
the wrong one (a test checks that every wrong definition differs on some pin).

- :func:`pin_table` ``(definitions)``: every pin, the metric's output, the exact value
  under ``"paper"`` or ``"variant"`` definitions, and the error;
- :func:`require_pinned` ``(names)``: raise :class:`MetricPinFailed` (an AssertionError:
  the check reports ERROR, a defect of the checker) unless every pin of the named
  metrics holds to ``PIN_TOLERANCE``; returns the evidence record.  Every E-* check calls it
  for the metrics it reads.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from numerics.deep_ufm import class_labels

from . import metrics
from .convergence import erank_statistic, max_gap_deviation

__all__ = ["PIN_TOLERANCE", "METRICS", "VARIANTS", "MetricPinFailed", "pin_table", "require_pinned"]

PIN_TOLERANCE = 1e-10

# the wrong definition each variant pin stands for
VARIANTS = {
    "mean_logits": "samples interleaved by class (column j in class j mod K) instead of class blocks",
    "effective_rank": "p_i proportional to sigma_i^2 instead of sigma_i (Eq. 60)",
    "normalised_margin": "margin divided by ||Zbar||_F (the mean logits) instead of ||Z||_F",
    "kl_to_dnc": "KL(p || uniform) instead of KL(uniform || p)",
    "distance_to_etf": "distance of the uncentred mean logits to the ETF",
    "distance_to_cross_polytope": "distance of the uncentred mean logits to the cross-polytope",
    "hadamard_modes": "(H Zbar H)_kk / sqrt(K) instead of / K",
    "feature_angles": "angles of the right singular vectors V^T (no S^{1/2}) instead of the Gram factor",
    "rank2_residual": "discarded singular values as a fraction of the sum of singular values, not of the Frobenius norm",
}
METRICS = tuple(VARIANTS)


class MetricPinFailed(AssertionError):
    """A torch_check metric disagrees with its exact value on a known matrix."""


# ------------------------------------------------------------------------- exact matrices
def _H(K: int) -> sp.Matrix:
    H = sp.Matrix([[1]])
    while H.shape[0] < K:
        H = sp.Matrix(sp.BlockMatrix([[H, H], [H, -H]]))
    return H


def _M(K: int) -> sp.Matrix:
    return sp.eye(K) - sp.ones(K, K) / K


def _centred(A: sp.Matrix) -> sp.Matrix:
    return _M(A.shape[0]) * A


def _fro(A: sp.Matrix) -> sp.Expr:
    return sp.sqrt(sum(x**2 for x in A))


def _unit_distance(A: sp.Matrix, B: sp.Matrix) -> sp.Expr:
    D = A / _fro(A) - B / _fro(B)
    return sp.sqrt(sum(x**2 for x in D))


def _etf(K: int) -> sp.Matrix:
    return _M(K)


def _cp(partner: tuple[int, ...]) -> sp.Matrix:
    K = len(partner)
    Z = sp.zeros(K, K)
    for c in range(K):
        Z[c, c] = 1
        Z[partner[c], c] = -1
    return Z


def _erank(svals, power: int = 1) -> sp.Expr:
    s = [sp.nsimplify(x) ** power for x in svals if x != 0]
    tot = sum(s)
    p = [x / tot for x in s]
    return sp.exp(-sum(q * sp.log(q) for q in p))


def _margin(Z: sp.Matrix, labels) -> sp.Expr:
    out = []
    for j, c in enumerate(labels):
        col = Z[:, j]
        out.append(col[c] - max(col[i] for i in range(Z.shape[0]) if i != c))
    return sp.Min(*out)


# Hadamard rows 1..3 of K = 4, halved: orthonormal and orthogonal to the all-ones vector.
_U4 = [_H(4)[i, :].T / 2 for i in (1, 2, 3)]
_E4 = [sp.eye(4)[:, i] for i in range(4)]
_SHIFT4 = sp.ones(4, 1) * sp.Matrix([[1, 2, 0, -1]])  # 1 c^T: softmax-invariant, removed by centring


def _known(svals, shift=True) -> sp.Matrix:
    """Centred part U diag(svals) E^T with U ⊥ 1 (exact singular values ``svals``), plus 1 c^T."""
    A = sp.zeros(4, 4)
    for s, u, e in zip(svals, _U4, _E4):
        A += s * u * e.T
    return A + (_SHIFT4 if shift else sp.zeros(4, 4))


def _angles_matrix(angles) -> tuple[sp.Matrix, sp.Matrix]:
    """Gram matrix G^T G of unit class vectors at the given (exact) angles, which sum to 0."""
    G = sp.Matrix([[sp.cos(a) for a in angles], [sp.sin(a) for a in angles]])
    return sp.simplify(G.T * G), G


def _f(A: sp.Matrix) -> np.ndarray:
    return np.array(A.evalf(30).tolist(), dtype=float)


# --------------------------------------------------------------------------------- the pins
Pin = tuple[str, Callable[[], float | np.ndarray], sp.Expr | list, sp.Expr | list]


@lru_cache(maxsize=1)
def _pins() -> dict[str, list[Pin]]:
    """metric -> [(what, code under test, exact paper value, exact variant value)]."""
    pins: dict[str, list[Pin]] = {m: [] for m in METRICS}
    K, n = 3, 2
    # mean logits: n = 2 samples per class in class blocks (numerics.deep_ufm.class_labels)
    Zs = sp.Matrix([[1, 3, 0, 2, 5, -1], [2, 0, 4, 4, 1, 1], [0, 6, 2, 0, 3, 3]])
    block = sp.Matrix([[(Zs[i, 2 * c] + Zs[i, 2 * c + 1]) / 2 for c in range(K)] for i in range(K)])
    inter = sp.Matrix([[(Zs[i, c] + Zs[i, c + K]) / 2 for c in range(K)] for i in range(K)])
    pins["mean_logits"].append(("3 x 6 integer Z, n = 2", lambda Zs=Zs: metrics.mean_logits(_f(Zs), K, n),
                                list(block), list(inter)))
    # effective rank through the pipeline the trainer uses: erank(svd(centred(Zbar)))
    for sv, what in (((3, 1), "centred singular values (3, 1) plus a column shift"),
                     ((2, 1, 1), "singular values (2, 1, 1) plus a column shift"),
                     ((1, 1, 1), "singular values (1, 1, 1): I_3 in a centred basis"),
                     ((5,), "rank one")):
        A = _known(sv)
        pins["effective_rank"].append((f"erank of {what}", lambda A=A: erank_statistic(_f(A), 4, 1),
                                       _erank(sv), _erank(sv, 2)))
    pins["effective_rank"].append(("erank of M_5 (DNC): K - 1 = 4", lambda: erank_statistic(_f(_M(5)), 5, 1),
                                   sp.Integer(4), sp.Integer(4)))
    # normalised margin: DNC at scale 7 with n = 2 -> 1/sqrt(n (K-1)); a generic and a misclassified Z
    K5 = 5
    Zd = 7 * sp.Matrix.hstack(*[_M(K5)[:, c] for c in range(K5) for _ in range(2)])
    lab = list(class_labels(K5, 2))
    pins["normalised_margin"].append(("7 M_5 ⊗ 1_2^T (DNC, n = 2): 1/sqrt(8)",
                                      lambda Zd=Zd: metrics.normalised_margin(_f(Zd), K5, 2),
                                      _margin(Zd, lab) / _fro(Zd), _margin(Zd, lab) / _fro(7 * _M(K5))))
    Zg = sp.Matrix([[3, 0, 1, 3, 1, 0], [1, 2, 0, 1, 2, 1], [0, 1, 4, 1, 1, 4]])
    labg = list(class_labels(3, 2))
    Zg_bar = sp.Matrix([[(Zg[i, 2 * c] + Zg[i, 2 * c + 1]) / 2 for c in range(3)] for i in range(3)])
    pins["normalised_margin"].append(("3 x 6 integer Z, n = 2", lambda Zg=Zg: metrics.normalised_margin(_f(Zg), 3, 2),
                                      _margin(Zg, labg) / _fro(Zg), _margin(Zg, labg) / _fro(Zg_bar)))
    Zm = sp.Matrix([[1, 2], [0, 0]])
    pins["normalised_margin"].append(("a misclassified column: -2/sqrt(5)",
                                      lambda Zm=Zm: metrics.normalised_margin(_f(Zm), 2, 1),
                                      _margin(Zm, [0, 1]) / _fro(Zm), _margin(Zm, [0, 1]) / _fro(Zm)))
    # KL to DNC
    for sv in ((2, 1, 1, 0), (3, 1, 1, 0), (1, 1, 1, 0)):
        q = [sp.Rational(s) for s in sv[:3]]
        p = [x / sum(q) for x in q]
        paper = sum(sp.log(sp.Rational(1, 3) / x) for x in p) / 3
        variant = sum(x * sp.log(3 * x) for x in p)
        pins["kl_to_dnc"].append((f"singular values {sv}, K = 4",
                                  lambda sv=sv: metrics.kl_to_dnc(np.array(sv, float), 4), paper, variant))
    A = _known((2, 1, 1))
    pins["kl_to_dnc"].append(("through the pipeline: centred singular values (2, 1, 1)",
                              lambda A=A: metrics.kl_to_dnc(metrics.singular_values(metrics.centred(_f(A))), 4),
                              sum(sp.log(sp.Rational(1, 3) / x) for x in (sp.Rational(1, 2), sp.Rational(1, 4),
                                                                         sp.Rational(1, 4))) / 3,
                              sum(x * sp.log(3 * x) for x in (sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(1, 4)))))
    # distances to the ETF and to the cross-polytope (K = 4)
    cp = _cp((1, 0, 3, 2))
    for what, Zb in (("3 M_4 + 1 c^T (DNC, shifted)", 3 * _M(4) + _SHIFT4),
                     ("cross-polytope (0 1)(2 3)", cp),
                     ("singular values (3, 1) plus a shift", _known((3, 1)))):
        pins["distance_to_etf"].append((what, lambda Zb=Zb: metrics.distance_to_etf(_f(Zb)),
                                        _unit_distance(_centred(Zb), _etf(4)), _unit_distance(Zb, _etf(4))))
    for what, Zb, pairing in (("cross-polytope + 1 c^T, greedy pairing", cp + _SHIFT4, None),
                              ("3 M_4 + 1 c^T, pairing (0 1)(2 3)", 3 * _M(4) + _SHIFT4, (1, 0, 3, 2)),
                              ("singular values (3, 1) plus a shift, pairing (0 2)(1 3)", _known((3, 1)), (2, 3, 0, 1))):
        target = _centred(_cp(pairing or (1, 0, 3, 2)))
        pins["distance_to_cross_polytope"].append(
            (what, lambda Zb=Zb, pairing=pairing: metrics.distance_to_cross_polytope(
                _f(Zb), None if pairing is None else np.array(pairing)),
             _unit_distance(_centred(Zb), target), _unit_distance(Zb, target)))
    # Hadamard modes: Zbar = H diag(0, λ) H / K
    for lam in ((1, 2, 3), (5, 1, 1)):
        H = _H(4)
        Zb = H * sp.diag(0, *lam) * H / 4
        pins["hadamard_modes"].append((f"H diag(0, {lam}) H / 4", lambda Zb=Zb: metrics.hadamard_modes(_f(Zb)),
                                       [sp.Integer(x) for x in lam], [sp.Integer(x) * 2 for x in lam]))
    # angles of the Gram factor: gaps (as a multiset) and the largest deviation from 2π/K
    for angles in ((0, sp.pi / 3, sp.pi, 4 * sp.pi / 3), (0, sp.pi / 2, sp.pi, 3 * sp.pi / 2)):
        Zb, G = _angles_matrix(angles)
        gaps = sorted([angles[(i + 1) % 4] - angles[i] + (2 * sp.pi if i == 3 else 0) for i in range(4)],
                      key=lambda x: float(x))
        U, S, Vt = np.linalg.svd(_f(Zb))  # the variant: angles of V^T rows 0, 1 without S^{1/2}
        wrong = np.sort(np.arctan2(Vt[1], Vt[0]))
        wrong_gaps = sorted(np.diff(np.concatenate([wrong, [wrong[0] + 2 * np.pi]])))
        pins["feature_angles"].append((f"unit class vectors at angles {angles}: sorted gaps",
                                       lambda Zb=Zb: np.sort(metrics.circular_gaps(metrics.feature_angles(_f(Zb))[0])),
                                       gaps, [sp.Float(x, 30) for x in wrong_gaps]))
        dev = sp.Max(*[sp.Abs(g - sp.pi / 2) for g in gaps])
        wdev = max(abs(x - np.pi / 2) for x in wrong_gaps)
        pins["feature_angles"].append((f"max_gap_deviation, angles {angles}",
                                       lambda Zb=Zb: max_gap_deviation(_f(Zb), 4, 1), dev, sp.Float(wdev, 30)))
    for sv in ((2, 1, 1), (3, 1), (4, 2, 1)):
        rest = sv[2:]
        paper = sp.sqrt(sum(sp.Integer(x) ** 2 for x in rest)) / sp.sqrt(sum(sp.Integer(x) ** 2 for x in sv))
        variant = sum(sp.Integer(x) for x in rest) / sum(sp.Integer(x) for x in sv)
        A = _known(sv)
        pins["rank2_residual"].append((f"rank-2 residual, singular values {sv}",
                                       lambda A=A: metrics.feature_angles(_f(A))[1], paper, variant))
    return pins


def _as_array(x) -> np.ndarray:
    if isinstance(x, (list, tuple)):
        return np.array([float(sp.N(v, 30)) for v in x])
    return np.array([float(sp.N(x, 30))])


def pin_table(definitions: str = "paper", names: tuple[str, ...] = METRICS) -> list[dict]:
    """Every pin of the named metrics: output of the code, exact value, absolute error, match."""
    if definitions not in ("paper", "variant"):
        raise ValueError("definitions must be 'paper' or 'variant'")
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {METRICS}")
    rows = []
    for m in names:
        for what, code, paper, variant in _pins()[m]:
            got = np.ravel(np.asarray(code(), float))
            want = _as_array(paper if definitions == "paper" else variant)
            err = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
            rows.append({"metric": m, "matrix": what, "definition": "paper" if definitions == "paper" else VARIANTS[m],
                         "computed": got.tolist(), "exact": want.tolist(), "abs_error": err,
                         "match": bool(err <= PIN_TOLERANCE * max(1.0, float(np.max(np.abs(want)))))})
    return rows


def require_pinned(names: tuple[str, ...]) -> dict:
    """Raise :class:`MetricPinFailed` unless every pin of ``names`` holds; else the evidence record."""
    rows = pin_table("paper", names)
    bad = [r for r in rows if not r["match"]]
    if bad:
        raise MetricPinFailed("torch_check metric(s) disagree with their exact values on known matrices: "
                              + "; ".join(f"{r['metric']} on {r['matrix']}: computed {r['computed']}, exact {r['exact']}"
                                          for r in bad[:4]))
    return {"metrics": list(names), "pins": len(rows), "largest_abs_error": max(r["abs_error"] for r in rows),
            "tolerance": PIN_TOLERANCE, "exact_values": "sympy, from rational matrices / the singular values they "
                                                        "were built with"}
