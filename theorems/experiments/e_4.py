"""E-4 (Sec. 4.3, Fig. 4; Thm 4.4): rich get richer.

Statement.  From a small, nearly uniform Hadamard start (λ_k = ε(1 + 0.1 u_k)), while the
scale is small the singular values separate when L >= 2: by T4.4,
``λ̇_k ≈ λ_k^β (1 - λ_k/K)`` with β = 2L/(L+1) > 1, so ``d(λ_k/λ_j)/dt`` has the sign of
``λ_k - λ_j`` and ratios grow.  With L = 1 (β = 1) the sign is that of ``λ_j - λ_k``: the
ratios contract and the singular values do not separate.

How it is checked.  The full model (d = K = 16, n = 1, ε = 1e-3, seeds as one batch per
depth) is trained with adaptive steps and logged every 10 steps.  At the first snapshot
where the mean λ reaches 1 (= K/16, still the small-scale regime) the spread
``max λ / min λ`` is compared with its initial value: separation factor
``S = spread(t*)/spread(0)``.  Prediction: S > 2 for every seed at L >= 2 and S < 1 for
every seed at L = 1.  Negative control on the same runs: "L = 1 separates too"
(S > 2 at every depth).
"""

from __future__ import annotations

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from reports.figures import render
from torch_check.evidence import seeds_from
from torch_check.experiments import hadamard_runs

EPS, JITTER, RHO, SEEDS, MAX_STEPS, LOG_EVERY = 1e-3, 0.1, 3e-3, 4, 8000, 10
SMALL_SCALE_MEAN_LAMBDA = 1.0
SEPARATION = 2.0


def separation_factors(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per seed: S = spread at the first snapshot with mean λ >= 1, over the initial spread."""
    mean = lam.mean(axis=-1)
    spread = lam.max(axis=-1) / lam.min(axis=-1)
    idx = np.argmax(mean >= SMALL_SCALE_MEAN_LAMBDA, axis=0)
    if np.any(mean[idx, np.arange(lam.shape[1])] < SMALL_SCALE_MEAN_LAMBDA):
        raise RuntimeError("a run never reached the reference scale; raise MAX_STEPS")
    return spread[idx, np.arange(lam.shape[1])] / spread[0], idx


def rich_get_richer(ctx: Context, separating_depths: str) -> Outcome:
    cases, ok, figs_data = [], True, []
    for K in ctx.K:
        for L in sorted(ctx.L):
            seeds = seeds_from(ctx, 400 + K, SEEDS)  # the same starts at every depth
            r = hadamard_runs(K, L, "uniform", EPS, seeds, RHO, 0.0, MAX_STEPS, log_every=LOG_EVERY, jitter=JITTER)
            S, idx = separation_factors(r["lam"])
            predicted_to_separate = L >= 2 if separating_depths == "L>=2" else True
            holds = bool(np.all(S > SEPARATION)) if predicted_to_separate else bool(np.all(S < 1.0))
            ok &= holds
            cases.append({"K": K, "L": L, "separation_factor": S.tolist(), "predicted_to_separate": predicted_to_separate,
                          "snapshot_step": (idx * LOG_EVERY).tolist(), "holds": holds,
                          "hyperparameters": r["hyperparameters"]})
            figs_data.append((K, L, r["lam"], idx))
    evidence = {"prediction": f"singular values separate at small scale for {separating_depths}", "cases": cases,
                "reference_scale": f"first snapshot with mean lambda >= {SMALL_SCALE_MEAN_LAMBDA}",
                "separation_threshold": SEPARATION}

    def draw(fig):
        axes = [fig.add_subplot(1, len(figs_data), i + 1) for i in range(len(figs_data))]
        for ax, (K, L, lam, idx) in zip(axes, figs_data):
            stop = int(idx[0]) + 1
            ax.semilogy(lam[:stop, 0] / lam[:stop, 0].mean(axis=-1, keepdims=True), lw=0.8)
            ax.set_title(f"K={K}, L={L}")
            ax.set_xlabel(f"snapshot (x{LOG_EVERY} steps)")
        axes[0].set_ylabel("λ_k / mean λ (seed 0)")

    figs = [render("E-4: rich get richer", draw,
                   f"Normalised modes from λ = {EPS}(1 + {JITTER} U[-1,1]) until mean λ = {SMALL_SCALE_MEAN_LAMBDA}.",
                   size=(8.0, 3.6))]
    if ok:
        return Outcome(True, evidence, figures=figs)
    bad = next(c for c in cases if not c["holds"])
    return Outcome(False, evidence, figures=figs,
                   counterexample={k: bad[k] for k in ("K", "L", "separation_factor", "predicted_to_separate")})


CLAIM = Claim(
    id="E-4",
    title="Rich get richer: small near-uniform Hadamard starts separate for L >= 2, not for L = 1",
    statement=("From a small near-uniform Hadamard initialisation the logit singular values separate while the "
               "scale is small when L >= 2; with L = 1 they do not."),
    latex=r"\tfrac{d}{dt}\tfrac{\lambda_k}{\lambda_j} \gtrless 0 \iff (\lambda_k - \lambda_j)(L-1) \gtrless 0",
    reference="Thm 4.4, Sec. 4.3, Fig. 4",
    domain=Domain(K_min=4, K_power_of_two=True, L_min=1),
    depends_on=("T4.4",),
    checks=(
        Check(
            name="small_uniform_start", level=Level.EMPIRICAL, fn=rich_get_richer,
            description=(f"full model, K=16, d=K, n=1, λ = {EPS}(1 + {JITTER} U[-1,1]), {SEEDS} seeds per depth; "
                         f"adaptive steps (rho={RHO}); spread ratio at mean λ = 1 vs initial: > {SEPARATION} for L >= 2, "
                         "< 1 for L = 1"),
            precision="float64",
            statement={"separating_depths": "L>=2"},
            control={"separating_depths": "all"},
            control_description="L = 1 separates too (same runs)",
            K=(16,), L=(1, 3), thorough_K=(8, 16), thorough_L=(1, 2, 3, 6),
        ),
    ),
)
