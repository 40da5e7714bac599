"""E-ODE (App. E, Thm 4.2 / Eq. 6): full-model gradient descent tracks the reduced flow.

Statement.  From a balanced Hadamard start (T4.2: ``W_L = U S Q_L^T``, ``W_l = Q_{l+1} S Q_l^T``,
``H = Q_1 S V^T``, K = 2^m, d >= K), gradient descent with step η on the full deep
UFM (L+1 factors, d x d matrices, autograd gradients) follows the reduced flow

    λ̇_k = (1 - ψ_k(λ)) λ_k^{2L/(L+1)},    ψ = H softmax(H λ / K)          (Eq. 6)

in the rescaled time ``τ = (L+1) n^{L/(L+1)} t`` (t = η · steps; from
``σ̇ = (L+1)√n (1-ψ) σ^{2L/(L+1)}`` and ``λ = σ/√n``), and the relative error
``max_t |λ_GD(t) - λ_ODE(t)| / max |λ_ODE|`` shrinks with η (GD is the explicit Euler
scheme of the flow: first order).

How it is checked.  Two independent routes: (i) the trainer of :mod:`torch_check`
(batched torch matmuls, autograd through the cross-entropy, λ read off the trained
logits as ``(H Zbar H)_kk / K``); (ii) ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-11,
atol 1e-13) on :func:`numerics.reduced_flow.reduced_rhs`.  Five seeded starts per (K, L).  The statement predicts the flow of
depth L; the negative control predicts the flow of depth 1 (exponent β = 1, the shallow
UFM) on the same GD data, which must be rejected.

Second check (unbalanced starts, the conservation law of T4.2).  Each layer's singular
values are jittered by ±30%, so the layers are not balanced.  Theorem 4.2 still keeps
the singular vectors fixed, and the per-layer flow ``ṡ_{l,k} = √n (1-ψ_k) Π_{i≠l} s_{i,k}``
(:func:`numerics.reduced_flow.layer_rhs`, integrated by scipy in model time) must match
GD, with λ = Π_l s_{l,k} / √n.  Negative control on the same data: the balanced reduced
flow of Eq. 6 started from the same λ(0), i.e. ignoring the imbalance.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from numerics.reduced_flow import layer_rhs, reduced_rhs
from reports.figures import render
from torch_check.evidence import seeds_from
from torch_check.experiments import hadamard_gd_trajectories
from torch_check.pins import require_pinned
from theorems.experiments._common import budgeted, measurement_part, pins_check

TOLERANCE = 1e-2  # relative error at the smallest step size
MIN_HALVING_GAIN = 1.5  # error(η) / error(η/2) for every halving (first order: ≈ 2)
ODE_RTOL, ODE_ATOL, ODE_METHOD = 1e-11, 1e-13, "DOP853"
SEEDS = 5
STEP_SIZES, THOROUGH_STEP_SIZES = (0.04, 0.02, 0.01), (0.04, 0.02, 0.01, 0.005)
HORIZON, N_PER_CLASS = 3.0, 2
METRICS = ("mean_logits", "hadamard_modes")


def reduced_flow_at(lam0: np.ndarray, L_flow: int, taus: np.ndarray) -> np.ndarray:
    """λ(τ) of Eq. 6 at the given rescaled times (scipy, independent of torch)."""
    sol = solve_ivp(lambda _t, y: reduced_rhs(y, L_flow), (0.0, float(taus[-1])), lam0, t_eval=taus,
                    method=ODE_METHOD, rtol=ODE_RTOL, atol=ODE_ATOL)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y.T


@budgeted
def gd_tracks_reduced_flow(ctx: Context, ode_depth) -> Outcome:
    """Train with several step sizes; compare with the reduced flow of depth ``ode_depth``."""
    pins = require_pinned(METRICS)
    step_sizes = THOROUGH_STEP_SIZES if ctx.thorough else STEP_SIZES
    horizon, n = HORIZON, N_PER_CLASS
    cases, ok, figs_data = [], True, []
    for K in ctx.K:
        for L in ctx.L:
            L_flow = L if ode_depth == "L" else int(ode_depth)
            seeds = seeds_from(ctx, 100 + 10 * K + L, SEEDS)
            data = hadamard_gd_trajectories(K, n, K + 2, L, seeds, step_sizes, horizon)
            c = (L + 1) * n ** (L / (L + 1))  # τ = c t
            errors = {}
            for eta, run in data["runs"].items():
                err = 0.0
                for b in range(len(seeds)):
                    pred = reduced_flow_at(data["lam0"][b], L_flow, c * run["time"][:, b])
                    err = max(err, float(np.max(np.abs(run["lam"][:, b] - pred)) / np.max(np.abs(pred))))
                errors[eta] = err
            errs = [errors[e] for e in step_sizes]
            gains = [errs[i] / errs[i + 1] for i in range(len(errs) - 1)]
            holds = errs[-1] <= TOLERANCE and all(g >= MIN_HALVING_GAIN for g in gains)
            ok &= holds
            cases.append({"K": K, "L": L, "n": n, "d": K + 2, "flow_depth": L_flow,
                          "relative_error_by_step": {str(e): errors[e] for e in step_sizes},
                          "error_ratio_per_halving": gains, "holds": holds,
                          "hyperparameters": data["hyperparameters"]})
            figs_data.append((K, L, step_sizes, errs))
    evidence = {"cases": cases, "tolerance": TOLERANCE, "min_gain_per_halving": MIN_HALVING_GAIN,
                "time_rescaling": "tau = (L+1) n^(L/(L+1)) t", "step_sizes": list(step_sizes), "horizon": horizon,
                "ode": {"method": ODE_METHOD, "rtol": ODE_RTOL, "atol": ODE_ATOL}, "metric_pins": pins}

    def draw(fig):
        ax = fig.add_subplot(111)
        for K, L, etas, errs in figs_data:
            ax.loglog(etas, errs, "o-", label=f"K={K}, L={L}")
        ax.loglog(step_sizes, [TOLERANCE * e / step_sizes[-1] for e in step_sizes], "k:", label="slope 1")
        ax.set_xlabel("step size η")
        ax.set_ylabel("max relative error vs reduced flow")
        ax.legend()

    figs = [render(f"E-ODE: GD vs reduced flow of depth {ode_depth}", draw,
                   "Relative error between full-model GD and scipy's solution of Eq. 6, by step size.")]
    if ok:
        return Outcome(True, evidence, figures=figs)
    bad = next(c for c in cases if not c["holds"])
    return Outcome(False, evidence, counterexample={k: bad[k] for k in ("K", "L", "flow_depth", "relative_error_by_step")},
                   figures=figs)


LAYER_JITTER = 0.3


def layer_flow_at(s0: np.ndarray, n: int, times: np.ndarray) -> np.ndarray:
    """λ(t) = Π_l s_{l,k}(t)/√n (k >= 1) from scipy on the per-layer flow, in model time."""
    shape = s0.shape
    sol = solve_ivp(lambda _t, y: layer_rhs(y.reshape(shape), n).ravel(), (0.0, float(times[-1])), s0.ravel(),
                    t_eval=times, method=ODE_METHOD, rtol=ODE_RTOL, atol=ODE_ATOL)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return np.prod(sol.y.T.reshape((len(times),) + shape), axis=1)[:, 1:] / np.sqrt(n)


@budgeted
def unbalanced_gd_tracks_layer_flow(ctx: Context, predicted_flow: str) -> Outcome:
    """Unbalanced Hadamard starts: GD vs the per-layer flow (statement) or the balanced flow (control)."""
    pins = require_pinned(METRICS)
    step_sizes = THOROUGH_STEP_SIZES if ctx.thorough else STEP_SIZES
    horizon, n = HORIZON, N_PER_CLASS
    cases, ok = [], True
    for K in ctx.K:
        for L in ctx.L:
            seeds = seeds_from(ctx, 150 + 10 * K + L, SEEDS)
            data = hadamard_gd_trajectories(K, n, K + 2, L, seeds, step_sizes, horizon, layer_jitter=LAYER_JITTER)
            c = (L + 1) * n ** (L / (L + 1))
            errors = {}
            for eta, run in data["runs"].items():
                err = 0.0
                for b in range(len(seeds)):
                    s0 = data["s0"][b]
                    if predicted_flow == "layer_flow":
                        pred = layer_flow_at(s0, n, run["time"][:, b])
                    elif predicted_flow == "balanced_reduced_flow":
                        lam0 = np.prod(s0, axis=0)[1:] / np.sqrt(n)
                        pred = reduced_flow_at(lam0, L, c * run["time"][:, b])
                    else:
                        raise ValueError(f"unknown flow {predicted_flow!r}")
                    err = max(err, float(np.max(np.abs(run["lam"][:, b] - pred)) / np.max(np.abs(pred))))
                errors[eta] = err
            errs = [errors[e] for e in step_sizes]
            gains = [errs[i] / errs[i + 1] for i in range(len(errs) - 1)]
            holds = errs[-1] <= TOLERANCE and all(g >= MIN_HALVING_GAIN for g in gains)
            ok &= holds
            imbalance = float(np.max(np.abs(np.diff(data["s0"] ** 2, axis=1))))
            cases.append({"K": K, "L": L, "n": n, "d": K + 2, "predicted_flow": predicted_flow,
                          "largest_initial_imbalance_s_sq_difference": imbalance,
                          "relative_error_by_step": {str(e): errors[e] for e in step_sizes},
                          "error_ratio_per_halving": gains, "holds": holds,
                          "hyperparameters": data["hyperparameters"]})
    evidence = {"cases": cases, "tolerance": TOLERANCE, "min_gain_per_halving": MIN_HALVING_GAIN,
                "layer_jitter": LAYER_JITTER, "step_sizes": list(step_sizes), "horizon": horizon,
                "ode": {"method": ODE_METHOD, "rtol": ODE_RTOL, "atol": ODE_ATOL}, "metric_pins": pins}
    if ok:
        return Outcome(True, evidence)
    bad = next(c for c in cases if not c["holds"])
    return Outcome(False, evidence, counterexample={k: bad[k] for k in ("K", "L", "predicted_flow",
                                                                         "relative_error_by_step")})


CLAIM = Claim(
    id="E-ODE",
    title="Full-model gradient descent from a Hadamard start tracks the reduced flow",
    statement=("From a balanced Hadamard initialisation, full-batch gradient descent on the deep UFM follows "
               "the reduced flow λ' = (1 - ψ(λ)) λ^{2L/(L+1)} (Eq. 6) in the time τ = (L+1) n^{L/(L+1)} t; the "
               "relative error shrinks with the step size."),
    latex=r"\dot\lambda_k = (1-\psi_k(\lambda))\,\lambda_k^{2L/(L+1)},\ \psi = H\,\mathrm{softmax}(H\lambda/K)",
    reference="Thm 4.2, Eq. (6); App. D.3 (the paper's Fig. 4 evolves Eq. 6 itself; the comparison with full-model "
              "training is ours)",
    domain=Domain(K_min=2, K_power_of_two=True, L_min=2),
    depends_on=("T4.2",),
    parts=(Part("tracking", "full-model GD from Hadamard starts follows the reduced flow, first order in the step"),
           measurement_part(METRICS)),
    checks=(
        Check(
            name="gd_vs_scipy_reduced_flow", level=Level.EMPIRICAL, fn=gd_tracks_reduced_flow,
            description=(f"torch GD (fixed steps {STEP_SIZES}; thorough {THOROUGH_STEP_SIZES}; model time {HORIZON}; "
                         f"n = {N_PER_CLASS}, d = K+2, {SEEDS} seeded starts λ = 1 + 0.5 U[-1,1]) against scipy "
                         f"{ODE_METHOD} on reduced_rhs; error at the smallest step <= {TOLERANCE} and every halving of "
                         f"η divides it by >= {MIN_HALVING_GAIN}"),
            precision=(f"float64 (scipy rtol {ODE_RTOL}, atol {ODE_ATOL}); tolerance {TOLERANCE} relative, gain >= "
                       f"{MIN_HALVING_GAIN} per halving"),
            statement={"ode_depth": "L"},
            control={"ode_depth": 1},
            control_description="the same GD data compared with the reduced flow of depth 1 (β = 1, shallow UFM)",
            control_why=("the exponent 2L/(L+1) of Eq. 6 is where depth enters; dropping the depth from the reduced "
                         "flow (the shallow UFM's β = 1) is the nearest wrong rate, and a comparison loose enough to "
                         "accept it would not test Eq. 6"),
            covers=("tracking",), method="two independent routes (torch autograd, scipy)",
            K=(4,), L=(3,), thorough_K=(4, 8), thorough_L=(2, 3, 5),
            serves=Serves(K_max=32, L_max=8, what="fixed-step float64 GD, d = K + 2, three or four step sizes",
                          cost="K (dense d x d factors) and L"),
        ),
        Check(
            name="unbalanced_gd_vs_layer_flow", level=Level.EMPIRICAL, fn=unbalanced_gd_tracks_layer_flow,
            description=("unbalanced Hadamard starts (every s_{l,k} jittered by ±30%): torch GD against scipy DOP853 on "
                         "the per-layer flow layer_rhs in model time; same step sizes and criteria as above"),
            precision=(f"float64 (scipy rtol {ODE_RTOL}, atol {ODE_ATOL}); tolerance {TOLERANCE} relative, gain >= "
                       f"{MIN_HALVING_GAIN} per halving"),
            statement={"predicted_flow": "layer_flow"},
            control={"predicted_flow": "balanced_reduced_flow"},
            control_description="the balanced reduced flow (Eq. 6) from the same λ(0), ignoring the layer imbalance",
            control_why=("Eq. 6 assumes balanced layers; from an unbalanced start it is a plausible but wrong "
                         "shortcut, and only the per-layer flow of Thm 4.2 should match"),
            covers=("tracking",), method="two independent routes (torch autograd, scipy)",
            K=(4,), L=(3,), thorough_K=(4, 8), thorough_L=(2, 3, 5),
            serves=Serves(K_max=32, L_max=8, what="fixed-step float64 GD, d = K + 2, three or four step sizes",
                          cost="K (dense d x d factors) and L"),
        ),
        pins_check(METRICS),
    ),
)
