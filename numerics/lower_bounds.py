"""Certified lower bounds for the Schatten form of (P_L) (Lemma D.7), for the open cases of T3.1.

Problem (n samples per class, p = 2/(L+1)):

    S_p(K) = inf { Σ_i σ_i(Z)^p : Z a K x Kn matrix, z_{ci}[c] - z_{ci}[c'] >= 1 for c' != c },

so that the global minimum of (P_L) is ((L+1)/2) S_p and V_DNC = ((L+1)/2) (K-1) n^{p/2}.

The algebraic steps below have machine checks (exact sympy identities, exact-coefficient certificates,
arb-enclosed box bounds); the standard matrix inequalities they use (Cauchy interlacing for submatrices,
Weyl, Mirsky, Cauchy-Binet, Hölder) are cited.  Nothing here is a float search.

(R) Centring.  P = I - (1/K) 1 1^T leaves every margin unchanged (it subtracts the column mean)
    and is a contraction, so σ_i(PZ) <= σ_i(Z) for every i; PZ has 1^T PZ = 0, rank <= K-1.
    Hence S_p may be computed over column-centred Z, with K-1 singular values.

(K3) K = 3: σ_1(Z) σ_2(Z) >= n for every centred feasible Z.  For n = 1: a centred column of
    class c with both margins >= 1 is exactly z_c = -(u_c m_{c+1} + v_c m_{c+2}) with u_c, v_c >= 1
    (m_c = columns of M_3, indices mod 3; :func:`k3_margin_map` checks that the margins of column c
    are u_c (to c+1) and v_c (to c+2)); Cauchy-Binet gives σ_1² σ_2² = e_2(ZᵀZ) = (1/3) Σ_c x_c² with
    x_c = u_c u_{c+1} - u_c v_{c+1} + v_c v_{c+1} (:func:`k3_cauchy_binet_identity`), and
    Σ_c x_c² >= 3 on u, v >= 1 is certified region by region (:func:`k3_region_certificates`).
    For n > 1 sum the n = 1 inequality over the n³ triples (one column of each class): every
    cross-class pair of columns occurs in n triples, so n Σ_cross det² >= n³, and same-class pairs
    only add.  With AM-GM, σ_1^p + σ_2^p >= 2 (σ_1 σ_2)^{p/2} >= 2 n^{p/2}: DNC is globally
    optimal at K = 3 for every L >= 1 and n >= 1.

(B) K >= 4, a bound only.  For centred feasible Z with singular values σ_1 >= ... >= σ_{K-1}:
    σ_1 σ_2 >= 1 (n = 1; the 3 x 3 principal submatrix on any three classes is K = 3-feasible,
    σ_i(submatrix) <= σ_i(Z) by interlacing, then (R) and (K3)); ||Z||_* >= <M_K, Z> >= K-1
    (||M_K||_op = 1 and <M_K, Z> = (1/K) Σ_c Σ_{c'≠c} margin >= K-1); and σ_i <= σ_2 for i >= 3.
    Since σ^p >= σ σ_2^{p-1} for σ <= σ_2,

        Σ σ_i^p >= φ(σ_1, σ_2) = σ_1^p + σ_2^p + max(0, K-1-σ_1-σ_2) σ_2^{p-1},

    minimised by an exact-box branch and bound (:func:`relaxed_bound`) over
    {σ_1 >= σ_2 > 0, σ_1 σ_2 >= 1, σ_1 + (K-2) σ_2 >= K-1}.  The result is a certified lower bound
    on S_p, strictly below K-1 in the open cases: a gap, never a proof.

(S) K >= 4, sliced by ρ = ||Z - M_K||_F (Z centred feasible, D = Z - M_K has non-negative margins):
    <M_K, D> >= γρ with γ = 1/sqrt(K(K-1)) (:func:`cone_gamma_squared`), so ||Z||_* >= K-1+γρ,
    K-1+2γρ+ρ² <= ||Z||_F² <= K-1+2 sqrt(K-1) ρ+ρ², σ_1 <= 1+ρ, with σ_1σ_2 >= 1 as in (B);
    Σ_{i<K} (σ_i - 1)² <= ρ² (Mirsky's theorem, cited: Σ_i (σ_i(A) - σ_i(B))² <= ||A - B||_F², with
    σ(M_K) = (1, .., 1, 0) and σ_K(Z) = 0); and e_2(σ²) = Σ_{j<k} |z_j ∧ z_k|² >= K(K-1)/6: for each triple S
    of classes the contraction A_S x = P_3 x_S maps Z[:, S] to the centred K = 3-feasible P_3 Z_SS, so by (K3)
    Σ_{j<k in S} |z_j ∧ z_k|² >= Σ |A_S z_j ∧ A_S z_k|² >= 1, and each pair lies in K-2 of the C(K,3) triples.  Σσ^p is
    bounded below on boxes of (ρ, σ) by Σ a_i^p, (Σσ) σ_max^{p-1} and Hölder (Σσ)^{2-p}/(Σσ²)^{1-p}
    (:func:`sliced_relaxed_bound`).  Again a certified bound below K-1, not a proof.

(R*) A certified radius: Σσ^p >= K-1 whenever ||PZ - M_K||_F < R (:func:`dnc_optimality_radius`):
    [0, r*] by Taylor + Mirsky (:func:`taylor_radius`), above by closing the boxes of (S) whose
    lower bound is >= K-1.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np
import sympy as sp

from .constructions import dnc_mean_logits
from .intervals import arb, exact, working_precision

__all__ = [
    "centre_columns",
    "min_column_margin",
    "k3_symbols",
    "k3_columns",
    "k3_cyclic_forms",
    "k3_margin_map",
    "k3_cauchy_binet_identity",
    "k3_region_certificates",
    "RegionCertificate",
    "sum_of_squared_2x2_minors",
    "random_feasible_logits",
    "relaxed_bound",
    "RelaxedBound",
    "phi_lower",
    "cone_gamma_squared",
    "sliced_relaxed_bound",
    "SlicedBound",
    "taylor_radius",
    "dnc_optimality_radius",
    "OptimalityRadius",
]


# --------------------------------------------------------------------------- shared small helpers
def centre_columns(Z: np.ndarray) -> np.ndarray:
    """P Z with P = I - (1/K) 1 1ᵀ: margins unchanged, singular values not increased (fact (R))."""
    Z = np.asarray(Z, dtype=float)
    return Z - Z.mean(axis=0, keepdims=True)


def min_column_margin(Z: np.ndarray, labels: np.ndarray) -> float:
    """min over columns i and c' != labels[i] of Z[labels[i], i] - Z[c', i]."""
    Z = np.asarray(Z, dtype=float)
    idx = np.arange(Z.shape[1])
    own = Z[labels, idx]
    gap = own[None, :] - Z
    gap[labels, idx] = np.inf
    return float(gap.min())


def random_feasible_logits(K: int, n: int, rng: np.random.Generator, *, spread: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """A random K x Kn logit matrix with every margin >= 1 (not centred), and its labels.

    Each column: a random vector, then its own entry raised to 1 + max of the others + a random
    exponential slack, so the margins are >= 1 by construction (and > 1 generically).
    """
    labels = np.repeat(np.arange(K), n)
    Z = rng.normal(scale=spread, size=(K, K * n))
    for i, c in enumerate(labels):
        others = np.delete(Z[:, i], c)
        Z[c, i] = others.max() + 1.0 + rng.exponential(scale=spread / 4)
    return Z, labels


# --------------------------------------------------------------------------- K = 3, symbolic part
def k3_symbols():
    """Symbols u_c, v_c (c = 0, 1, 2) of the cone parametrisation; both >= 1 on the feasible set."""
    u = sp.symbols("u0:3", positive=True)
    v = sp.symbols("v0:3", positive=True)
    return u, v


def k3_columns(u, v) -> sp.Matrix:
    """Z with columns z_c = -(u_c m_{c+1} + v_c m_{c+2}), m_c the columns of M_3 (exact)."""
    M = sp.Matrix(dnc_mean_logits(3, exact_arith=True).tolist()).applyfunc(sp.nsimplify)
    cols = [-(u[c] * M[:, (c + 1) % 3] + v[c] * M[:, (c + 2) % 3]) for c in range(3)]
    return sp.Matrix.hstack(*cols)


def k3_cyclic_forms(u, v) -> list:
    """x_c = u_c u_{c+1} - u_c v_{c+1} + v_c v_{c+1} (c mod 3)."""
    return [u[c] * u[(c + 1) % 3] - u[c] * v[(c + 1) % 3] + v[c] * v[(c + 1) % 3] for c in range(3)]


def k3_margin_map() -> dict:
    """The margins of the parametrised columns, expanded; and whether 1ᵀZ = 0.

    Returns {"margins": {(c, c'): expr}, "centred": bool}.  The parametrisation covers every
    centred feasible column iff the two margins of column c are two distinct coordinates
    among (u_c, v_c) (a centred column of K = 3 has two degrees of freedom).
    """
    u, v = k3_symbols()
    Z = k3_columns(u, v)
    margins = {(c, d): sp.expand(Z[c, c] - Z[d, c]) for c in range(3) for d in range(3) if d != c}
    centred = all(sp.expand(sum(Z[:, c])) == 0 for c in range(3))
    return {"margins": margins, "centred": centred, "symbols": (u, v)}


def sum_of_squared_2x2_minors(Z: sp.Matrix):
    """e_2 of the eigenvalues of ZᵀZ = Σ over row pairs and column pairs of (2 x 2 minor)²
    (Cauchy-Binet); for a rank-2 matrix this is σ_1² σ_2²."""
    rows, cols = Z.shape
    total = 0
    for r in itertools.combinations(range(rows), 2):
        for c in itertools.combinations(range(cols), 2):
            total += Z.extract(list(r), list(c)).det() ** 2
    return sp.expand(total)


def k3_cauchy_binet_identity(minor_scale: Fraction) -> dict:
    """Is e_2(ZᵀZ) == minor_scale · Σ_c x_c² identically in (u, v)?  (The true scale is 1/3.)

    Also evaluates both sides at DNC (u = v = 1) so a wrong scale is exhibited at a point.
    """
    u, v = k3_symbols()
    Z = k3_columns(u, v)
    lhs = sum_of_squared_2x2_minors(Z)
    rhs = sp.expand(sp.Rational(minor_scale.numerator, minor_scale.denominator) * sum(x ** 2 for x in k3_cyclic_forms(u, v)))
    diff = sp.expand(lhs - rhs)
    at_dnc = {s: 1 for s in (*u, *v)}
    return {"identity": diff == 0, "lhs_at_dnc": sp.Rational(lhs.subs(at_dnc)), "rhs_at_dnc": sp.Rational(rhs.subs(at_dnc)),
            "difference_terms": len(sp.Poly(diff, *u, *v).terms()) if diff != 0 else 0}


@dataclass(frozen=True)
class RegionCertificate:
    """One sign region of δ_c = u_c - v_c: F - F(1) - S has only non-negative coefficients in the
    non-negative slack variables (S an explicit sum of squares, or 0)."""

    signs: tuple[int, ...]          # +1: δ_c >= 0 (v_c = 1 + s_c, u_c = v_c + t_c), -1: δ_c <= 0
    bad_index: int | None           # the c with δ_c >= 0 >= δ_{c+1} where S is needed, or None
    terms: int                      # number of monomials of F - F(1) - S
    min_coefficient: sp.Rational    # smallest coefficient (>= 0 means certified)
    certified: bool


def k3_region_certificates(target: sp.Rational | None = None) -> tuple[sp.Rational, list[RegionCertificate]]:
    """Certify Σ_c x_c² >= target on u, v >= 1 (default target: the value at DNC, u = v = 1).

    Region (signs): for δ_c >= 0 write v_c = 1 + s_c, u_c = v_c + t_c; for δ_c <= 0 write
    u_c = 1 + s_c, v_c = u_c + t_c, with s_c, t_c >= 0; the 8 regions cover u, v >= 1.  Then
    x_c = (1 + ·)(1 + ·) + δ_c δ_{c+1} (checked by the coefficients), and the only negative
    monomials come from a c with δ_c >= 0 >= δ_{c+1} ("bad"; at most one c on a 3-cycle).  There
    x_c = 1 + ω - t_c t_{c+1} with ω >= 0 and S = (ω - t_c t_{c+1})² + (t_c - t_{c+1})² is subtracted:
    (1 + ω - P)² - 1 - S = 2ω - t_c² - t_{c+1}², whose -t² are paid by the neighbours' squares.
    A region is certified when F - target - S has no negative coefficient (then F - target >= S >= 0).
    """
    u, v = k3_symbols()
    F = sp.expand(sum(x ** 2 for x in k3_cyclic_forms(u, v)))
    if target is None:
        target = sp.Rational(F.subs({s: 1 for s in (*u, *v)}))
    s = sp.symbols("s0:3", nonnegative=True)
    t = sp.symbols("t0:3", nonnegative=True)
    out = []
    for signs in itertools.product((1, -1), repeat=3):
        sub = {}
        for c in range(3):
            if signs[c] > 0:
                sub[v[c]] = 1 + s[c]
                sub[u[c]] = 1 + s[c] + t[c]
            else:
                sub[u[c]] = 1 + s[c]
                sub[v[c]] = 1 + s[c] + t[c]
        G = sp.expand(F.subs(sub) - target)
        bad = [c for c in range(3) if signs[c] > 0 and signs[(c + 1) % 3] < 0]
        S = sp.Integer(0)
        if bad:
            c = bad[0]
            x_c = sp.expand(k3_cyclic_forms(u, v)[c].subs(sub))
            P = t[c] * t[(c + 1) % 3]
            omega = sp.expand(x_c - 1 + P)
            S = sp.expand((omega - P) ** 2 + (t[c] - t[(c + 1) % 3]) ** 2)
        R = sp.expand(G - S)
        coeffs = [sp.Rational(k) for k in sp.Poly(R, *s, *t).coeffs()] if R != 0 else [sp.Rational(0)]
        mc = min(coeffs)
        out.append(RegionCertificate(signs, bad[0] if bad else None, len(coeffs), mc, bool(mc >= 0)))
    return target, out


# --------------------------------------------------------------------------- K >= 4: the relaxed bound
def phi_lower(box: tuple[Fraction, Fraction, Fraction, Fraction], K: int, p_num: int, p_den: int,
              nuclear_floor: Fraction):
    """A rigorous lower bound (arb) of φ(σ_1, σ_2) over the box [a1, b1] x [a2, b2], a2 > 0.

    Each term is monotone: σ_1^p, σ_2^p increase; max(0, K-1-σ_1-σ_2) decreases in both and
    σ_2^{p-1} decreases in σ_2 (p < 1), so φ >= a1^p + a2^p + max(0, K-1-b1-b2) b2^{p-1}.
    """
    a1, b1, a2, b2 = box
    p = arb(p_num) / p_den
    rest = nuclear_floor - b1 - b2
    val = exact(a1) ** p + exact(a2) ** p
    if rest > 0:
        val = val + exact(rest) * exact(b2) ** (p - 1)
    return val


def _box_admissible(box, K: int, nuclear_floor: Fraction) -> bool:
    """Can the box meet {σ_1 >= σ_2, σ_1 σ_2 >= 1, σ_1 + (K-2) σ_2 >= nuclear_floor}?"""
    a1, b1, a2, b2 = box
    return b1 >= a2 and b1 * b2 >= 1 and b1 + (K - 2) * b2 >= nuclear_floor


@dataclass(frozen=True)
class RelaxedBound:
    lower: object               # arb: certified lower bound of min φ (hence of S_p at n = 1)
    best_upper_sample: float    # φ at the best box corner seen (float; shows how tight `lower` is)
    boxes_processed: int
    boxes_left: int
    sigma1_max: Fraction        # the search box: σ_1 <= (K-1)^{1/p} suffices (else σ_1^p > K-1)
    finished: bool              # False: the box budget ran out (lower is still valid)


def _phi_float(s1: Fraction, s2: Fraction, L: int, nuclear_floor: Fraction) -> float:
    """φ at a point, float64 (only for the upper estimate that steers the search)."""
    p = 2 / (L + 1)
    return float(s1) ** p + float(s2) ** p + max(0.0, float(nuclear_floor - s1 - s2)) * float(s2) ** (p - 1)


def _feasible_point_in(box, K: int, nuclear_floor: Fraction) -> tuple[Fraction, Fraction] | None:
    """A point of the admissible region inside the box (σ_2 at its top end), or None."""
    a1, b1, a2, b2 = box
    s2 = b2
    s1 = max(a1, 1 / s2, nuclear_floor - (K - 2) * s2, s2)
    return (s1, s2) if s1 <= b1 else None


def relaxed_bound(K: int, L: int, *, nuclear_floor: Fraction, max_boxes: int, tolerance: Fraction, prec: int,
                  report: Callable[[float, str], None] | None = None) -> RelaxedBound:
    """min of φ over the admissible region, by best-first branch and bound on exact rational boxes.

    Outside σ_1 <= s1max := ceil((K-1)^{(L+1)/2}) + 1 every Z has Σσ^p >= σ_1^p > K-1, so the
    region is cut there and K-1 is kept as the bound of the cut-off part.  σ_2 ranges over
    [1/s1max, s1max] (σ_2 >= 1/σ_1, σ_2 <= σ_1).  The certified bound is the least lower end of
    the rigorous box bounds (:func:`phi_lower`) still in the queue; the search stops when it is
    within `tolerance` of the best feasible value of φ seen (float, steering only) or after
    `max_boxes` boxes (the bound is valid either way; `finished` says which).
    """
    import heapq

    s1max = Fraction(int(np.ceil(float(nuclear_floor) ** ((L + 1) / 2))) + 1)
    with working_precision(prec):
        root = (Fraction(0), s1max, 1 / s1max, s1max)
        heap: list = []
        counter = itertools.count()

        def push(box):
            if _box_admissible(box, K, nuclear_floor):
                lo = phi_lower(box, K, 2, L + 1, nuclear_floor)
                heapq.heappush(heap, (float(lo.lower().mid()), next(counter), box, lo))

        push(root)
        best_upper = float(nuclear_floor)
        processed = 0
        finished = False
        while heap:
            key, _, box, lo = heap[0]
            point = _feasible_point_in(box, K, nuclear_floor)
            if point is not None:
                best_upper = min(best_upper, _phi_float(*point, L, nuclear_floor))
            if key >= best_upper - float(tolerance):
                finished = True
                break
            if processed >= max_boxes:
                break
            heapq.heappop(heap)
            processed += 1
            a1, b1, a2, b2 = box
            if b1 - a1 >= b2 - a2:
                m = (a1 + b1) / 2
                push((a1, m, a2, b2)); push((m, b1, a2, b2))
            else:
                m = (a2 + b2) / 2
                push((a1, b1, a2, m)); push((a1, b1, m, b2))
            if report is not None and processed % 2000 == 0:
                report(min(processed / max_boxes, 0.99), f"relaxed bound K={K} L={L}: {processed} boxes")
        lower = exact(nuclear_floor)
        for *_, lo in heap:
            if bool(lo.lower() < lower.lower()):
                lower = lo
        return RelaxedBound(arb(lower.lower()), best_upper, processed, len(heap), s1max, finished)


# --------------------------------------------------------------------------- K >= 4: sliced by the distance to DNC
def cone_gamma_squared(K: int) -> Fraction:
    """γ² for <M_K, D> >= γ ||D||_F on the cone of centred D with non-negative margins.

    Column c of D lies in the simplicial cone {d ⊥ 1 : d_c >= d_c'} whose extreme rays are
    r = 1 - K e_{c''} (c'' != c); <m_c, r> = 1 and ||r||² = K(K-1) for each, so by the triangle
    inequality <m_c, d> >= ||d|| / sqrt(K(K-1)), and summing over columns (Σ ||d_c|| >= ||D||_F)
    γ = 1/sqrt(K(K-1)).  Returned exactly, from the rays themselves.
    """
    values = set()
    for c in range(K):
        m_c = [Fraction(int(i == c)) - Fraction(1, K) for i in range(K)]
        for c2 in range(K):
            if c2 == c:
                continue
            r = [Fraction(1) - K * int(i == c2) for i in range(K)]
            assert sum(r) == 0 and all(r[c] >= r[j] for j in range(K))  # a ray of the cone
            inner = sum(a * b for a, b in zip(m_c, r))
            values.add(inner * inner / sum(x * x for x in r))
    return min(values)


@dataclass(frozen=True)
class SlicedBound:
    lower: object               # arb: certified lower bound of Σσ^p over every feasible Z (n = 1)
    rho_max: Fraction           # beyond ||Z - M_K||_F = rho_max: Σσ^p >= (Σσ)^p >= K-1
    boxes_processed: int
    boxes_left: int
    lowest_box_rho: tuple       # the ρ-interval of the box that sets the bound


def _contract(box):
    """Shrink a (ρ, σ) box to the part that can hold admissible points: |σ_i - 1| <= ρ (Mirsky, each term),
    σ_i >= 0 and the order σ_1 >= σ_2 >= ... (b_i <= b_{i-1}, a_i >= a_{i+1}).  None if it becomes empty."""
    rlo, rhi, a, b = box
    n = len(a)
    a = [max(x, 1 - rhi, Fraction(0)) for x in a]
    b = [min(x, 1 + rhi) for x in b]
    for i in range(1, n):
        b[i] = min(b[i], b[i - 1])
    for i in range(n - 2, -1, -1):
        a[i] = max(a[i], a[i + 1])
    if any(a[i] > b[i] for i in range(n)):
        return None
    return (rlo, rhi, tuple(a), tuple(b))


def _sliced_box_lower(box, K: int, p, gamma2: Fraction, prec_sqrt_K1: Fraction):
    """Rigorous lower bound (arb) of Σ σ_i^p on a box (ρ_lo, ρ_hi, a, b) of (ρ, σ_1..σ_{K-1}), or None if the box
    cannot contain the (ρ, σ) of a feasible centred Z.  Valid inequalities (numerics.lower_bounds docstring):
    σ_1 σ_2 >= 1, Σσ >= K-1+γρ, K-1+2γρ+ρ² <= Σσ² <= K-1+2 sqrt(K-1) ρ+ρ², σ_i <= 1+ρ,
    Σ (σ_i - 1)² <= ρ² (Mirsky), e_2(σ²) >= K(K-1)/6 (triples), σ ordered."""
    rlo, rhi, a, b = box
    n = K - 1
    if any(b[i] < a[i + 1] for i in range(n - 1)) or b[0] * b[1] < 1:
        return None
    if any(a[i] > 1 + rhi for i in range(n)):
        return None
    # Mirsky: Σ_i (σ_i(Z) - σ_i(M_K))² <= ||Z - M_K||_F² = ρ², σ(M_K) = (1, .., 1, 0), σ_K(Z) = 0
    miss = sum((a[i] - 1) ** 2 if a[i] > 1 else ((1 - b[i]) ** 2 if b[i] < 1 else Fraction(0)) for i in range(n))
    if miss > rhi * rhi:
        return None
    # triples: e_2(σ²) >= K(K-1)/6 (each triple of classes carries >= 1 of Σ |z_j ∧ z_k|²)
    bsq = [x * x for x in b]
    if sum(bsq[i] * bsq[j] for i in range(n) for j in range(i + 1, n)) < Fraction(K * (K - 1), 6):
        return None
    # γρ >= sqrt(γ²) ρ_lo: use (γρ_lo)² = γ² ρ_lo² with an exact rational lower root bound
    g_rlo = _sqrt_lower(gamma2 * rlo * rlo)
    S_lo = n + g_rlo
    if sum(b) < S_lo:
        return None
    sq_lo = n + 2 * g_rlo + rlo * rlo
    sq_hi = n + 2 * prec_sqrt_K1 * rhi + rhi * rhi
    sum_b2, sum_a2 = sum(x * x for x in b), sum(x * x for x in a)
    if sum_b2 < sq_lo or sum_a2 > sq_hi:
        return None
    # three lower bounds, each valid for every admissible σ in the box
    direct = sum((exact(x) ** p for x in a if x > 0), arb(0))
    top = min(b[0], 1 + rhi)
    linear = exact(S_lo) * exact(top) ** (p - 1) if top > 0 else arb(0)
    holder = exact(S_lo) ** (2 - p) / exact(min(sum_b2, sq_hi)) ** (1 - p)
    best = direct
    for v in (linear, holder):
        if bool(v.lower() > best.lower()):
            best = v
    return best


def _sqrt_lower(x: Fraction, digits: int = 40) -> Fraction:
    """A rational r with 0 <= r <= sqrt(x) (exact integer square root of a scaled numerator)."""
    import math

    if x <= 0:
        return Fraction(0)
    scale = 10 ** digits
    return Fraction(math.isqrt(int(x * scale * scale)), scale)


def _sqrt_upper(x: Fraction, digits: int = 40) -> Fraction:
    r = _sqrt_lower(x, digits)
    return r if r * r == x else r + Fraction(1, 10 ** digits)


def _split_widest(box):
    """The two halves of a sliced box (ρ_lo, ρ_hi, a, b) across its widest coordinate, ρ counted in its own units
    (ties: the first widest, ρ before σ_1 .. σ_{K-1})."""
    rlo, rhi, a, b = box
    widths = [rhi - rlo] + [hi - lo for lo, hi in zip(a, b)]
    j = max(range(len(widths)), key=lambda i: widths[i])
    if j == 0:
        m = (rlo + rhi) / 2
        return (rlo, m, a, b), (m, rhi, a, b)
    i = j - 1
    m = (a[i] + b[i]) / 2
    return (rlo, rhi, a, b[:i] + (m,) + b[i + 1:]), (rlo, rhi, a[:i] + (m,) + a[i + 1:], b)


def sliced_relaxed_bound(K: int, L: int, *, max_boxes: int, prec: int, tolerance: Fraction = Fraction(1, 10**4),
                         report: Callable[[float, str], None] | None = None) -> SlicedBound:
    """Best-first branch and bound over (ρ, σ_1, ..., σ_{K-1}), ρ = ||Z - M_K||_F of a centred feasible Z.

    Boxes are exact rationals; a box is dropped only if it violates one of the valid inequalities at
    every point (checked with its end points), and its lower bound is the best of Σ a_i^p, the linear
    bound (Σσ) σ_max^{p-1} and Hölder (Σσ)^{2-p} / (Σσ²)^{1-p}.  The certified bound is the least lower
    bound left in the queue when the box budget is spent (and K-1 for ρ > rho_max, where
    Σσ^p >= (Σσ)^p >= (K-1+γρ)^p >= K-1).
    """
    import heapq

    p = arb(2) / (L + 1)
    n = K - 1
    gamma2 = cone_gamma_squared(K)
    sqrt_K1_hi = _sqrt_upper(Fraction(K - 1))
    # ρ_max: γ ρ >= (K-1)^{(L+1)/2} - (K-1)  (rational upper bounds on both roots)
    target = Fraction(int(np.ceil((K - 1) ** ((L + 1) / 2) * (1 + 1e-12))) + 1)
    rho_max = Fraction(int(np.ceil(float((target - (K - 1)) / _sqrt_lower(gamma2)))) + 1)
    top = 1 + rho_max
    heap: list = []
    counter = itertools.count()
    with working_precision(prec):
        def push(box):
            box = _contract(box)
            lo = None if box is None else _sliced_box_lower(box, K, p, gamma2, sqrt_K1_hi)
            if lo is not None:
                heapq.heappush(heap, (float(lo.lower().mid()), next(counter), box, lo))

        push((Fraction(0), rho_max, (Fraction(0),) * n, (top,) * n))
        processed = 0
        while heap and processed < max_boxes:
            key, _, box, lo = heapq.heappop(heap)
            if key >= K - 1 - float(tolerance):
                heapq.heappush(heap, (key, next(counter), box, lo))
                break
            processed += 1
            for half in _split_widest(box):
                push(half)
            if report is not None and processed % 2000 == 0:
                report(min(processed / max_boxes, 0.99), f"sliced bound K={K} L={L}: {processed} boxes")
        lower, where = exact(Fraction(K - 1)), None
        for key, _, box, lo in heap:
            if bool(lo.lower() < lower.lower()):
                lower, where = lo, (box[0], box[1])
        return SlicedBound(arb(lower.lower()), rho_max, processed, len(heap),
                           (float(where[0]), float(where[1])) if where else None)


# --------------------------------------------------------------------------- K >= 4: a certified radius of optimality
def taylor_radius(K: int, L: int, prec: int) -> Fraction:
    """A rational r* in (0, 1) such that Σσ^p(Z) >= K-1 for every centred feasible Z with ρ = ||Z - M_K||_F <= r*.

    For ρ < 1 every σ_i (i < K) lies in [1-ρ, 1+ρ] (Weyl), and Taylor with the Lagrange remainder gives
    σ^p >= 1 + p(σ-1) - C (σ-1)², C = (p(1-p)/2)(1-ρ)^{p-2}; with Σ(σ_i - 1) = ||Z||_* - (K-1) >= γρ and
    Σ(σ_i - 1)² <= ρ² (Mirsky): Σσ^p >= K-1 + pγρ - Cρ² >= K-1 when ρ <= pγ/C = 2γ(1-ρ)^{2-p}/(1-p).
    The condition at r* covers every smaller ρ (C decreases as ρ decreases).  Checked in arb.
    """
    p = Fraction(2, L + 1)
    g = float(cone_gamma_squared(K)) ** 0.5
    lo, hi = 0.0, 1.0
    for _ in range(60):  # float bisection for a candidate; the certificate is the arb test below
        mid = (lo + hi) / 2
        if mid <= 2 * g * (1 - mid) ** (2 - float(p)) / (1 - float(p)):
            lo = mid
        else:
            hi = mid
    r = Fraction(int(lo * 10**6) - 1, 10**6)
    with working_precision(prec):
        pa = exact(p)
        rhs = 2 * exact(_sqrt_lower(cone_gamma_squared(K))) * exact(1 - r) ** (2 - pa) / (1 - pa)
        if not bool(exact(r) <= rhs):
            raise ArithmeticError(f"taylor_radius: r = {r} not certified at K={K}, L={L}")
    return r


@dataclass(frozen=True)
class OptimalityRadius:
    radius: Fraction            # certified: Σσ^p >= K-1 for every centred feasible Z with ||Z - M_K||_F < radius
    taylor_radius: Fraction     # the part [0, taylor_radius] proved by the Taylor / Mirsky argument
    boxes_processed: int
    budget_spent: bool          # True: the radius is where the budget stopped, not where the relaxation fails


def dnc_optimality_radius(K: int, L: int, *, max_boxes: int, prec: int,
                          report: Callable[[float, str], None] | None = None) -> OptimalityRadius:
    """Largest R this machinery certifies: no feasible Z with ρ = ||PZ - M_K||_F < R beats DNC.

    [0, r*] by :func:`taylor_radius`; above it the sliced boxes of :func:`sliced_relaxed_bound`, split in
    the order of their ρ_lo, are closed once their rigorous lower bound is >= K-1 (or dropped when they
    contain no admissible point).  R is the least ρ_lo of a box left open (lower bound below K-1).
    """
    import heapq

    p = arb(2) / (L + 1)
    n = K - 1
    gamma2 = cone_gamma_squared(K)
    sqrt_K1_hi = _sqrt_upper(Fraction(K - 1))
    r_star = taylor_radius(K, L, prec)
    rho_cap = r_star + 4  # far beyond where the relaxation can hold (it is below K-1 at its optimum)
    top = 1 + rho_cap
    heap: list = []
    counter = itertools.count()
    processed = 0
    with working_precision(prec):
        goal = exact(Fraction(K - 1))

        def push(box):
            box = _contract(box)
            lo = None if box is None else _sliced_box_lower(box, K, p, gamma2, sqrt_K1_hi)
            if lo is not None and not bool(lo >= goal):
                heapq.heappush(heap, (box[0], next(counter), box))

        push((r_star, rho_cap, (Fraction(0),) * n, (top,) * n))
        while heap and processed < max_boxes:
            _, _, box = heapq.heappop(heap)
            processed += 1
            for half in _split_widest(box):
                push(half)
            if report is not None and processed % 2000 == 0:
                report(min(processed / max_boxes, 0.99), f"optimality radius K={K} L={L}: {processed} boxes")
        radius = heap[0][0] if heap else rho_cap
    return OptimalityRadius(radius, r_star, processed, bool(heap) and processed >= max_boxes)
