"""Gradient-descent trajectories with factor snapshots (L-D.1, S2-BAL, E-5b, E-7, E-11).

:func:`torch_check.trainer.train` keeps the logits along the run and the factors only at its
end.  The new claims need the factors themselves along the way (KKT residuals, conserved
quantities, the logit velocity of Eq. 56, singular vectors of every layer), and one of them
a run in which some factors are held fixed (the frozen-feature placebo of L-D.1).  This
module is a small batched loop on the same model and loss as the trainer
(:func:`torch_check.trainer.batched_logits`, :func:`~torch_check.trainer.batched_log_loss`):

- ``step="fixed"``: ``F ← F - η ∇ℒ`` (explicit Euler in model time t = k η);
- ``step="adaptive"``: member b descends ``log ℒ`` with ``η_b = ρ ||θ_b|| / ||∇ log ℒ_b||`` (the
  trainer's rule: a fixed relative parameter change per step; reaches margins of thousands);

and it records every member's factors at the steps in ``record_steps``, at the first step
where ``log ℒ`` falls below each value of ``log_loss_marks``, when a member's logit norm first
reaches ``norm_marks`` times its initial norm, and at the end.  A member stops when its
``log ℒ`` falls below ``log_loss_floor`` (or, with ``stop_at_last_norm_mark``, once it reached its
largest norm mark).  ``frozen`` lists factor indices never updated.
Deterministic: the result depends only on the initial factors and the arguments.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

__all__ = ["Snapshot", "Trajectory", "run_trajectories"]


@dataclass
class Snapshot:
    step: int
    reason: str  # "start", "step", "log_loss_mark=<v>", "norm_mark=<v>", "end"
    log_loss: float
    time: float  # model time Σ η (fixed) or Σ η/ℒ (adaptive; may overflow to inf)
    factors: list[np.ndarray]


@dataclass
class Trajectory:
    """One member's snapshots (in step order) and its per-step scalar logs."""

    snapshots: list[Snapshot]
    log_loss: np.ndarray  # per step actually taken (plus the start)
    param_sq: np.ndarray  # Σ_j ||F_j||² per step
    factor_sq: np.ndarray  # (steps, L+1): ||F_j||² per step
    min_margin: np.ndarray  # per step
    steps_run: int
    stopped_by: str  # "floor", "norm_mark" or "steps"

    def at(self, reason: str) -> Snapshot:
        for s in self.snapshots:
            if s.reason == reason:
                return s
        raise KeyError(reason)


@dataclass
class RunRecord:
    trajectories: list[Trajectory]
    settings: dict = field(default_factory=dict)
    wall_s: float = 0.0


def run_trajectories(init: Sequence[Sequence[np.ndarray]], K: int, n: int, *, steps: int, step: str = "fixed",
                     lr: float = 1e-2, log_loss_floor: float = -math.inf, record_steps: Sequence[int] = (),
                     log_loss_marks: Sequence[float] = (), norm_marks: Sequence[float] = (),
                     frozen: Sequence[int] = (), weight_decay: float = 0.0, dtype: str = "float64",
                     stop_at_last_norm_mark: bool = False,
                     threads: int | None = 1) -> RunRecord:
    """Train the members ``init`` (each ``[H, W_1, ..., W_L]``) together; see the module docstring."""
    import torch

    from .trainer import batched_log_loss, batched_logits, batched_loss, stack_members
    from numerics.deep_ufm import class_labels

    if step not in ("fixed", "adaptive"):
        raise ValueError(f"step must be 'fixed' or 'adaptive', got {step!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be finite and > 0, got {lr!r}")
    t0 = time.perf_counter()
    tdt = {"float64": torch.float64, "float32": torch.float32}[dtype]
    stacked = stack_members(init)
    params = [torch.tensor(a, dtype=tdt, requires_grad=True) for a in stacked]
    B = stacked[0].shape[0]
    nf = len(params)
    labels = torch.as_tensor(class_labels(K, n))
    marks = sorted(float(m) for m in log_loss_marks)[::-1]  # decreasing: -10, -100, ...
    nmarks = sorted(float(m) for m in norm_marks)
    hit_marks = [[False] * len(marks) for _ in range(B)]
    hit_norm = [[False] * len(nmarks) for _ in range(B)]
    snaps: list[list[Snapshot]] = [[] for _ in range(B)]
    logs = {"log_loss": [], "param_sq": [], "factor_sq": [], "min_margin": []}
    active = np.ones(B, dtype=bool)
    model_time = np.zeros(B)
    rec_steps = set(int(s) for s in record_steps)
    stopped = ["steps"] * B
    steps_run = np.zeros(B, dtype=int)
    znorm0 = None
    frozen = set(int(j) for j in frozen)
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)

    def take(b: int, k: int, reason: str, ll: float) -> None:
        snaps[b].append(Snapshot(k, reason, ll, float(model_time[b]), [p[b].detach().numpy().copy() for p in params]))

    try:
        for k in range(steps + 1):
            Z = batched_logits(params)
            log_loss = batched_log_loss(Z, labels)
            ll = log_loss.detach().numpy().copy()
            if not np.all(np.isfinite(ll) | (ll == -np.inf)):
                raise FloatingPointError(f"non-finite loss at step {k} (step {step}, lr={lr})")
            with torch.no_grad():
                fsq = torch.stack([torch.sum(p * p, dim=(1, 2)) for p in params], dim=1).numpy().copy()
                # exact smallest margin: z_y - max_{c != y} z_c
                own = Z.gather(1, labels.view(1, 1, -1).expand(B, 1, -1))
                mask = torch.nn.functional.one_hot(labels, K).T.bool().unsqueeze(0)
                other = Z.masked_fill(mask, float("-inf")).amax(dim=1, keepdim=True)
                mmin = (own - other).amin(dim=(1, 2)).numpy().copy()
                zn = Z.flatten(1).norm(dim=1).numpy().copy()
            if znorm0 is None:
                znorm0 = zn.copy()
            logs["log_loss"].append(ll)
            logs["param_sq"].append(fsq.sum(axis=1))
            logs["factor_sq"].append(fsq)
            logs["min_margin"].append(mmin)
            for b in range(B):
                if not active[b]:
                    continue
                if k == 0:
                    take(b, k, "start", float(ll[b]))
                if k in rec_steps and k > 0:
                    take(b, k, "step", float(ll[b]))
                for i, m in enumerate(marks):
                    if not hit_marks[b][i] and ll[b] < m:
                        hit_marks[b][i] = True
                        take(b, k, f"log_loss_mark={m:g}", float(ll[b]))
                for i, m in enumerate(nmarks):
                    if not hit_norm[b][i] and zn[b] >= m * znorm0[b]:
                        hit_norm[b][i] = True
                        take(b, k, f"norm_mark={m:g}", float(ll[b]))
                if ll[b] < log_loss_floor or (stop_at_last_norm_mark and nmarks and hit_norm[b][-1]):
                    active[b] = False
                    stopped[b] = "floor" if ll[b] < log_loss_floor else "norm_mark"
                    steps_run[b] = k
                    take(b, k, "end", float(ll[b]))
            if k == steps or not active.any():
                for b in range(B):
                    if active[b]:
                        steps_run[b] = k
                        take(b, k, "end", float(ll[b]))
                break
            if step == "adaptive":
                objective = log_loss
            else:
                objective = batched_loss(Z, labels)
            grads = list(torch.autograd.grad(objective.sum(), params))
            with torch.no_grad():
                if weight_decay:
                    scale = torch.exp(-log_loss) if step == "adaptive" else torch.ones_like(log_loss)
                    grads = [g + weight_decay * scale[:, None, None] * p for g, p in zip(grads, params)]
                for j in frozen:
                    grads[j] = torch.zeros_like(grads[j])
                gsq = sum(torch.sum(g * g, dim=(1, 2)) for g in grads)
                if step == "adaptive":
                    psq = sum(torch.sum(p * p, dim=(1, 2)) for p in params)
                    eta = lr * torch.sqrt(psq / torch.clamp(gsq, min=1e-300))
                    dt = (eta.numpy() * np.exp(-np.clip(ll, -700, 700)))
                else:
                    eta = torch.full((B,), lr, dtype=tdt)
                    dt = eta.numpy().copy()
                act = torch.as_tensor(active)
                eta = torch.where(act, eta, torch.zeros_like(eta))
                model_time += np.where(active, dt, 0.0)
                for j, (p, g) in enumerate(zip(params, grads)):
                    if j not in frozen:
                        p -= eta[:, None, None] * g
    finally:
        torch.set_num_threads(old_threads)

    T = len(logs["log_loss"])
    trajs = []
    ll_arr = np.stack(logs["log_loss"])
    ps_arr = np.stack(logs["param_sq"])
    fs_arr = np.stack(logs["factor_sq"])
    mm_arr = np.stack(logs["min_margin"])
    for b in range(B):
        last = int(steps_run[b]) + 1 if stopped[b] != "steps" else T
        trajs.append(Trajectory(snapshots=snaps[b], log_loss=ll_arr[:last, b], param_sq=ps_arr[:last, b],
                                factor_sq=fs_arr[:last, b], min_margin=mm_arr[:last, b], steps_run=int(steps_run[b]),
                                stopped_by=stopped[b]))
    settings = {"K": K, "n": n, "L": nf - 1, "steps": steps, "step": step, "lr": lr,
                "log_loss_floor": log_loss_floor, "log_loss_marks": marks, "norm_marks": nmarks,
                "frozen": sorted(frozen), "weight_decay": weight_decay, "dtype": dtype,
                "record_steps": sorted(rec_steps)}
    return RunRecord(trajs, settings, time.perf_counter() - t0)
