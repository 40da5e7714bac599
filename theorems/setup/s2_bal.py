"""S2-BAL (Sec. 2, after Def. 2.1; Ji & Telgarsky 2019): balancedness is conserved by gradient flow.

Statement.  For gradient flow ``Ḟ_j = -∂ℓ/∂F_j`` on ANY differentiable loss ``ℓ(Z)`` of the
product ``Z = W_L ... W_1 H`` (factors ``F_0 = H, F_1 = W_1, ..., F_L = W_L``), from any
initialisation,

    d/dt ( W_{l+1}^T W_{l+1} - W_l W_l^T ) = 0,      l = 0, ..., L-1   (W_0 = H).

The paper uses it to say that the normalised factors become balanced (Eq. 2) as the norms
diverge: the conserved difference stays bounded while ``W_l W_l^T`` grows.

Proof mirrored here.  With ``G = ∂ℓ/∂Z`` (any K x N matrix: ℓ enters only through it), the
chain rule gives ``∂ℓ/∂F_j = A_{>j}^T G B_{<j}^T`` (A, B the products after / before factor j).
For a pair X = F_{l+1}, Y = F_l write A = A_{>l+1}, B = B_{<l}; then
``Ẋ = -A^T G B^T Y^T`` and ``Ẏ = -X^T A^T G B^T``, so

    d/dt (X^T X - Y Y^T) = Ẋ^T X + X^T Ẋ - Ẏ Y^T - Y Ẏ^T
                         = -Y B G^T A X - X^T A^T G B^T Y^T + X^T A^T G B^T Y^T + Y B G^T A X = 0.

A and B stand for whatever products surround the pair (identities at the ends), so the
identity is one for every L, l, width and loss.  The symbolic check derives the two gradients
with sympy's matrix calculus (symbolic sizes) and expands the derivative in non-commuting
symbols (numerics.noncommutative): it is 0 as a polynomial.  The numeric check integrates
the full model (numerics.deep_ufm's hand-written chain rule, and torch autograd via
torch_check.trajectories) from random Gaussian starts with explicit Euler (= gradient descent):
the drift of ``C_l`` is then exactly ``η² Σ_k (∇_{l+1}^T ∇_{l+1} - ∇_l ∇_l^T)`` (the first-order
terms cancel by the identity), so it shrinks linearly with the step, and the check confirms
both the exact discrete identity and the linear shrinking (Richardson limit ~0).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Serves
from numerics.deep_ufm import loss_gradient
from numerics.noncommutative import Matrices

QUANTITIES = {
    "W_{l+1}^T W_{l+1} - W_l W_l^T": "paper",
    "W_{l+1} W_{l+1}^T - W_l^T W_l": "transposed",
}


def _gradients_symbolic() -> dict:
    """∂/∂X and ∂/∂Y of tr(G^T A X Y B) (the first-order term of any loss), symbolic sizes."""
    K, d2, d1, d0, N = sp.symbols("K d_2 d_1 d_0 N", positive=True, integer=True)
    A, X, Y = sp.MatrixSymbol("A", K, d2), sp.MatrixSymbol("X", d2, d1), sp.MatrixSymbol("Y", d1, d0)
    B, G = sp.MatrixSymbol("B", d0, N), sp.MatrixSymbol("G", K, N)
    f = sp.Trace(G.T * A * X * Y * B)
    gx, gy = f.diff(X), f.diff(Y)
    ok_x = sp.simplify(gx - A.T * G * B.T * Y.T).is_ZeroMatrix
    ok_y = sp.simplify(gy - X.T * A.T * G * B.T).is_ZeroMatrix
    return {"dl/dX": str(gx), "dl/dY": str(gy), "matches_chain_rule": bool(ok_x and ok_y)}


def _derivative(quantity: str):
    """d/dt of the quantity for the pair (X, Y) = (F_{l+1}, F_l), expanded; also with A = I and/or B = I."""
    M = Matrices("X Y A B G")
    Xd = -M.At * M.G * M.T(M.Y * M.B)
    Yd = -M.T(M.A * M.X) * M.G * M.Bt
    if quantity == "paper":
        dC = M.T(Xd) * M.X + M.Xt * Xd - Yd * M.Yt - M.Y * M.T(Yd)
    elif quantity == "transposed":
        dC = Xd * M.Xt + M.X * M.T(Xd) - M.T(Yd) * M.Y - M.Yt * Yd
    else:
        raise ValueError(f"unknown quantity {quantity!r}")
    full = sp.expand(dC)
    ends = {}
    for name, sub in (("A = I (l + 1 = L)", {M.A: 1, M.At: 1}), ("B = I (l = 0)", {M.B: 1, M.Bt: 1}),
                      ("A = B = I (L = 1)", {M.A: 1, M.At: 1, M.B: 1, M.Bt: 1})):
        ends[name] = sp.expand(full.subs(sub))
    return full, ends


def _numeric_witness(quantity: str, rng: np.random.Generator) -> dict:
    """d/dt of the quantity at random square factors (K = d = N = 3, L = 2, cross-entropy), by numerics.deep_ufm."""
    d = 3
    F = [rng.standard_normal((d, d)) for _ in range(3)]  # H (d x N with N = K n = 3), W_1, W_2 (K x d, K = 3)
    g = loss_gradient(F, 3, 1)
    X, Y, gX, gY = F[2], F[1], -g[2], -g[1]  # velocities are minus the gradients
    if quantity == "paper":
        dC = gX.T @ X + X.T @ gX - gY @ Y.T - Y @ gY.T
    else:
        dC = gX @ X.T + X @ gX.T - gY.T @ Y - Y.T @ gY
    return {"K": 3, "n": 1, "d": d, "L": 2, "pair": "(W_2, W_1)", "factors": [f.tolist() for f in F],
            "loss": "sum of cross-entropies", "norm_of_dC_dt": float(np.linalg.norm(dC))}


def conservation_symbolic(ctx: Context, quantity: str) -> Outcome:
    grads = _gradients_symbolic()
    full, ends = _derivative(quantity)
    witness = _numeric_witness(quantity, ctx.rng(11))
    evidence = {"gradients": grads, "dC/dt (expanded, non-commuting symbols)": str(full),
                "end cases": {k: str(v) for k, v in ends.items()},
                "float64 value at random factors (numerics.deep_ufm)": witness["norm_of_dC_dt"]}
    if not grads["matches_chain_rule"]:
        raise AssertionError(f"sympy's matrix derivative disagrees with the chain rule: {grads}")
    zero = full == 0 and all(v == 0 for v in ends.values())
    if zero:
        if witness["norm_of_dC_dt"] > 1e-10:
            raise AssertionError(f"symbolic zero but float64 derivative {witness['norm_of_dC_dt']:.3g}")
        return Outcome.held(evidence, established={"L": "all", "l": "all", "loss": "every differentiable ℓ(Z)"})
    return Outcome.refuted({"symbolic dC/dt": str(full), **witness}, evidence)


def _euler_drift(F0: list[np.ndarray], K: int, n: int, eta: float, steps: int, weight_decay: float) -> dict:
    """Explicit Euler on ℒ (+ λ/2 Σ||F||²); drift of every C_l and the exact discrete identity's misfit."""
    F = [f.copy() for f in F0]
    L = len(F) - 1
    C0 = [F[l + 1].T @ F[l + 1] - F[l] @ F[l].T for l in range(L)]
    second = [np.zeros_like(c) for c in C0]
    for _ in range(steps):
        g = loss_gradient(F, K, n)
        if weight_decay:
            g = [gj + weight_decay * fj for gj, fj in zip(g, F)]
        for l in range(L):
            second[l] += g[l + 1].T @ g[l + 1] - g[l] @ g[l].T
        F = [fj - eta * gj for fj, gj in zip(F, g)]
    C = [F[l + 1].T @ F[l + 1] - F[l] @ F[l].T for l in range(L)]
    scale = max(float(np.linalg.norm(c)) for c in C0)
    drift = max(float(np.linalg.norm(c - c0)) for c, c0 in zip(C, C0)) / scale
    misfit = max(float(np.linalg.norm((c - c0) - eta**2 * s)) for c, c0, s in zip(C, C0, second)) / scale
    return {"eta": eta, "steps": steps, "relative_drift": drift, "discrete_identity_misfit": misfit}


def conservation_trajectories(ctx: Context, weight_decay: float) -> Outcome:
    from torch_check.trainer import gaussian_factors

    horizon, etas, n = 1.0, (8e-3, 4e-3, 2e-3), 2
    rows = []
    pairs = ctx.KL_pairs()
    for i, (K, L) in enumerate(pairs):
        d = K + 2
        for seed in (1, 2):
            F0 = gaussian_factors(K, n, d, L, 1.0, int(ctx.rng(100 + seed).integers(2**31)))
            runs = [_euler_drift(F0, K, n, eta, int(round(horizon / eta)), weight_decay) for eta in etas]
            D = [r["relative_drift"] for r in runs]
            orders = [math.log2(D[k] / D[k + 1]) if D[k + 1] > 0 else math.inf for k in range(len(D) - 1)]
            richardson = 2 * D[-1] - D[-2]  # drift extrapolated to η -> 0 (first-order method)
            rows.append({"K": K, "L": L, "n": n, "d": d, "seed": seed, "init": "Gaussian N(0, 1/d)",
                         "horizon": horizon, "runs": runs, "observed_orders": orders,
                         "extrapolated_drift": richardson, "weight_decay": weight_decay})
            ctx.report((i + 0.5 * seed) / len(pairs), f"S2-BAL K={K} L={L} seed {seed}")
    torch_rows = _torch_route(ctx, weight_decay)
    evidence = {"runs": rows, "torch_autograd_route": torch_rows,
                "criterion": ("drift shrinks linearly with the step (observed order in [0.8, 1.25]), extrapolated drift "
                              "<= 0.05 x the drift at the smallest step, and (no weight decay) the exact Euler identity "
                              "C_K - C_0 = η² Σ (∇_{l+1}ᵀ∇_{l+1} - ∇_l∇_lᵀ) to 1e-9 relative")}
    bad = [r for r in rows + torch_rows
           if not (all(0.8 <= o <= 1.25 for o in r["observed_orders"])
                   and abs(r["extrapolated_drift"]) <= 0.05 * r["runs"][-1]["relative_drift"] + 1e-13)]
    if weight_decay == 0:
        bad += [r for r in rows if max(x["discrete_identity_misfit"] for x in r["runs"]) > 1e-9]
    if not bad:
        return Outcome.held(evidence)
    r = bad[0]
    return Outcome.refuted({k: r[k] for k in ("K", "L", "seed", "observed_orders", "extrapolated_drift", "weight_decay")}
                           | {"drifts": [x["relative_drift"] for x in r["runs"]]}, evidence)


def _torch_route(ctx: Context, weight_decay: float) -> list[dict]:
    """The same drift study with torch autograd (torch_check.trajectories), wider and deeper: K = 4, d = 16, L = 4."""
    from torch_check.trainer import gaussian_factors
    from torch_check.trajectories import run_trajectories

    K, n, d, L, horizon = 4, 2, 16, 4, 1.0
    F0 = gaussian_factors(K, n, d, L, 1.0, int(ctx.rng(7).integers(2**31)))
    runs = []
    for eta in (8e-3, 4e-3, 2e-3):
        steps = int(round(horizon / eta))
        rec = run_trajectories([F0], K, n, steps=steps, step="fixed", lr=eta, weight_decay=weight_decay)
        F = rec.trajectories[0].at("end").factors
        C0 = [F0[l + 1].T @ F0[l + 1] - F0[l] @ F0[l].T for l in range(L)]
        C = [F[l + 1].T @ F[l + 1] - F[l] @ F[l].T for l in range(L)]
        scale = max(float(np.linalg.norm(c)) for c in C0)
        runs.append({"eta": eta, "steps": steps,
                     "relative_drift": max(float(np.linalg.norm(c - c0)) for c, c0 in zip(C, C0)) / scale})
    D = [r["relative_drift"] for r in runs]
    return [{"K": K, "L": L, "n": n, "d": d, "seed": "ctx.rng(7)", "route": "torch autograd, float64",
             "runs": runs, "observed_orders": [math.log2(D[k] / D[k + 1]) for k in range(2)],
             "extrapolated_drift": 2 * D[-1] - D[-2], "weight_decay": weight_decay}]


CLAIM = Claim(
    id="S2-BAL",
    title="Balancedness W_{l+1}ᵀW_{l+1} - W_l W_lᵀ is conserved by gradient flow",
    statement=("For gradient flow on any differentiable loss of the product Z = W_L ... W_1 H, from any "
               "initialisation, d/dt (W_{l+1}ᵀ W_{l+1} - W_l W_lᵀ) = 0 for l = 0..L-1 (W_0 = H)."),
    latex=r"\frac{d}{dt}\left(W_{l+1}^\top W_{l+1} - W_l W_l^\top\right) = 0,\quad W_0 = H",
    reference="Sec. 2 (after Def. 2.1), citing Ji & Telgarsky (2019); used for Eq. (2) and in App. D.3 (Eq. 42)",
    domain=Domain(K_min=2, L_min=1),
    checks=(
        Check(
            name="conservation_symbolic", level=Level.SYMBOLIC, fn=conservation_symbolic,
            description=("sympy matrix calculus (symbolic sizes) gives ∂ℓ/∂X = AᵀGBᵀYᵀ, ∂ℓ/∂Y = XᵀAᵀGBᵀ for a "
                         "pair (X, Y) = (W_{l+1}, W_l) between any products A, B and any G = ∂ℓ/∂Z; the derivative "
                         "of the quantity expands to 0 in non-commuting symbols, also with A = I or B = I (the ends)"),
            precision="exact (sympy; no matrix entries are used); a float64 cross-check at random factors",
            statement={"quantity": "paper"},
            control={"quantity": "transposed"},
            control_description="W_{l+1} W_{l+1}ᵀ - W_lᵀ W_l (transposes on the other side) is conserved",
            control_why=("the two Gram matrices of a factor are easily swapped (WᵀW is the 'feature' Gram of the next "
                         "layer, WWᵀ the 'output' Gram); the swapped difference has a non-zero derivative"),
            serves=Serves(what="symbolic proof (one for all K, L, widths and losses)"),
            for_all="all K, L, widths, l and every differentiable loss of the product",
            method="sympy matrix calculus + non-commutative expansion",
        ),
        Check(
            name="conservation_trajectories", level=Level.NUMERIC, fn=conservation_trajectories,
            description=("explicit Euler (gradient descent) on the summed cross-entropy from Gaussian starts, "
                         "horizon t = 1, steps 8e-3, 4e-3, 2e-3 (numerics.deep_ufm chain rule; and torch autograd at "
                         "K = 4, d = 16, L = 4): the drift of every C_l shrinks linearly with the step, its Richardson "
                         "limit is ~0, and the exact Euler identity C_K - C_0 = η² Σ(∇ᵀ∇ - ∇∇ᵀ) holds"),
            precision="float64; observed order in [0.8, 1.25]; extrapolated drift <= 5% of the finest drift; identity 1e-9",
            statement={"weight_decay": 0.0},
            control={"weight_decay": 0.05},
            control_description="the same with weight decay λ = 0.05 (ridge on every factor): balancedness 'still conserved'",
            control_why=("balanced factors appear in the regularised deep UFM too (at its minimisers), so one may believe "
                         "the conservation law survives weight decay; there dC/dt = -2λC and the drift does not vanish "
                         "with the step"),
            K=(3,), L=(1, 3),
            serves=Serves(K_max=16, L_max=12, what="Euler integration of the full model",
                          cost="(L+1) matrix products of size d = K + 2 per step, 875 steps"),
            method="explicit Euler, 3 step sizes",
        ),
    ),
    notes="Used by Def. 2.1 / Eq. (2) (balanced normalised factors) and by Thm 4.2's reduction (Eq. 42).",
)
