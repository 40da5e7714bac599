"""Real networks for E-6 (Sec. 5, Fig. 6): a feature extractor with a fully connected ReLU head.

The paper trains a ResNet-20 with a fully connected ReLU head of depth 1-8 and width 50-200 on
MNIST (5000 examples per class, 4000 epochs) and CIFAR-10 (5000 epochs), full-batch-like gradient
descent (batch 10000), no regularisation, five models per setting; inputs standardised (mean
subtracted, divided by the standard deviation).  It reports the effective rank (Eq. 60) of the mean
logit matrix at convergence against head depth and width, and test accuracy against it.

Here:

- data: ``load_dataset("digits")`` is scikit-learn's bundled handwritten digits (1797 8x8 images,
  10 classes; nothing is downloaded); ``"mnist"`` reads the four IDX files (optionally .gz) and
  ``"cifar10"`` the python batches (``cifar-10-batches-py``) from a local ``data_dir``; a stratified
  split with ``per_class`` training examples per class; standardised with the training statistics;
- models: :class:`BatchedMLPNet` trains B independent networks (seeds) at once as one batched model
  (``torch.baddbmm``): an MLP feature extractor, then ``depth - 1`` hidden ReLU layers of width
  ``width`` and a linear output layer (depth 1 = a linear classifier on the features);
  :class:`ResNet20Net` is the paper's extractor (3 stages of 3 basic blocks, 16/32/64 channels) with
  the same head, for MNIST / CIFAR-10 on a GPU;
- training: full-batch gradient descent on the summed cross-entropy; ``step="adaptive"`` takes
  ``η = ρ ||θ|| / ||∇ log ℒ||`` (the torch_check trainer's rule: the step normalised by the loss
  scale, which makes the terminal phase affordable on a CPU), ``"fixed"`` plain GD with ``lr``;
- read-off at the end: effective rank of the centred mean logit matrix on the training set (Eq. 60),
  train and test accuracy, log-loss, and the effective rank at the last checkpoint (convergence:
  100% training accuracy and an erank change below a tolerance over the last stretch).

``python -m torch_check.realnet --dataset mnist --data-dir DIR --device cuda --model resnet20 ...``
runs the paper's configuration (see ``PAPER_CONFIG``) on a GPU and writes a JSON table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import pickle
import struct
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["PAPER_CONFIG", "Dataset", "load_dataset", "RunConfig", "train_mlp_batch", "train_resnet",
           "effective_rank_of_mean_logits", "main"]

PAPER_CONFIG = {
    "model": "ResNet-20 feature extractor + fully connected ReLU head",
    "datasets": {"mnist": {"per_class": 5000, "epochs": 4000}, "cifar10": {"per_class": 5000, "epochs": 5000}},
    "batch": 10000, "head_depth": "1..8 (width fixed)", "head_width": "50..200 (depth fixed)",
    "models_per_setting": 5, "regularisation": "none", "preprocessing": "subtract mean, divide by std",
    "note": "the learning rate and the fixed width / depth of each sweep did not survive the text",
}


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray  # (N, ...) float32, standardised
    y_train: np.ndarray  # (N,) int, class order not assumed
    x_test: np.ndarray
    y_test: np.ndarray
    K: int
    info: dict = field(default_factory=dict)


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        ndim = magic & 0xFF
        dims = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def _find(data_dir: Path, stem: str) -> Path:
    for cand in (data_dir / stem, data_dir / (stem + ".gz"), data_dir / "MNIST" / "raw" / stem,
                 data_dir / "MNIST" / "raw" / (stem + ".gz")):
        if cand.exists():
            return cand
    raise FileNotFoundError(f"{stem}(.gz) not found under {data_dir}")


def _stratified(x: np.ndarray, y: np.ndarray, per_class: int | None, rng: np.random.Generator):
    idx = []
    for c in np.unique(y):
        ids = np.nonzero(y == c)[0]
        rng.shuffle(ids)
        idx.append(ids if per_class is None else ids[:per_class])
    idx = np.concatenate(idx)
    return x[idx], y[idx], idx


def load_dataset(name: str, data_dir: str | Path | None = None, per_class: int | None = None, seed: int = 0,
                 test_per_class: int | None = None) -> Dataset:
    """Stratified, standardised data (see the module docstring); ``per_class`` training examples per class."""
    rng = np.random.default_rng(seed)
    if name == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        x, y = d.data.astype(np.float32), d.target.astype(np.int64)
        xtr, ytr, used = _stratified(x, y, per_class, rng)
        rest = np.setdiff1d(np.arange(len(y)), used)
        xte, yte = x[rest], y[rest]
        shape = (64,)
    elif name == "mnist":
        if data_dir is None:
            raise ValueError("mnist needs --data-dir with the four IDX files")
        dd = Path(data_dir)
        x = _read_idx(_find(dd, "train-images-idx3-ubyte")).astype(np.float32)[:, None] / 255.0
        y = _read_idx(_find(dd, "train-labels-idx1-ubyte")).astype(np.int64)
        xte = _read_idx(_find(dd, "t10k-images-idx3-ubyte")).astype(np.float32)[:, None] / 255.0
        yte = _read_idx(_find(dd, "t10k-labels-idx1-ubyte")).astype(np.int64)
        xtr, ytr, _ = _stratified(x, y, per_class, rng)
        shape = (1, 28, 28)
    elif name == "cifar10":
        if data_dir is None:
            raise ValueError("cifar10 needs --data-dir with cifar-10-batches-py")
        dd = Path(data_dir)
        dd = dd / "cifar-10-batches-py" if (dd / "cifar-10-batches-py").exists() else dd
        xs, ys = [], []
        for k in range(1, 6):
            with open(dd / f"data_batch_{k}", "rb") as f:
                b = pickle.load(f, encoding="bytes")
            xs.append(b[b"data"])
            ys.append(np.array(b[b"labels"]))
        with open(dd / "test_batch", "rb") as f:
            b = pickle.load(f, encoding="bytes")
        x = np.concatenate(xs).reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
        y = np.concatenate(ys).astype(np.int64)
        xte = b[b"data"].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
        yte = np.array(b[b"labels"], dtype=np.int64)
        xtr, ytr, _ = _stratified(x, y, per_class, rng)
        shape = (3, 32, 32)
    else:
        raise ValueError(f"unknown dataset {name!r} (digits, mnist, cifar10)")
    if test_per_class is not None:
        xte, yte, _ = _stratified(xte, yte, test_per_class, rng)
    axes = tuple(range(xtr.ndim)) if xtr.ndim == 2 else (0, 2, 3)
    mean = xtr.mean(axis=0 if xtr.ndim == 2 else axes, keepdims=True)
    std = xtr.std(axis=0 if xtr.ndim == 2 else axes, keepdims=True) + 1e-6
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    K = int(len(np.unique(ytr)))
    return Dataset(name, xtr.astype(np.float32), ytr, xte.astype(np.float32), yte, K,
                   {"train": int(len(ytr)), "test": int(len(yte)), "per_class": per_class, "input_shape": shape,
                    "split_seed": seed, "standardised": "training mean/std"})


def effective_rank_of_mean_logits(logits: np.ndarray, y: np.ndarray, K: int) -> float:
    """Eq. (60) on the centred K x K mean logit matrix (columns: class means of the logits)."""
    from . import metrics

    Zbar = np.stack([logits[y == c].mean(axis=0) for c in range(K)], axis=1)  # K x K
    return metrics.effective_rank(metrics.singular_values(metrics.centred(Zbar)), rel_floor=1e-8)


@dataclass(frozen=True)
class RunConfig:
    depth: int  # head layers: depth - 1 hidden ReLU layers of `width`, then the linear output layer
    width: int
    extractor: tuple[int, ...] = (64, 64)  # MLP extractor hidden sizes (ReLU after each)
    steps: int = 600
    step: str = "adaptive"  # "adaptive" (ρ) or "fixed" (lr)
    lr: float = 0.02
    checkpoint_fraction: float = 0.8  # erank also read here, for the convergence criterion
    dtype: str = "float64"
    threads: int | None = 1


def _batched_mlp_params(sizes: Sequence[int], B: int, seeds: Sequence[int], dtype):
    """He-initialised weights (B, fan_in, fan_out) and zero biases, one generator per member."""
    import torch

    Ws, bs = [], []
    for a, b in zip(sizes[:-1], sizes[1:]):
        w = np.stack([np.random.default_rng([s, a, b, len(Ws)]).standard_normal((a, b)) * math.sqrt(2.0 / a)
                      for s in seeds])
        Ws.append(torch.tensor(w, dtype=dtype, requires_grad=True))
        bs.append(torch.zeros((B, 1, b), dtype=dtype, requires_grad=True))
    return Ws, bs


def _forward(x, Ws, bs):
    import torch

    h = x
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = torch.baddbmm(b, h, W)
        if i < len(Ws) - 1:
            h = torch.relu(h)
    return h


def train_mlp_batch(data: Dataset, cfg: RunConfig, seeds: Sequence[int]) -> dict:
    """Train len(seeds) MLP-extractor + ReLU-head networks together on the full training set."""
    import torch

    from .trainer import batched_log_loss

    t0 = time.perf_counter()
    dt = {"float32": torch.float32, "float64": torch.float64}[cfg.dtype]
    old = torch.get_num_threads()
    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    try:
        B = len(seeds)
        x = torch.tensor(data.x_train.reshape(len(data.y_train), -1), dtype=dt).expand(B, -1, -1)
        y = torch.as_tensor(data.y_train)
        xt = torch.tensor(data.x_test.reshape(len(data.y_test), -1), dtype=dt).expand(B, -1, -1)
        sizes = [x.shape[-1], *cfg.extractor] + [cfg.width] * (cfg.depth - 1) + [data.K]
        Ws, bs = _batched_mlp_params(sizes, B, seeds, dt)
        params = Ws + bs
        ck = int(cfg.checkpoint_fraction * cfg.steps)
        erank_ck = None
        for k in range(cfg.steps + 1):
            out = _forward(x, Ws, bs)  # (B, N, K)
            log_ce = batched_log_loss(out.transpose(1, 2), y)  # log of the summed cross-entropy, no underflow
            if not bool(torch.all(torch.isfinite(log_ce))):
                raise FloatingPointError(f"non-finite loss at step {k} (step {cfg.step}, lr={cfg.lr}): lower the step")
            if k == ck or k == cfg.steps:
                with torch.no_grad():
                    er = [effective_rank_of_mean_logits(out[b].double().numpy(), data.y_train, data.K) for b in range(B)]
                if k == ck:
                    erank_ck = er
            if k == cfg.steps:
                break
            obj = log_ce.sum() if cfg.step == "adaptive" else torch.exp(log_ce).sum()
            grads = torch.autograd.grad(obj, params)
            with torch.no_grad():
                if cfg.step == "adaptive":
                    gsq = sum(torch.sum(g * g, dim=(1, 2)) for g in grads)
                    psq = sum(torch.sum(p * p, dim=(1, 2)) for p in params)
                    eta = cfg.lr * torch.sqrt(psq / torch.clamp(gsq, min=1e-30))
                else:
                    eta = torch.full((B,), cfg.lr, dtype=dt)
                for p, g in zip(params, grads):
                    p -= eta[:, None, None] * g
        with torch.no_grad():
            out_t = _forward(xt, Ws, bs)
            train_acc = (out.argmax(2) == y).double().mean(1).numpy()
            test_acc = (out_t.argmax(2) == torch.as_tensor(data.y_test)).double().mean(1).numpy()
            loss = log_ce.double().numpy()
            test_logits = out_t.double().numpy()
    finally:
        torch.set_num_threads(old)
    return {"seeds": list(seeds), "config": asdict(cfg), "erank": er, "erank_checkpoint": erank_ck,
            "train_accuracy": train_acc.tolist(), "test_accuracy": test_acc.tolist(), "final_log_loss": loss.tolist(),
            "test_logits": test_logits, "wall_s": time.perf_counter() - t0}


# --------------------------------------------------------------------------- the paper's model (GPU)
def _resnet20(K: int, in_ch: int, depth: int, width: int):
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.b1 = nn.BatchNorm2d(cout)
            self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.b2 = nn.BatchNorm2d(cout)
            self.short = (nn.Sequential() if stride == 1 and cin == cout else
                          nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

        def forward(self, x):
            h = torch.relu(self.b1(self.c1(x)))
            return torch.relu(self.b2(self.c2(h)) + self.short(x))

    layers = [nn.Conv2d(in_ch, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(3):
            layers.append(Block(cin, cout, stride if i == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    head, f = [], 64
    for _ in range(depth - 1):
        head += [nn.Linear(f, width), nn.ReLU()]
        f = width
    head.append(nn.Linear(f, K))
    return nn.Sequential(*layers, *head)


def train_resnet(data: Dataset, depth: int, width: int, seed: int, epochs: int, lr: float, batch: int,
                 device: str = "cuda") -> dict:
    """One ResNet-20 + ReLU-head model, mini-batch GD with the paper's batch (10000: full-batch-like)."""
    import torch

    torch.manual_seed(seed)
    model = _resnet20(data.K, data.x_train.shape[1], depth, width).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0, weight_decay=0.0)
    x = torch.tensor(data.x_train, device=device)
    y = torch.as_tensor(data.y_train, device=device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(y), device=device)
        for i in range(0, len(y), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx], reduction="sum") / len(idx)
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        out = torch.cat([model(x[i:i + batch]) for i in range(0, len(y), batch)]).double().cpu().numpy()
        xt = torch.tensor(data.x_test, device=device)
        out_t = torch.cat([model(xt[i:i + batch]) for i in range(0, len(xt), batch)]).double().cpu().numpy()
    return {"depth": depth, "width": width, "seed": seed, "epochs": epochs, "lr": lr, "batch": batch,
            "erank": effective_rank_of_mean_logits(out, data.y_train, data.K),
            "train_accuracy": float((out.argmax(1) == data.y_train).mean()),
            "test_accuracy": float((out_t.argmax(1) == data.y_test).mean()), "wall_s": time.perf_counter() - t0}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m torch_check.realnet",
                                description="E-6 sweeps: effective rank vs head depth / width on real data")
    p.add_argument("--dataset", default="digits", choices=("digits", "mnist", "cifar10"))
    p.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files or cifar-10-batches-py")
    p.add_argument("--model", default="mlp", choices=("mlp", "resnet20"))
    p.add_argument("--per-class", type=int, default=None, help="training examples per class (paper: 5000)")
    p.add_argument("--depths", default="1,2,3,4,5,6,7,8")
    p.add_argument("--widths", default="50,100,150,200")
    p.add_argument("--fixed-width", type=int, default=100)
    p.add_argument("--fixed-depth", type=int, default=4)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=None, help="resnet20: epochs (paper: 4000 MNIST, 5000 CIFAR-10)")
    p.add_argument("--steps", type=int, default=1500, help="mlp: full-batch steps")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--batch", type=int, default=10000)
    p.add_argument("--device", default="cuda")
    p.add_argument("--out", default="e6_results.json")
    a = p.parse_args(argv)
    data = load_dataset(a.dataset, a.data_dir, a.per_class)
    depths = [int(v) for v in a.depths.split(",")]
    widths = [int(v) for v in a.widths.split(",")]
    settings = [(d, a.fixed_width) for d in depths] + [(a.fixed_depth, w) for w in widths]
    rows = []
    for depth, width in settings:
        if a.model == "mlp":
            r = train_mlp_batch(data, RunConfig(depth=depth, width=width, steps=a.steps, lr=a.lr or 0.02),
                                list(range(a.seeds)))
            for s, e, acc in zip(r["seeds"], r["erank"], r["test_accuracy"]):
                rows.append({"depth": depth, "width": width, "seed": s, "erank": e, "test_accuracy": acc})
        else:
            epochs = a.epochs or PAPER_CONFIG["datasets"].get(a.dataset, {"epochs": 100})["epochs"]
            for s in range(a.seeds):
                rows.append(train_resnet(data, depth, width, s, epochs, a.lr or 0.01, a.batch, a.device))
        print(json.dumps(rows[-1]))
    Path(a.out).write_text(json.dumps({"dataset": data.info | {"name": a.dataset}, "paper_config": PAPER_CONFIG,
                                       "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
