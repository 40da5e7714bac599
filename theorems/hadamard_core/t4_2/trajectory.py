"""T4.2 along a trajectory: integrate the FULL gradient flow (every entry of every factor) from an
unbalanced Hadamard start and compare with the independently integrated per-layer ODE.

This is the numerical counterpart of the one step the symbolic checks leave to a standard
theorem: that the lifted solution of the reduced ODE *is* the gradient-flow solution (uniqueness
of ODE solutions).  It also watches the conservation law and the fixed singular vectors on the
actual trajectory.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.integrate import solve_ivp

from ncdepth.registry import BudgetExhausted, Context, Outcome
from numerics.deep_ufm import hadamard_bases, hadamard_init, loss_gradient
from numerics.reduced_flow import layer_rhs

from .numeric import random_config

INTEGRATOR = {"method": "DOP853", "rtol": 1e-11, "atol": 1e-13}
HORIZON = 4.0
POINTS = 25
MAX_RHS_EVALUATIONS = 20_000  # a normal run needs a few hundred; more means the flow is not what it should be


@lru_cache(maxsize=16)
def integrate_full_and_reduced(K: int, L: int, n: int, d: int, seed: int, T: float = HORIZON, points: int = POINTS):
    """Integrate the FULL gradient flow (all factor entries) and, separately, the per-layer ODE."""
    rng = np.random.default_rng([seed, 9])
    s0, Qs = random_config(rng, K, L, n, d, balanced=False, mp=False)
    factors0 = hadamard_init(s0, n, d, Qs)
    shapes = [F.shape for F in factors0]
    sizes = [int(np.prod(sh)) for sh in shapes]

    def unpack(y):
        out, i = [], 0
        for sh, sz in zip(shapes, sizes):
            out.append(y[i:i + sz].reshape(sh))
            i += sz
        return out

    calls = [0]

    def full_rhs(_t, y):
        calls[0] += 1
        if calls[0] > MAX_RHS_EVALUATIONS:
            raise BudgetExhausted(f"full gradient flow needed more than {MAX_RHS_EVALUATIONS} right-hand-side "
                                  f"evaluations at K={K}, L={L} (stiff or blowing up)")
        return -np.concatenate([g.ravel() for g in loss_gradient(unpack(y), K, n)])

    times = np.linspace(0.0, T, points)
    full = solve_ivp(full_rhs, (0.0, T), np.concatenate([F.ravel() for F in factors0]), t_eval=times, **INTEGRATOR)
    red = solve_ivp(lambda _t, y: layer_rhs(y.reshape(L + 1, K), n).ravel(), (0.0, T), s0.ravel(), t_eval=times,
                    **INTEGRATOR)
    if not (full.success and red.success):
        raise RuntimeError(f"integration failed: {full.message} / {red.message}")
    U, V = hadamard_bases(K, n)
    bases = [(Qs[0], V)] + [(Qs[l], Qs[l - 1]) for l in range(1, L)] + [(U, Qs[L - 1])]
    diag = np.zeros((points, L + 1, K))
    off = np.zeros(points)
    for t in range(points):
        for j, F in enumerate(unpack(full.y[:, t])):
            Rm = bases[j][0].T @ F @ bases[j][1]
            diag[t, j] = np.diag(Rm)[:K]
            M = Rm.copy()
            M[np.arange(K), np.arange(K)] = 0.0
            off[t] = max(off[t], np.max(np.abs(M)) / np.max(np.abs(diag[t, j])))
    settings = {**INTEGRATOR, "horizon": T, "points": points, "max_rhs_evaluations": MAX_RHS_EVALUATIONS,
                "rhs_evaluations_full": int(full.nfev),
                "rhs_evaluations_reduced": int(red.nfev)}
    return times, diag, red.y.T.reshape(points, L + 1, K), off, settings


CONSERVED = {
    "squares": lambda s: s[:, 1:, :] ** 2 - s[:, :-1, :] ** 2,  # the claim
    "differences": lambda s: s[:, 1:, :] - s[:, :-1, :],  # a wrong invariant (control)
}


def trajectory_invariants(ctx: Context, conserved: str, tol: float = 1e-8) -> Outcome:
    from reports.figures import render

    table, figures = {}, []
    worst = {"conservation_drift": 0.0, "singular_vector_drift": 0.0, "max_rel_error": 0.0}
    settings = None
    pairs = ctx.KL_pairs()
    for idx, (K, L) in enumerate(pairs):
        n, d = 2, K + 2
        times, s_full, s_red, off, settings = integrate_full_and_reduced(K, L, n, d, ctx.seed)
        q = CONSERVED[conserved](s_full)
        drift = float(np.max(np.abs(q - q[0])) / np.max(s_full**2))
        track = float(np.max(np.abs(s_full - s_red)) / np.max(np.abs(s_red)))
        growth = float(np.max(np.abs(s_full[-1] - s_full[0])) / np.max(np.abs(s_full[0])))
        table[f"K={K},L={L}"] = {"n": n, "d": d, "conservation_drift": drift, "singular_vector_drift": float(off.max()),
                                 "max_rel_error": track, "relative_change_of_s": growth}
        worst["conservation_drift"] = max(worst["conservation_drift"], drift)
        worst["singular_vector_drift"] = max(worst["singular_vector_drift"], float(off.max()))
        worst["max_rel_error"] = max(worst["max_rel_error"], track)
        if growth < 1e-3:
            return Outcome.undecided(f"the trajectory barely moved at K={K}, L={L} (relative change {growth:.1e}): "
                                     "the invariants would be untested", {"per_case": table})
        if not figures:
            def draw(fig, times=times, s_full=s_full, s_red=s_red, K=K, L=L):
                ax = fig.add_subplot(111)
                for j in range(L + 1):
                    for k in range(1, K):
                        ax.plot(times, s_full[:, j, k], "-", lw=1.2)
                        ax.plot(times, s_red[:, j, k], "k:", lw=1.0)
                ax.set_xlabel("t (gradient-flow time)")
                ax.set_ylabel("s_{l,k}(t)")
                ax.set_title(f"full model (colours) vs reduced ODE (dotted), K={K}, L={L}")
            figures.append(render("T4.2 trajectory", draw, "Diagonal entries of every factor in its fixed Hadamard bases, "
                                  "integrated from the full gradient flow, against the per-layer reduced ODE."))
        ctx.report((idx + 1) / len(pairs), f"K={K}, L={L}")
    ok = all(v["conservation_drift"] <= tol and v["singular_vector_drift"] <= tol and v["max_rel_error"] <= tol
             for v in table.values())
    evidence = {**worst, "per_case": table, "tolerance": tol, "integrator": settings, "init_seed": [ctx.seed, 9]}
    if ok:
        return Outcome.held(evidence, figures=figures)
    bad = next(k for k, v in table.items() if max(v["conservation_drift"], v["singular_vector_drift"], v["max_rel_error"]) > tol)
    return Outcome.refuted({"case": bad, **table[bad], "init_seed": [ctx.seed, 9]}, evidence)
