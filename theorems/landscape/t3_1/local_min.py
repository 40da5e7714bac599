"""T3.1, step 6: DNC is a local minimum of (P_L) (App. D.1, second half): perturbation and optimiser evidence."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from ncdepth.fuzzing import search, st
from ncdepth.registry import Context, Outcome
from numerics.constructions import cp_beats_dnc_exact, cross_polytope_mean_logits, dnc_mean_logits, gauged_balanced_factors, logits_of
from numerics.deep_ufm import class_labels
from numerics.schatten import margins, product

from ._common import _closed_form


SV_ZERO_RTOL = 1e-12  # singular values below this (relative to the largest) are rounding noise


def _schatten(Z: np.ndarray, L: int) -> float:
    """Σσ^{2/(L+1)}, with singular values below SV_ZERO_RTOL σ_max set to zero: a rounding-level
    σ ~ 1e-16 would otherwise add (1e-16)^{2/(L+1)} (2.8e-4 at L = 8) to a rank-deficient Z."""
    s = np.linalg.svd(Z, compute_uv=False)
    s = np.where(s < SV_ZERO_RTOL * s[0], 0.0, s)
    return float(np.sum(s ** (2.0 / (L + 1))))


BASE_POINTS = ("dnc", "cross_polytope")
DIRECTIONS = ("rank_preserving", "segment_other_construction", "segment_random_feasible")


def _base_point(point: str, K: int) -> np.ndarray:
    if point == "dnc":
        return dnc_mean_logits(K)
    if point == "cross_polytope":
        return cross_polytope_mean_logits(K, singleton="centred")
    raise ValueError(f"unknown base point {point!r}; expected one of {BASE_POINTS}")


def _other_construction(point: str, K: int) -> np.ndarray:
    return _base_point("cross_polytope" if point == "dnc" else "dnc", K)


def _random_feasible(Z0: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random feasible, tight point ``G + s M_K`` (G Gaussian, ||G|| = ||Z0||): adding s M_K
    raises every margin by exactly s, and s = 1 - min margin(G) makes the smallest margin 1."""
    K = Z0.shape[0]
    G = rng.standard_normal(Z0.shape)
    G *= np.linalg.norm(Z0) / np.linalg.norm(G)
    s = 1.0 - float(np.min(margins(G, labels)))
    return G + s * logits_of(dnc_mean_logits(K), Z0.shape[1] // K)


def _perturbed(Z0: np.ndarray, labels: np.ndarray, point: str, direction: str, t: float,
               rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A feasible point near Z0 and the min margin before any repair.

    * ``rank_preserving``: ``Z0 + t U_r A V_r^T`` (A Gaussian r x r, ||U_r A V_r^T|| = ||Z0||): stays in
      the row/column spaces of Z0 (for DNC: centred rows and columns, NC1 since n = 1), so no new
      small singular value appears; divided by its min margin when that drops below 1.
    * ``segment_*``: ``(1 - t) Z0 + t Z1`` with Z1 feasible (the other construction, or a random
      feasible point): feasible for every t in [0, 1] since the margin constraints are linear.
    """
    if direction == "rank_preserving":
        U, s, Vt = np.linalg.svd(Z0)
        r = int(np.sum(s > 1e-9 * s[0]))
        D = U[:, :r] @ rng.standard_normal((r, r)) @ Vt[:r]
        D *= np.linalg.norm(Z0) / np.linalg.norm(D)
        Z = Z0 + t * D
        m = float(np.min(margins(Z, labels)))
        return (Z / m if m < 1 else Z), m
    if direction == "segment_other_construction":
        Z1 = logits_of(_other_construction(point, Z0.shape[0]), Z0.shape[1] // Z0.shape[0])
    elif direction == "segment_random_feasible":
        Z1 = _random_feasible(Z0, labels, rng)
    else:
        raise ValueError(f"unknown direction {direction!r}; expected one of {DIRECTIONS}")
    Z = (1 - t) * Z0 + t * Z1
    return Z, float(np.min(margins(Z, labels)))


def local_perturbations(ctx: Context, point: str, L: int | None = None) -> Outcome:
    """hypothesis: feasible points near Z0 (rank-preserving perturbations repaired to feasibility, and
    segments toward other feasible points) never have a smaller Σσ^{2/(L+1)}: Z0 is a local minimum.

    ``L`` fixes the depth (the negative control: the cross-polytope at L = 1, where the problem is convex
    and DNC is the global optimum, so the cross-polytope is not a local minimum); otherwise ctx.L.
    """
    n = 1
    Ls = (L,) if L is not None else tuple(ctx.L)
    strategy = st.tuples(st.sampled_from(tuple(ctx.K)), st.sampled_from(Ls), st.sampled_from(DIRECTIONS),
                         st.integers(0, 2**32 - 1), st.floats(*LOG_T_RANGE))
    changes: dict[str, list[float]] = {d: [] for d in DIRECTIONS}

    def prop(x):
        K, L_, direction, seed, log_t = x
        rng = np.random.default_rng(seed)
        labels = class_labels(K, n)
        Z0 = logits_of(_base_point(point, K), n)
        Z, m = _perturbed(Z0, labels, point, direction, 10.0 ** log_t, rng)
        feasible = float(np.min(margins(Z, labels))) >= 1 - FEASIBLE_SLACK
        f0, f = _schatten(Z0, L_), _schatten(Z, L_)
        changes[direction].append((f - f0) / f0)
        return feasible and f > f0 * (1 + STRICT_REL), {"f_base": f0, "f_perturbed": f, "relative_change": (f - f0) / f0,
                                                  "t": 10.0 ** log_t, "min_margin_before_repair": m,
                                                  "feasible": feasible}

    r = search(strategy, prop, examples=max(ctx.examples, 60), seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "point": point, "L": list(Ls), "t_range": [10**LOG_T_RANGE[0], 10**LOG_T_RANGE[1]],
          "directions": list(DIRECTIONS), "strict_increase_rel": STRICT_REL, "feasibility_slack": FEASIBLE_SLACK,
          "sv_zero_rtol": SV_ZERO_RTOL,
          "smallest_relative_change_by_direction": {d: (min(v) if v else None) for d, v in changes.items()},
          "repair": "rank_preserving only: divide by the min margin when it is below 1"}
    if r.holds:
        return Outcome(True, ev)
    K, L_, direction, seed, log_t = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": L_, "direction": direction, "seed": seed,
                                             "t": 10.0 ** log_t, **r.detail})


SLSQP_OPTIONS = {"maxiter": 2000, "ftol": 1e-13}
START_NOISE = 0.05  # Gaussian noise, relative to the RMS entry of the balanced start
ACCEPT = {"dist_to_dnc_rel": 1e-4, "objective_rel": 1e-6, "margin_slack": 1e-8}
STRICT_REL = 1e-12  # local_perturbations: f > f0 (1 + STRICT_REL)
FEASIBLE_SLACK = 1e-12  # min margin >= 1 - FEASIBLE_SLACK
LOG_T_RANGE = (-4.0, -1.5)


def _local_solve(K: int, L: int, start: str, rng: np.random.Generator, noise: float = START_NOISE) -> dict:
    """SLSQP on the factors of (P_L) (n = 1, d = K) from a perturbed balanced start."""
    n, d = 1, K
    labels = class_labels(K, n)
    Zbar = dnc_mean_logits(K) if start == "dnc" else cross_polytope_mean_logits(K, singleton="centred")
    F0 = gauged_balanced_factors(logits_of(Zbar, n), L, d, rng)
    shapes = [F.shape for F in F0]
    sizes = [int(np.prod(s)) for s in shapes]
    x0 = np.concatenate([F.ravel() for F in F0])
    x0 = x0 + noise * np.linalg.norm(x0) / math.sqrt(x0.size) * rng.standard_normal(x0.size)
    pairs = [(i, int(labels[i]), c) for i in range(K * n) for c in range(K) if c != labels[i]]
    rows_i = np.array([p[0] for p in pairs])
    rows_c = np.array([p[1] for p in pairs])
    rows_o = np.array([p[2] for p in pairs])

    def unpack(x):
        out, pos = [], 0
        for s, m in zip(shapes, sizes):
            out.append(x[pos:pos + m].reshape(s))
            pos += m
        return out

    def cons(x):
        Z = product(unpack(x))
        return Z[rows_c, rows_i] - Z[rows_o, rows_i] - 1.0

    def cons_jac(x):
        F = unpack(x)
        blocks = []
        for j in range(L + 1):
            A = product(F[j + 1:]) if j < L else np.eye(K)  # F_L ... F_{j+1}
            B = product(F[:j]) if j > 0 else np.eye(K * n)  # F_{j-1} ... F_0
            # d a / d F_j = outer(A[c] - A[c'], B[:, i])
            blocks.append(np.einsum("pa,pb->pab", A[rows_c] - A[rows_o], B[:, rows_i].T).reshape(len(pairs), -1))
        return np.concatenate(blocks, axis=1)

    res = minimize(lambda x: 0.5 * float(x @ x), x0, jac=lambda x: x, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": cons, "jac": cons_jac}],
                   options=dict(SLSQP_OPTIONS))
    Z = product(unpack(res.x))
    Zd = logits_of(dnc_mean_logits(K), n)
    return {"objective": float(res.fun), "dist_to_dnc_rel": float(np.linalg.norm(Z - Zd) / np.linalg.norm(Zd)),
            "min_margin": float(np.min(cons(res.x)) + 1.0), "success": bool(res.success), "iterations": int(res.nit)}


def local_optimizer_returns(ctx: Context, start: str) -> Outcome:
    """A local constrained optimiser started near ``start`` returns to DNC (logits and value V_DNC)."""
    rows = {}
    for K in ctx.K:
        for L in ctx.L:
            r = _local_solve(K, L, start, ctx.rng(1000 * K + L))
            v_dnc = _closed_form("dnc", K, L, 1, 4)
            r["V_DNC"] = v_dnc
            r["dnc_suboptimal"] = cp_beats_dnc_exact(K, L, "centred")
            rows[f"{K},{L}"] = r
            back = (r["dist_to_dnc_rel"] < ACCEPT["dist_to_dnc_rel"] and abs(r["objective"] - v_dnc) < ACCEPT["objective_rel"] * v_dnc
                    and r["min_margin"] > 1 - ACCEPT["margin_slack"])
            if not back:
                return Outcome(False, {"runs": rows}, counterexample={"K": K, "L": L, "start": start, **r})
    return Outcome.held({"runs": rows, "optimiser": {"method": "SLSQP", **SLSQP_OPTIONS, "d": "K", "n": 1},
                         "start_noise_relative": START_NOISE, "accept": dict(ACCEPT)})

