"""Batched full-batch gradient descent on the deep UFM, as a discretisation of gradient flow.

The model (CLAIMS.md): ``Z = W_L ... W_1 H``, ``H`` d x N, ``W_l`` d x d (l < L),
``W_L`` K x d; loss = SUM of cross-entropies over the N = K n samples.  B models
with the same (K, n, d, L) are trained at once as one batched model: every factor
is a tensor ``(B, rows, cols)`` and the product is a chain of ``torch.bmm``.  The
members share nothing but the arithmetic: the loss of the batch is the sum of the
members' losses, so autograd returns each member its own gradient.

Steps.  ``fixed``: ``W ← W - η ∇ℒ`` with one η; after k steps the model time is
``t = k η`` (explicit Euler for ``Ẇ = -∇ℒ``).  ``adaptive``: member b takes
``η_b = min(η_max, ρ ||θ_b|| / ||∇ℒ_b||)``, a step that moves its parameters by a
fixed fraction ρ of their norm.  In the lazy phase ``||∇ℒ|| ∝ ℒ`` so this is the
usual step normalised by the loss scale; near a small initialisation it takes
steps proportional to the scale.  A scalar step per member only reparametrises
time, so the discrete path still follows the gradient-flow path; the model time
``t_b = Σ η_b`` is logged.

Safety: a non-finite loss or gradient, or a loss above ``diverge_factor`` times its
initial value, stops the run with :class:`TrainingDiverged` (a ValueError that
names the member, step and step size); reports never see NaNs.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from numerics.deep_ufm import class_labels, hadamard_init, random_orthogonal
from numerics.hadamard import require_power_of_two

from . import metrics

__all__ = [
    "TrainingDiverged",
    "pick_device",
    "TrainConfig",
    "TrainResult",
    "hadamard_factors",
    "balanced_hadamard_s",
    "compute_metrics",
    "snapshot_metrics",
    "gaussian_factors",
    "factors_from_logits",
    "stack_members",
    "unstack",
    "batched_logits",
    "batched_loss",
    "batched_log_loss",
    "train",
    "step_hook",
]


MIN_LOSS = {"float64": 1e-200, "float32": 1e-30}  # members freeze below this loss (range of the dtype)
HOOK_EVERY = 50  # steps between calls of the step hook

_STEP_HOOK: contextvars.ContextVar = contextvars.ContextVar("torch_check_step_hook", default=None)


@contextlib.contextmanager
def step_hook(fn):
    """Call ``fn()`` every ``HOOK_EVERY`` steps of every :func:`train` inside the block.

    A check passes its time-budget test here (``lambda: ctx.check_budget(...)``): an
    exception raised by ``fn`` (``BudgetExhausted``) stops the training and propagates, so
    the check ends INCONCLUSIVE within the budget instead of after the run.
    """
    token = _STEP_HOOK.set(fn)
    try:
        yield
    finally:
        _STEP_HOOK.reset(token)


class TrainingDiverged(ValueError):
    """Gradient descent left the gradient-flow regime (non-finite or exploding loss)."""


def pick_device(device: str | None = None) -> torch.device:
    """CUDA when available, else CPU; ``device`` ("cpu", "cuda", "cuda:1") overrides."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available on this machine")
    return dev


def _dtype(name: str) -> torch.dtype:
    table = {"float64": torch.float64, "float32": torch.float32}
    if name not in table:
        raise ValueError(f"dtype must be one of {sorted(table)}, got {name!r}")
    return table[name]


def _require_sizes(K: int, n: int, d: int, L: int) -> None:
    for name, v, lo in (("K", K, 2), ("n", n, 1), ("d", d, 1), ("L", L, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")


# ------------------------------------------------------------------------ initialisations
def hadamard_factors(s: np.ndarray, n: int, d: int, seed: int) -> list[np.ndarray]:
    """Theorem 4.2's initialisation for one member: ``s`` (L+1, K) singular values per layer.

    Orthogonal ``Q_1..Q_L`` are drawn from ``default_rng(seed)``.  K must be a power of
    two and d >= K (clear ValueError otherwise, from :mod:`numerics`).
    """
    s = np.asarray(s, dtype=float)
    if s.ndim != 2 or s.shape[0] < 2:
        raise ValueError("s must have shape (L+1, K) with L >= 1")
    K = s.shape[1]
    require_power_of_two(K, minimum=2)
    if d < K:
        raise ValueError(f"Hadamard initialisation needs width d >= K, got d={d} < K={K}")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("Hadamard singular values s must be finite and >= 0")
    rng = np.random.default_rng(seed)
    Qs = [random_orthogonal(d, rng) for _ in range(s.shape[0] - 1)]
    return hadamard_init(s, n, d, Qs)


def balanced_hadamard_s(lam: np.ndarray, L: int, n: int, mode0: float | None = None) -> np.ndarray:
    """Balanced layer singular values ``s_k = σ_k^{1/(L+1)}`` for reduced modes λ (k = 1..K-1).

    ``σ = √n λ``.  Mode 0 (all-ones, inert under the flow) gets ``mode0`` (default: the
    smallest λ) so that the factors have full rank K.
    """
    lam = np.asarray(lam, dtype=float)
    if np.any(lam <= 0) or not np.all(np.isfinite(lam)):
        raise ValueError("reduced modes λ must be finite and > 0")
    m0 = float(lam.min()) if mode0 is None else float(mode0)
    sigma = np.sqrt(n) * np.concatenate([[m0], lam])
    return np.tile(sigma ** (1.0 / (L + 1)), (L + 1, 1))


def gaussian_factors(K: int, n: int, d: int, L: int, scale: float, seed: int) -> list[np.ndarray]:
    """Theorem 4.5's initialisation: ``F_j = s A_j``, entries of ``A_j`` i.i.d. N(0, 1/d)."""
    _require_sizes(K, n, d, L)
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"initial scale must be finite and > 0, got {scale!r}")
    rng = np.random.default_rng(seed)
    shapes = [(d, K * n)] + [(d, d)] * (L - 1) + [(K, d)]
    return [scale * rng.standard_normal(sh) / np.sqrt(d) for sh in shapes]


def factors_from_logits(Z: np.ndarray, L: int, d: int, seed: int) -> list[np.ndarray]:
    """Balanced factors whose product is ``Z`` (K x N): ``Z = U S V^T``, each factor gets ``S^{1/(L+1)}``.

    ``H = Q_1 S^{1/(L+1)} V^T``, ``W_l = Q_{l+1} S^{1/(L+1)} Q_l^T``, ``W_L = U S^{1/(L+1)} Q_L^T``
    with random orthogonal ``Q`` (seeded).  Needs ``d >= rank Z``.  Rank is kept: a
    rank-r start stays rank r under the flow (zero modes are fixed points).
    """
    Z = np.asarray(Z, dtype=float)
    if not np.all(np.isfinite(Z)):
        raise ValueError("logit structure Z has non-finite entries")
    K, N = Z.shape
    U, S, Vt = np.linalg.svd(Z, full_matrices=False)
    r = int(np.sum(S > 1e-12 * S.max())) if S.max() > 0 else 0
    if r == 0:
        raise ValueError("logit structure Z is zero")
    if d < r:
        raise ValueError(f"width d={d} is smaller than rank Z = {r}")
    root = S[:r] ** (1.0 / (L + 1))
    rng = np.random.default_rng(seed)
    Qs = [random_orthogonal(d, rng) for _ in range(L)]
    core_H = np.zeros((d, N))
    core_H[:r] = root[:, None] * Vt[:r]
    factors = [Qs[0] @ core_H]
    mid = np.zeros((d, d))
    mid[np.arange(r), np.arange(r)] = root
    for l in range(1, L):
        factors.append(Qs[l] @ mid @ Qs[l - 1].T)
    core_W = np.zeros((K, d))
    core_W[:, :r] = U[:, :r] * root[None, :]
    factors.append(core_W @ Qs[L - 1].T)
    return factors


def stack_members(members: Sequence[Sequence[np.ndarray]]) -> list[np.ndarray]:
    """B members' factor lists -> L+1 arrays of shape (B, rows, cols)."""
    if not members:
        raise ValueError("need at least one member")
    shapes = [tuple(f.shape for f in m) for m in members]
    if len(set(shapes)) != 1:
        raise ValueError(f"all members of a batch need the same factor shapes, got {set(shapes)}")
    return [np.stack([m[j] for m in members]) for j in range(len(members[0]))]


# ---------------------------------------------------------------------------- the model
def batched_logits(factors: Sequence[torch.Tensor]) -> torch.Tensor:
    """``Z = F_L ... F_0`` for every member: (B, K, N)."""
    Z = factors[0]
    for F in factors[1:]:
        Z = torch.bmm(F, Z)
    return Z


def _gap_lse(Z: torch.Tensor, labels: torch.Tensor, index: torch.Tensor | None = None,
             mask: torch.Tensor | None = None) -> torch.Tensor:
    """``logsumexp_{c'≠c}(z_{c'} - z_c)`` for every sample: shape (B, N).

    ``index``/``mask`` (the gather index and the own-class mask) may be passed in precomputed.
    """
    B, K, N = Z.shape
    own = Z.gather(1, labels.view(1, 1, N).expand(B, 1, N) if index is None else index)
    if mask is None:
        mask = torch.nn.functional.one_hot(labels, K).T.bool().unsqueeze(0)
    return torch.logsumexp((Z - own).masked_fill(mask, float("-inf")), dim=1)


def batched_loss(Z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-member SUM of cross-entropies, shape (B,), accurate down to the smallest losses.

    Per sample ``-log softmax(z)_c = softplus(logsumexp_{c'≠c}(z_{c'} - z_c))``: the same
    log-sum-exp form as torch's ``cross_entropy`` (no overflow), but without forming
    ``logsumexp(z) - z_c``, which cancels to 0 once the loss falls below ~1e-16 (the
    long lazy phase).  The tests compare it with ``torch.nn.functional.cross_entropy``.
    """
    return torch.nn.functional.softplus(_gap_lse(Z, labels)).sum(dim=1)


def _log_softplus(x: torch.Tensor) -> torch.Tensor:
    """``log(log(1 + e^x))`` without underflow: ``x + log1p(-e^x/2 + e^{2x}/3)`` for x < -20."""
    small = x < -20.0
    direct = torch.log(torch.nn.functional.softplus(torch.where(small, torch.zeros_like(x), x)))
    ex = torch.exp(torch.where(small, x, torch.full_like(x, -20.0)))
    series = x + torch.log1p(-ex / 2 + ex * ex / 3)
    return torch.where(small, series, direct)


def batched_log_loss(Z: torch.Tensor, labels: torch.Tensor, index: torch.Tensor | None = None,
                     mask: torch.Tensor | None = None) -> torch.Tensor:
    """``log ℒ`` per member, finite even when ℒ underflows (margins in the thousands).

    ``∇ log ℒ = ∇ℒ / ℒ``: the gradient of the loss normalised by the loss scale.
    """
    return torch.logsumexp(_log_softplus(_gap_lse(Z, labels, index, mask)), dim=1)


# -------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run (saved with its logs)."""

    K: int
    n: int
    d: int
    L: int
    steps: int = 1000
    step: str = "fixed"  # "fixed" or "adaptive"
    lr: float = 1e-2  # fixed: η; adaptive: ρ, the relative parameter change per step
    lr_max: float = math.inf  # adaptive: optional cap on η_b
    t_max: float | None = None  # stop a member when its model time reaches t_max
    loss_floor: float | None = None  # stop a member when its loss falls below
    log_loss_floor: float | None = None  # the same in log ℒ (adaptive steps reach ℒ < 1e-308)
    log_every: int = 0  # 0: log only first and last step
    log_steps: tuple[int, ...] = ()
    log_loss_marks: tuple[float, ...] = ()  # record each member's logits when its log ℒ first falls below
    weight_decay: float = 0.0  # λ of the optional ridge term (λ/2) Σ ||F_j||_F² (0: the paper's flow)
    diverge_factor: float = 1e3
    dtype: str = "float64"
    device: str | None = None
    threads: int | None = 1  # CPU intra-op threads during the run (None: leave torch's setting)
    progress: bool = False

    def __post_init__(self) -> None:
        _require_sizes(self.K, self.n, self.d, self.L)
        if self.step not in ("fixed", "adaptive"):
            raise ValueError(f"step must be 'fixed' or 'adaptive', got {self.step!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"step size lr must be finite and > 0, got {self.lr!r}")
        if self.steps < 1:
            raise ValueError("steps must be >= 1")
        _dtype(self.dtype)


@dataclass
class TrainResult:
    """Logs: ``steps`` (T,), ``time`` (T, B), ``loss`` (T, B), ``logits`` (T, B, K, N),
    and per-snapshot metrics (T, B[, ...]) computed by :mod:`torch_check.metrics`."""

    config: TrainConfig
    seeds: list
    steps: np.ndarray
    time: np.ndarray
    loss: np.ndarray
    logits: np.ndarray
    log_time: np.ndarray | None = None
    log_loss: np.ndarray | None = None
    metrics: dict = field(default_factory=dict)
    final_factors: list | None = None
    wall_s: float = 0.0
    marks: dict = field(default_factory=dict)

    def at_mark(self, mark: float) -> dict:
        """Logits (B, K, N), step (B,) and log ℒ (B,) of each member when its log ℒ first fell below ``mark``.

        ``step`` is -1 (and the logits NaN) for a member that never got there.  The marks are
        the ``TrainConfig.log_loss_marks`` (convergence windows, :mod:`torch_check.convergence`).
        """
        mark = float(mark)
        if mark not in self.marks:
            raise KeyError(f"log-loss mark {mark} was not requested (TrainConfig.log_loss_marks = "
                           f"{self.config.log_loss_marks})")
        return self.marks[mark]

    def final(self, name: str) -> np.ndarray:
        return self.metrics[name][-1]

    def save(self, path: str | Path, extra: dict | None = None) -> tuple[Path, Path]:
        """``path.npz`` (arrays) and ``path.json`` (configuration, seeds, extra)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"steps": self.steps, "time": self.time, "loss": self.loss, "logits": self.logits,
                  "log_time": self.log_time, "log_loss": self.log_loss}
        arrays.update({f"metric_{k}": v for k, v in self.metrics.items()})
        for m, st in self.marks.items():
            arrays.update({f"mark_{m:g}_{k}": v for k, v in st.items()})
        np.savez_compressed(path.with_suffix(".npz"), **arrays)
        meta = {"config": asdict(self.config), "seeds": [int(s) if isinstance(s, (int, np.integer)) else s
                                                         for s in self.seeds],
                "wall_s": self.wall_s, **(extra or {})}
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=str))
        return path.with_suffix(".npz"), path.with_suffix(".json")


def snapshot_metrics(Z: np.ndarray, K: int, n: int) -> dict[str, float | np.ndarray]:
    """All logged quantities of one member's logits (see :mod:`torch_check.metrics`)."""
    Zbar = metrics.mean_logits(Z, K, n)
    sv = metrics.singular_values(metrics.centred(Zbar))
    return {
        "singular_values": sv,
        "effective_rank": metrics.effective_rank(sv),
        "normalised_margin": metrics.normalised_margin(Z, K, n),
        "kl_to_dnc": metrics.kl_to_dnc(sv, K),
        "distance_to_etf": metrics.distance_to_etf(Zbar),
        "distance_to_cross_polytope": metrics.distance_to_cross_polytope(Zbar),
    }


def _log_schedule(cfg: TrainConfig) -> set[int]:
    steps = {0, cfg.steps}
    if cfg.log_every > 0:
        steps |= set(range(0, cfg.steps + 1, cfg.log_every))
    steps |= {s for s in cfg.log_steps if 0 <= s <= cfg.steps}
    return steps


def train(
    cfg: TrainConfig,
    init: Sequence[Sequence[np.ndarray]],
    seeds: Sequence | None = None,
    *,
    with_metrics: bool = True,
    keep_factors: bool = False,
) -> TrainResult:
    """Train the B members ``init`` (each a factor list [H, W_1, ..., W_L]) together.

    Deterministic: the result depends only on the initial factors and ``cfg``.
    ``fixed`` steps descend ℒ itself; ``adaptive`` steps descend ``log ℒ`` (same
    direction, ``∇ℒ/ℒ``) by ``ρ ||θ|| / ||∇ log ℒ||``; the model time of such a step is
    ``η/ℒ``, accumulated in log form (``log_time``) since it outgrows float64.
    """
    import time as _time

    t0 = _time.perf_counter()
    stacked = stack_members(init)
    K, n, d, L = cfg.K, cfg.n, cfg.d, cfg.L
    expected = [(d, K * n)] + [(d, d)] * (L - 1) + [(K, d)]
    got = [tuple(a.shape[1:]) for a in stacked]
    if got != expected:
        raise ValueError(f"initial factors have shapes {got}, the configuration needs {expected}")
    for j, a in enumerate(stacked):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"initial factor {j} has non-finite entries")
    device, dtype = pick_device(cfg.device), _dtype(cfg.dtype)
    B = stacked[0].shape[0]
    # all factors of a member live in one flat row: norms, steps and updates are single ops
    shapes = [tuple(a.shape[1:]) for a in stacked]
    sizes = [r * c for r, c in shapes]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    flat = torch.tensor(np.concatenate([a.reshape(B, -1) for a in stacked], axis=1), dtype=dtype, device=device,
                        requires_grad=True)

    def factor_views() -> list[torch.Tensor]:
        return [flat[:, offsets[j]:offsets[j + 1]].view(B, *shapes[j]) for j in range(len(shapes))]

    labels = torch.as_tensor(class_labels(K, n), device=device)
    gather_index = labels.view(1, 1, K * n).expand(B, 1, K * n)
    own_mask = torch.nn.functional.one_hot(labels, K).T.bool().unsqueeze(0)
    log_t = torch.full((B,), -math.inf, dtype=dtype, device=device)
    active = torch.ones(B, dtype=torch.bool, device=device)
    schedule = _log_schedule(cfg)
    adaptive = cfg.step == "adaptive"
    log_floor = math.log(cfg.loss_floor) if cfg.loss_floor else -math.inf
    if cfg.log_loss_floor is not None:
        log_floor = max(log_floor, cfg.log_loss_floor)
    if not adaptive:  # ℒ itself is descended: stay inside float64's range
        log_floor = max(log_floor, math.log(MIN_LOSS[cfg.dtype]))
    log_t_max = math.log(cfg.t_max) if cfg.t_max is not None else math.inf
    logs: dict[str, list] = {"steps": [], "log_time": [], "log_loss": [], "logits": []}
    loss0 = blow_up = None
    mark_state = {float(m): {"logits": None, "step": torch.full((B,), -1, dtype=torch.long, device=device),
                             "log_loss": torch.full((B,), math.nan, dtype=dtype, device=device)}
                  for m in cfg.log_loss_marks}

    def record_marks(k: int, log_loss: torch.Tensor, Z: torch.Tensor) -> None:
        for m, st in mark_state.items():
            new = (log_loss.detach() < m) & (st["step"] < 0)
            if not bool(torch.any(new)):
                continue
            if st["logits"] is None:
                st["logits"] = torch.full_like(Z.detach(), math.nan)
            st["logits"] = torch.where(new[:, None, None], Z.detach(), st["logits"])
            st["step"] = torch.where(new, torch.full_like(st["step"], k), st["step"])
            st["log_loss"] = torch.where(new, log_loss.detach(), st["log_loss"])

    def record(k: int, log_loss: torch.Tensor, Z: torch.Tensor) -> None:
        logs["steps"].append(k)
        logs["log_time"].append(log_t.detach().cpu().numpy().copy())
        logs["log_loss"].append(log_loss.detach().cpu().numpy().copy())
        logs["logits"].append(Z.detach().cpu().numpy().copy())

    old_threads = torch.get_num_threads()
    if device.type == "cpu" and cfg.threads is not None:
        torch.set_num_threads(cfg.threads)  # small bmm's: threading costs more than it saves
    bar = task = None
    if cfg.progress:
        from rich.progress import Progress

        bar = Progress(transient=True)
        task = bar.add_task("training", total=cfg.steps)
        bar.start()
    hook = _STEP_HOOK.get()
    try:
        for k in range(cfg.steps + 1):
            if hook is not None and k % HOOK_EVERY == 0:
                hook()
            Z = batched_logits(factor_views())
            log_loss = batched_log_loss(Z, labels, gather_index, own_mask)
            if not bool(torch.all(torch.isfinite(log_loss) | (log_loss == -math.inf))):
                bad = int(torch.nonzero(~torch.isfinite(log_loss))[0])
                raise TrainingDiverged(
                    f"non-finite loss for member {bad} at step {k} (step rule {cfg.step}, lr={cfg.lr}): "
                    "the step size is too large for gradient descent to follow gradient flow")
            if loss0 is None:
                loss0 = log_loss.detach().clone()
                blow_up = torch.logaddexp(loss0, torch.zeros_like(loss0)) + math.log(cfg.diverge_factor)
            blown = log_loss > blow_up
            if bool(torch.any(blown)):
                bad = int(torch.nonzero(blown)[0])
                raise TrainingDiverged(
                    f"loss of member {bad} rose from {math.exp(float(loss0[bad])):.4g} to "
                    f"{math.exp(float(log_loss[bad].detach())):.4g} at step {k} (lr={cfg.lr}): gradient descent "
                    "is diverging; lower the step size")
            if k in schedule:
                record(k, log_loss, Z)
            if mark_state:
                record_marks(k, log_loss, Z)
            active &= (log_loss.detach() >= log_floor) & (log_t < log_t_max)
            if k == cfg.steps or not bool(torch.any(active)):
                if k not in schedule:
                    record(k, log_loss, Z)
                break
            objective = log_loss if adaptive else batched_loss(Z, labels)
            (grad,) = torch.autograd.grad(objective.sum(), flat)
            with torch.no_grad():
                if cfg.weight_decay:
                    scale = torch.exp(-log_loss) if adaptive else torch.ones_like(log_loss)
                    grad = grad + cfg.weight_decay * scale[:, None] * flat
                gsq = torch.sum(grad * grad, dim=1)
                if not bool(torch.all(torch.isfinite(gsq))):
                    raise TrainingDiverged(f"non-finite gradient at step {k} (lr={cfg.lr})")
                if adaptive:
                    psq = torch.sum(flat * flat, dim=1)
                    eta = cfg.lr * torch.sqrt(psq / torch.clamp(gsq, min=1e-300))
                    log_dt = torch.log(eta) - log_loss  # model time of the step: η / ℒ
                    log_dt = torch.clamp(log_dt, max=math.log(cfg.lr_max))
                    eta = torch.exp(log_dt + log_loss)
                else:
                    eta = torch.full((B,), cfg.lr, dtype=dtype, device=device)
                    log_dt = torch.log(eta)
                if cfg.t_max is not None:  # land exactly on t_max
                    room = torch.log(torch.clamp(cfg.t_max - torch.exp(log_t), min=0.0))
                    cut = log_dt > room
                    eta = torch.where(cut, torch.exp(room + (log_loss if adaptive else 0.0)), eta)
                    log_dt = torch.minimum(log_dt, room)
                eta = torch.where(active, eta, torch.zeros_like(eta))
                flat -= eta[:, None] * grad
                log_t = torch.where(active, torch.logaddexp(log_t, log_dt), log_t)
            if bar is not None:
                if k % 10 == 0:
                    with torch.no_grad():  # smallest normalised margin over the batch (App. E.1)
                        gap = -_gap_lse(Z.detach(), labels).amax(dim=1)  # ≈ min margin (soft-min)
                        Zn = Z.detach().flatten(1).norm(dim=1)
                        margin = float((gap / Zn).min())
                    bar.update(task, description=(
                        f"loss {math.exp(float(log_loss.detach().max())):.3e}  margin/|Z| {margin:.4f}  "
                        f"log t {float(log_t.mean()):.3g}"))
                bar.advance(task)
    finally:
        torch.set_num_threads(old_threads)
        if bar is not None:
            bar.stop()

    logits = np.stack(logs["logits"])
    log_time = np.stack(logs["log_time"])
    log_loss_arr = np.stack(logs["log_loss"])
    result = TrainResult(
        config=cfg, seeds=list(seeds) if seeds is not None else list(range(B)),
        steps=np.asarray(logs["steps"]), time=np.exp(np.minimum(log_time, 700.0)),
        loss=np.exp(log_loss_arr), logits=logits, log_time=log_time, log_loss=log_loss_arr,
        final_factors=[v.detach().cpu().numpy().copy() for v in factor_views()] if keep_factors else None,
        marks={m: {"logits": (st["logits"].cpu().numpy() if st["logits"] is not None
                              else np.full((B, K, K * n), np.nan)),
                   "step": st["step"].cpu().numpy(), "log_loss": st["log_loss"].cpu().numpy()}
               for m, st in mark_state.items()},
    )
    if with_metrics:
        result.metrics = compute_metrics(logits, K, n)
    result.wall_s = _time.perf_counter() - t0
    return result


def unstack(factors: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
    """Inverse of :func:`stack_members`: (B, rows, cols) arrays -> B factor lists."""
    B = factors[0].shape[0]
    return [[np.array(f[b]) for f in factors] for b in range(B)]


def compute_metrics(logits: np.ndarray, K: int, n: int) -> dict[str, np.ndarray]:
    """:func:`snapshot_metrics` for every snapshot and member: arrays (T, B[, ...])."""
    T, B = logits.shape[:2]
    out: dict[str, list] = {}
    for i in range(T):
        for b in range(B):
            for key, v in snapshot_metrics(logits[i, b], K, n).items():
                out.setdefault(key, []).append(v)
    return {k: np.asarray(v).reshape((T, B) + np.shape(v[0])) for k, v in out.items()}
