"""The training runs behind the empirical claims (E-*), cached per parameter set.

Each function trains one batch of members with :func:`torch_check.trainer.train` and
returns plain numpy data.  They are wrapped in ``functools.lru_cache`` keyed on
their (hashable) arguments, so checks that read the same runs train them only once.
Every function records the configuration it handed to the trainer: ``"train_config"``
is ``dataclasses.asdict`` of the :class:`~torch_check.trainer.TrainConfig` that ran, next
to the seeds and the initialisation in ``"hyperparameters"``.

``window_start`` (optional, every runner): also record each member's logits when its
log-loss first fell below this value (``"window_logits"``, ``"window_step"``), the start
of the convergence window of :mod:`torch_check.convergence`; ``"final_logits"`` are the
logits at the end.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from typing import Sequence

import numpy as np

from . import metrics
from .convergence import Convergence, train_converged
from .inits import alternating_lambda, random_lambda, uniform_lambda

__all__ = [
    "hadamard_gd_trajectories",
    "random_init_runs",
    "rank_structure_runs",
    "hadamard_runs",
    "lambda_start",
    "converged_summary",
    "random_init_converged",
    "rank_structure_converged",
    "hadamard_converged",
    "rank_starts",
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


def _final_summary(r, K: int, n: int, window_start: float | None = None) -> dict:
    Zbar = metrics.mean_logits(r.logits[-1], K, n)
    out = {
        "effective_rank": r.final("effective_rank"),
        "normalised_margin": r.final("normalised_margin"),
        "singular_values": r.final("singular_values"),
        "log_loss": r.log_loss[-1],
        "steps_run": int(r.steps[-1]),
        "mean_logits": Zbar,
        "final_logits": r.logits[-1],
        "wall_s": r.wall_s,
        "train_config": asdict(r.config),
    }
    if window_start is not None:
        w = r.at_mark(window_start)
        out.update(window_logits=w["logits"], window_step=w["step"], window_log_loss=w["log_loss"])
    return out


def _marks(window_start: float | None) -> tuple[float, ...]:
    return () if window_start is None else (float(window_start),)


@lru_cache(maxsize=64)
def random_init_runs(K: int, n: int, d: int, L: int, scale: float, seeds: tuple[int, ...],
                     rho: float, log_loss_floor: float, max_steps: int, window_start: float | None = None) -> dict:
    """Gaussian starts (T4.5: entries N(0, scale²/d)), adaptive steps until log ℒ < floor."""
    init = [_trainer().gaussian_factors(K, n, d, L, scale, s) for s in seeds]
    cfg = _trainer().TrainConfig(K=K, n=n, d=d, L=L, steps=max_steps, step="adaptive", lr=rho,
                                 log_loss_floor=log_loss_floor, log_loss_marks=_marks(window_start))
    r = _trainer().train(cfg, init, seeds)
    out = _final_summary(r, K, n, window_start)
    out["hyperparameters"] = {"K": K, "n": n, "d": d, "L": L, "init": f"Gaussian N(0, {scale}^2/d)",
                              "seeds": list(seeds), "step": f"adaptive, rho={rho}",
                              "stop": f"log loss < {log_loss_floor} or {max_steps} steps", "dtype": "float64"}
    return out


@lru_cache(maxsize=64)
def rank_structure_runs(K: int, L: int, d: int, rank: int, seeds: tuple[int, ...], rho: float,
                        log_loss_floor: float, max_steps: int, logit_norm: float = 3.0,
                        window_start: float | None = None) -> dict:
    """Starts from a random rank-r logit matrix (n = 1), balanced factors; rank is kept by the flow.

    ``Z0 = A B`` with A (K x r), B (r x K) standard Gaussian (seeded), scaled to Frobenius
    norm ``logit_norm``.
    """
    init = [_trainer().factors_from_logits(Z0, L, d, s) for s, Z0 in zip(seeds, rank_starts(K, rank, seeds, logit_norm))]
    cfg = _trainer().TrainConfig(K=K, n=1, d=d, L=L, steps=max_steps, step="adaptive", lr=rho,
                                 log_loss_floor=log_loss_floor, log_loss_marks=_marks(window_start))
    r = _trainer().train(cfg, init, seeds)
    out = _final_summary(r, K, 1, window_start)
    out["initial_logits"] = r.logits[0]
    out["hyperparameters"] = {"K": K, "n": 1, "d": d, "L": L, "init": f"balanced factors of a random rank-{rank} "
                              f"logit matrix of norm {logit_norm}", "seeds": list(seeds),
                              "step": f"adaptive, rho={rho}",
                              "stop": f"log loss < {log_loss_floor} or {max_steps} steps", "dtype": "float64"}
    return out


def rank_starts(K: int, rank: int, seeds: Sequence[int], logit_norm: float = 3.0) -> np.ndarray:
    """Random rank-r logit matrices ``Z0 = A B`` (A: K x r, B: r x K, standard Gaussian from
    ``default_rng(seed)``), scaled to Frobenius norm ``logit_norm``: (B, K, K)."""
    out = []
    for s in seeds:
        rng = np.random.default_rng(s)
        Z0 = rng.standard_normal((K, rank)) @ rng.standard_normal((rank, K))
        out.append(logit_norm * Z0 / np.linalg.norm(Z0))
    return np.stack(out)


def lambda_start(kind: str, K: int, scale: float, seed: int, jitter: float = 0.1,
                 ratio: float = 4.0) -> np.ndarray:
    """Reduced modes of a Hadamard start: 'uniform' (near-DNC), 'random' (norm = scale),
    'alternating' (a = scale on odd modes, b = scale/ratio on even ones), 'alternating_jitter'
    (the alternating modes, each multiplied by ``1 + jitter U[-1,1]``, seeded)."""
    if kind == "uniform":
        return uniform_lambda(K, scale, jitter, np.random.default_rng(seed))
    if kind == "random":
        return random_lambda(K, scale, np.random.default_rng(seed))
    if kind == "alternating":
        return alternating_lambda(K, scale, scale / ratio)
    if kind == "alternating_jitter":
        lam = alternating_lambda(K, scale, scale / ratio)
        return lam * (1.0 + jitter * np.random.default_rng(seed).uniform(-1.0, 1.0, lam.shape))
    raise ValueError(f"unknown Hadamard start {kind!r}")


@lru_cache(maxsize=64)
def hadamard_runs(K: int, L: int, kind: str, scale: float, seeds: tuple[int, ...], rho: float,
                  log_loss_floor: float, max_steps: int, log_every: int = 0, jitter: float = 0.1,
                  ratio: float = 4.0, window_start: float | None = None, with_metrics: bool = True) -> dict:
    """Full-model training from balanced Hadamard starts (d = K, n = 1), adaptive steps.

    Returns the trajectory of the Hadamard modes λ (T, B, K-1), the logged metrics
    (``with_metrics=False``: only λ and the losses, much faster) and the final summary.
    """
    lam0 = [lambda_start(kind, K, scale, s, jitter, ratio) for s in seeds]
    init = [_trainer().hadamard_factors(_trainer().balanced_hadamard_s(l, L, 1), 1, K, s) for s, l in zip(seeds, lam0)]
    cfg = _trainer().TrainConfig(K=K, n=1, d=K, L=L, steps=max_steps, step="adaptive", lr=rho,
                                 log_loss_floor=log_loss_floor, log_every=log_every,
                                 log_loss_marks=_marks(window_start))
    r = _trainer().train(cfg, init, seeds, with_metrics=with_metrics)
    if not with_metrics:
        r.metrics = _trainer().compute_metrics(r.logits[-1:], K, 1)  # the final snapshot only
    out = _final_summary(r, K, 1, window_start)
    out["lam"] = metrics.hadamard_modes(metrics.mean_logits(r.logits, K, 1))
    out["lam0"] = np.stack(lam0)
    out["trajectory"] = ({k: r.metrics[k] for k in ("effective_rank", "kl_to_dnc", "distance_to_etf",
                                                     "distance_to_cross_polytope", "normalised_margin")}
                         if with_metrics else None)
    out["log_loss_trajectory"] = r.log_loss
    out["hyperparameters"] = {"K": K, "n": 1, "d": K, "L": L, "init": f"balanced Hadamard, {kind} λ, scale {scale}"
                              + (f", jitter {jitter}" if kind in ("uniform", "alternating_jitter") else "")
                              + (f", a/b = {ratio}" if kind.startswith("alternating") else ""),
                              "seeds": list(seeds), "step": f"adaptive, rho={rho}",
                              "stop": f"log loss < {log_loss_floor} or {max_steps} steps", "dtype": "float64"}
    return out


# ------------------------------------------------------------------ runs trained to convergence
def converged_summary(cfg, init, seeds: Sequence, convergence: Convergence) -> dict:
    """:func:`torch_check.convergence.train_converged` and the final metrics of every member.

    Keys: ``effective_rank``, ``normalised_margin``, ``singular_values`` (of the centred mean
    logits), ``mean_logits``, ``final_logits``, ``window_logits`` (the start of each run's last
    decade of log-loss), ``log_loss`` (final), ``convergence`` (the
    per-run report), ``train_config`` (the first stage's configuration, ``asdict``), ``wall_s``.
    """
    K, n = cfg.K, cfg.n
    t = train_converged(cfg, init, seeds, convergence)
    Zf = t["final_logits"]
    Zbar = metrics.mean_logits(Zf, K, n)
    sv = np.stack([metrics.singular_values(metrics.centred(z)) for z in Zbar])
    return {"effective_rank": np.array([metrics.effective_rank(s) for s in sv]),
            "normalised_margin": np.array([metrics.normalised_margin(z, K, n) for z in Zf]),
            "singular_values": sv, "mean_logits": Zbar, "final_logits": Zf, "log_loss": t["final_log_loss"],
            "window_logits": t["window_logits"],
            "convergence": t["convergence"], "train_config": asdict(cfg), "wall_s": t["wall_s"]}


@lru_cache(maxsize=64)
def random_init_converged(K: int, n: int, d: int, L: int, scale: float, seeds: tuple[int, ...], rho: float,
                          max_steps: int, convergence: Convergence) -> dict:
    """Gaussian starts (T4.5: every factor ``scale · A``, entries of A i.i.d. N(0, 1/d)), adaptive
    steps, trained until each run meets ``convergence``."""
    init = [_trainer().gaussian_factors(K, n, d, L, scale, s) for s in seeds]
    cfg = _trainer().TrainConfig(K=K, n=n, d=d, L=L, steps=max_steps, step="adaptive", lr=rho)
    out = converged_summary(cfg, init, seeds, convergence)
    out["hyperparameters"] = {"K": K, "n": n, "d": d, "L": L, "init": "Gaussian, entries N(0, scale^2/d)",
                              "init_scale": scale, "seeds": list(seeds), "rho": rho, "max_steps_first_stage": max_steps}
    return out


@lru_cache(maxsize=64)
def rank_structure_converged(K: int, L: int, d: int, rank: int, seeds: tuple[int, ...], rho: float, max_steps: int,
                             convergence: Convergence, logit_norm: float = 3.0) -> dict:
    """Balanced factors of random rank-r logit matrices (:func:`rank_starts`, n = 1), trained to convergence."""
    Z0 = rank_starts(K, rank, seeds, logit_norm)
    init = [_trainer().factors_from_logits(z, L, d, s) for s, z in zip(seeds, Z0)]
    cfg = _trainer().TrainConfig(K=K, n=1, d=d, L=L, steps=max_steps, step="adaptive", lr=rho)
    out = converged_summary(cfg, init, seeds, convergence)
    out["initial_logits"] = Z0
    out["hyperparameters"] = {"K": K, "n": 1, "d": d, "L": L, "init": "balanced factors of a random rank-r logit matrix",
                              "start_rank": rank, "logit_norm": logit_norm, "seeds": list(seeds), "rho": rho,
                              "max_steps_first_stage": max_steps}
    return out


@lru_cache(maxsize=64)
def hadamard_converged(K: int, L: int, kind: str, scale: float, seeds: tuple[int, ...], rho: float, max_steps: int,
                       convergence: Convergence, jitter: float = 0.1, ratio: float = 4.0) -> dict:
    """Balanced Hadamard starts (d = K, n = 1; λ from :func:`lambda_start`), trained to convergence."""
    lam0 = np.stack([lambda_start(kind, K, scale, s, jitter, ratio) for s in seeds])
    init = [_trainer().hadamard_factors(_trainer().balanced_hadamard_s(l, L, 1), 1, K, s) for s, l in zip(seeds, lam0)]
    cfg = _trainer().TrainConfig(K=K, n=1, d=K, L=L, steps=max_steps, step="adaptive", lr=rho)
    out = converged_summary(cfg, init, seeds, convergence)
    out["lam0"] = lam0
    out["lam"] = metrics.hadamard_modes(out["mean_logits"])
    out["hyperparameters"] = {"K": K, "n": 1, "d": K, "L": L, "init": f"balanced Hadamard, {kind} λ",
                              "init_scale": scale, "jitter": jitter, "ratio": ratio, "seeds": list(seeds), "rho": rho,
                              "max_steps_first_stage": max_steps}
    return out
