"""Batched vs sequential training of the deep UFM, and steps per second.

Reference configuration (issue 5): K = 16, d = 64, L = 6, n = 1, float64, fixed steps.
Prints, per device (CPU; CUDA when available):
  - wall time of 8 sequential single-seed runs and of one batched run of the 8 seeds,
    and their ratio (target >= 3x on CPU);
  - steps/s of the batched run and of one single-seed run.

Run:  python benchmarks/bench_torch_batched.py [--steps 200] [--seeds 8] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import time

import torch

from torch_check.trainer import TrainConfig, gaussian_factors, train


def timed(cfg: TrainConfig, inits) -> float:
    t0 = time.perf_counter()
    train(cfg, inits, with_metrics=False)
    if cfg.device and cfg.device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def bench(device: str, steps: int, seeds: int, K: int = 16, d: int = 64, L: int = 6, n: int = 1) -> dict:
    cfg = TrainConfig(K=K, n=n, d=d, L=L, steps=steps, step="fixed", lr=1e-3, device=device)
    inits = [gaussian_factors(K, n, d, L, 1.0, s) for s in range(seeds)]
    timed(TrainConfig(K=K, n=n, d=d, L=L, steps=5, lr=1e-3, device=device), inits[:1])  # warm-up
    sequential = sum(timed(cfg, [init]) for init in inits)
    batched = timed(cfg, inits)
    return {"device": device, "sequential_s": sequential, "batched_s": batched, "ratio": sequential / batched,
            "batched_steps_per_s": steps / batched, "single_steps_per_s": steps * seeds / sequential,
            "member_steps_per_s": steps * seeds / batched}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--device", default=None, help="cpu, cuda (default: cpu, plus cuda when available)")
    args = ap.parse_args()
    devices = [args.device] if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"deep UFM K=16, d=64, L=6, n=1, float64, {args.steps} fixed steps, {args.seeds} seeds; torch {torch.__version__}")
    for dev in devices:
        r = bench(dev, args.steps, args.seeds)
        print(f"[{dev}] {args.seeds} sequential runs: {r['sequential_s']:.3f} s | one batched run: {r['batched_s']:.3f} s "
              f"| ratio {r['ratio']:.2f}x (target >= 3x)")
        print(f"[{dev}] steps/s: batched model {r['batched_steps_per_s']:.1f} ({r['member_steps_per_s']:.1f} member-steps/s), "
              f"single-seed model {r['single_steps_per_s']:.1f}")


if __name__ == "__main__":
    main()
