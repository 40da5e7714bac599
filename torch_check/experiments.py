"""The training runs behind the empirical claims (E-*), cached per parameter set.

Each function trains one batch of members with :func:`torch_check.trainer.train` and
returns plain numpy data.  They are wrapped in ``functools.lru_cache`` keyed on
their (hashable) arguments, so a check and its negative control, which evaluate two
predictions on the same measured data, train only once.  Every function records
its own hyperparameters in the returned ``"hyperparameters"`` dict.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import metrics
from .inits import alternating_lambda, random_lambda, uniform_lambda

__all__ = [
    "hadamard_gd_trajectories",
    "random_init_runs",
    "rank_structure_runs",
    "hadamard_runs",
    "lambda_start",
]


def _trainer():
    """The torch trainer, imported on first use: the claims registry loads without torch."""
    from . import trainer

    return trainer


@lru_cache(maxsize=32)
def hadamard_gd_trajectories(K: int, n: int, d: int, L: int, seeds: tuple[int, ...],
                             step_sizes: tuple[float, ...], horizon: float, snapshots: int = 10,
                             lam_scale: float = 1.0, lam_jitter: float = 0.5, layer_jitter: float = 0.0) -> dict:
    """Fixed-step GD from Hadamard starts, one batch per step size.

    Member b starts from ``λ = uniform_lambda(K, lam_scale, lam_jitter, rng(seed_b))`` with
    balanced layers; ``layer_jitter > 0`` multiplies every layer's singular value
    ``s_{l,k}`` by ``1 + layer_jitter U[-1,1]`` (an unbalanced start, drawn from
    ``rng(seed_b + 1)``); ``s0`` (B, L+1, K) is returned.
    returns the initial λ and, per step size, the logged model times and the
    Hadamard modes ``λ_k = (H Zbar H)_kk / K`` read off the trained logits.
    """
    lam0 = [uniform_lambda(K, lam_scale, lam_jitter, np.random.default_rng(s)) for s in seeds]
    s0 = []
    for seed, lam in zip(seeds, lam0):
        s_bal = _trainer().balanced_hadamard_s(lam, L, n)
        jit = np.random.default_rng(seed + 1).uniform(-1.0, 1.0, s_bal.shape)
        s0.append(s_bal * (1.0 + layer_jitter * jit))
    init = [_trainer().hadamard_factors(s_l, n, d, seed) for seed, s_l in zip(seeds, s0)]
    runs = {}
    for eta in step_sizes:
        steps = int(round(horizon / eta))
        cfg = _trainer().TrainConfig(K=K, n=n, d=d, L=L, steps=steps, step="fixed", lr=eta,
                          log_every=max(1, steps // snapshots))
        r = _trainer().train(cfg, init, seeds, with_metrics=False)
        lam = metrics.hadamard_modes(metrics.mean_logits(r.logits, K, n))
        runs[eta] = {"time": r.time, "lam": lam, "wall_s": r.wall_s, "steps": steps}
    return {"lam0": np.stack(lam0), "s0": np.stack(s0), "runs": runs,
            "hyperparameters": {"K": K, "n": n, "d": d, "L": L, "seeds": list(seeds),
                                "step_sizes": list(step_sizes), "horizon_model_time": horizon,
                                "init": f"Hadamard, λ = {lam_scale}(1 + {lam_jitter} U[-1,1]), "
                                        f"layer jitter {layer_jitter}",
                                "step": "fixed", "dtype": "float64"}}


def _final_summary(r, K: int, n: int) -> dict:
    Zbar = metrics.mean_logits(r.logits[-1], K, n)
    return {
        "effective_rank": r.final("effective_rank"),
        "normalised_margin": r.final("normalised_margin"),
        "singular_values": r.final("singular_values"),
        "log_loss": r.log_loss[-1],
        "steps_run": int(r.steps[-1]),
        "mean_logits": Zbar,
        "wall_s": r.wall_s,
    }


@lru_cache(maxsize=64)
def random_init_runs(K: int, n: int, d: int, L: int, scale: float, seeds: tuple[int, ...],
                     rho: float, log_loss_floor: float, max_steps: int) -> dict:
    """Gaussian starts (T4.5: entries N(0, scale²/d)), adaptive steps until log ℒ < floor."""
    init = [_trainer().gaussian_factors(K, n, d, L, scale, s) for s in seeds]
    cfg = _trainer().TrainConfig(K=K, n=n, d=d, L=L, steps=max_steps, step="adaptive", lr=rho,
                      log_loss_floor=log_loss_floor)
    r = _trainer().train(cfg, init, seeds)
    out = _final_summary(r, K, n)
    out["hyperparameters"] = {"K": K, "n": n, "d": d, "L": L, "init": f"Gaussian N(0, {scale}^2/d)",
                              "seeds": list(seeds), "step": f"adaptive, rho={rho}",
                              "stop": f"log loss < {log_loss_floor} or {max_steps} steps", "dtype": "float64"}
    return out


@lru_cache(maxsize=64)
def rank_structure_runs(K: int, L: int, d: int, rank: int, seeds: tuple[int, ...], rho: float,
                        log_loss_floor: float, max_steps: int, logit_norm: float = 3.0) -> dict:
    """Starts from a random rank-r logit matrix (n = 1), balanced factors; rank is kept by the flow.

    ``Z0 = A B`` with A (K x r), B (r x K) standard Gaussian (seeded), scaled to Frobenius
    norm ``logit_norm``.
    """
    init = []
    for s in seeds:
        rng = np.random.default_rng(s)
        Z0 = rng.standard_normal((K, rank)) @ rng.standard_normal((rank, K))
        init.append(_trainer().factors_from_logits(logit_norm * Z0 / np.linalg.norm(Z0), L, d, s))
    cfg = _trainer().TrainConfig(K=K, n=1, d=d, L=L, steps=max_steps, step="adaptive", lr=rho,
                      log_loss_floor=log_loss_floor)
    r = _trainer().train(cfg, init, seeds)
    out = _final_summary(r, K, 1)
    out["hyperparameters"] = {"K": K, "n": 1, "d": d, "L": L, "init": f"balanced factors of a random rank-{rank} "
                              f"logit matrix of norm {logit_norm}", "seeds": list(seeds),
                              "step": f"adaptive, rho={rho}",
                              "stop": f"log loss < {log_loss_floor} or {max_steps} steps", "dtype": "float64"}
    return out


def lambda_start(kind: str, K: int, scale: float, seed: int, jitter: float = 0.1,
                 ratio: float = 4.0) -> np.ndarray:
    """Reduced modes of a Hadamard start: 'uniform' (near-DNC), 'random' (norm = scale),
    'alternating' (a = scale on odd modes, b = scale/ratio on even ones)."""
    if kind == "uniform":
        return uniform_lambda(K, scale, jitter, np.random.default_rng(seed))
    if kind == "random":
        return random_lambda(K, scale, np.random.default_rng(seed))
    if kind == "alternating":
        return alternating_lambda(K, scale, scale / ratio)
    raise ValueError(f"unknown Hadamard start {kind!r}")


@lru_cache(maxsize=64)
def hadamard_runs(K: int, L: int, kind: str, scale: float, seeds: tuple[int, ...], rho: float,
                  log_loss_floor: float, max_steps: int, log_every: int = 0, jitter: float = 0.1,
                  ratio: float = 4.0) -> dict:
    """Full-model training from balanced Hadamard starts (d = K, n = 1), adaptive steps.

    Returns the trajectory of the Hadamard modes λ (T, B, K-1), the logged metrics and
    the final summary.
    """
    lam0 = [lambda_start(kind, K, scale, s, jitter, ratio) for s in seeds]
    init = [_trainer().hadamard_factors(_trainer().balanced_hadamard_s(l, L, 1), 1, K, s) for s, l in zip(seeds, lam0)]
    cfg = _trainer().TrainConfig(K=K, n=1, d=K, L=L, steps=max_steps, step="adaptive", lr=rho,
                      log_loss_floor=log_loss_floor, log_every=log_every)
    r = _trainer().train(cfg, init, seeds)
    out = _final_summary(r, K, 1)
    out["lam"] = metrics.hadamard_modes(metrics.mean_logits(r.logits, K, 1))
    out["lam0"] = np.stack(lam0)
    out["trajectory"] = {k: r.metrics[k] for k in ("effective_rank", "kl_to_dnc", "distance_to_etf",
                                                    "distance_to_cross_polytope", "normalised_margin")}
    out["log_loss_trajectory"] = r.log_loss
    out["hyperparameters"] = {"K": K, "n": 1, "d": K, "L": L, "init": f"balanced Hadamard, {kind} λ, scale {scale}"
                              + (f", jitter {jitter}" if kind == "uniform" else "")
                              + (f", a/b = {ratio}" if kind == "alternating" else ""),
                              "seeds": list(seeds), "step": f"adaptive, rho={rho}",
                              "stop": f"log loss < {log_loss_floor} or {max_steps} steps", "dtype": "float64"}
    return out
