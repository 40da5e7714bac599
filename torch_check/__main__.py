"""``python -m torch_check``: run the experiment sweeps of App. E and save every run.

    python -m torch_check --scale ci                 # the CPU-small sizes the registry checks use
    python -m torch_check --scale paper --out runs/  # paper-sized sweeps, meant for a GPU
    python -m torch_check --scale paper --only depth hadamard_depth --device cuda

Each sweep point is one batched model (all its seeds at once); its logs go to
``<out>/<sweep>/<point>.npz`` with the configuration in ``<point>.json``, and a summary
table (mean ± std of the final effective rank and normalised margin) is printed.
The device is CUDA when available, else CPU (``--device`` overrides).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from .inits import alternating_lambda, random_lambda, uniform_lambda
from .trainer import (
    TrainConfig,
    balanced_hadamard_s,
    factors_from_logits,
    gaussian_factors,
    hadamard_factors,
    pick_device,
    train,
)

# sweep name -> scale -> parameters.  "ci" mirrors the registry checks; "paper" is GPU-sized.
SWEEPS: dict[str, dict[str, dict]] = {
    "depth": {  # E-2
        "ci": dict(K=8, d=32, Ls=(1, 2, 4, 6), scale=0.5, seeds=5, rho=3e-3, floor=math.log(1e-6), steps=6000),
        "paper": dict(K=10, d=256, Ls=(1, 2, 3, 4, 5, 6, 8), scale=0.5, seeds=5, rho=1e-3, floor=-100.0, steps=60000),
    },
    "width": {  # E-5
        "ci": dict(K=8, L=4, ds=(8, 32, 128), scale=0.5, seeds=5, rho=3e-3, floor=math.log(1e-6), steps=6000),
        "paper": dict(K=10, L=4, ds=(16, 32, 64, 128, 256, 512, 1024), scale=0.5, seeds=5, rho=1e-3,
                      floor=-100.0, steps=60000),
    },
    "hadamard_depth": {  # E-9 (i)
        "ci": dict(K=16, Ls=(1, 2, 4, 8), scale=0.1, seeds=4, rho=3e-3, floor=-50.0, steps=8000),
        "paper": dict(K=64, Ls=(1, 2, 3, 4, 6, 8, 12, 16), scale=0.1, seeds=5, rho=1e-3, floor=-200.0, steps=80000),
    },
    "hadamard_scale": {  # E-9 (ii)
        "ci": dict(K=16, L=4, scales=(0.01, 0.1, 1.0, 10.0), seeds=4, rho=3e-3, floor=-50.0, steps=8000),
        "paper": dict(K=64, L=4, scales=(0.001, 0.01, 0.1, 1.0, 10.0, 100.0), seeds=5, rho=1e-3, floor=-200.0,
                      steps=80000),
    },
    "rich_get_richer": {  # E-4
        "ci": dict(K=16, Ls=(1, 3), eps=1e-3, jitter=0.1, seeds=4, rho=3e-3, steps=8000),
        "paper": dict(K=64, Ls=(1, 2, 3, 6), eps=1e-4, jitter=0.1, seeds=5, rho=1e-3, steps=80000),
    },
    "alternating": {  # E-10
        "ci": dict(K=8, Ls=(3,), a=1.0, ratio=4.0, rho=3e-3, floor=-200.0, steps=8000),
        "paper": dict(K=32, Ls=(2, 3, 5, 8), a=1.0, ratio=4.0, rho=1e-3, floor=-2000.0, steps=100000),
    },
    "rank2": {  # E-3
        "ci": dict(Ks=(6,), L=8, d=4, seeds=4, rho=1e-3, floor=-1e5, steps=5000),
        "paper": dict(Ks=(5, 6, 7, 8, 10, 12), L=16, d=8, seeds=5, rho=3e-4, floor=-1e7, steps=100000),
    },
}


def _points(name: str, p: dict):
    """(label, TrainConfig kwargs, list of initial factor lists, seeds) for every sweep point."""
    if name == "depth":
        for L in p["Ls"]:
            seeds = list(range(p["seeds"]))
            yield f"L{L}", dict(K=p["K"], n=1, d=p["d"], L=L), \
                [gaussian_factors(p["K"], 1, p["d"], L, p["scale"], 1000 * L + s) for s in seeds], seeds
    elif name == "width":
        for d in p["ds"]:
            seeds = list(range(p["seeds"]))
            yield f"d{d}", dict(K=p["K"], n=1, d=d, L=p["L"]), \
                [gaussian_factors(p["K"], 1, d, p["L"], p["scale"], 1000 * d + s) for s in seeds], seeds
    elif name in ("hadamard_depth", "hadamard_scale"):
        grid = [(L, p["scale"]) for L in p["Ls"]] if name == "hadamard_depth" else [(p["L"], s) for s in p["scales"]]
        for L, scale in grid:
            seeds = list(range(p["seeds"]))
            lams = [random_lambda(p["K"], scale, np.random.default_rng(s)) for s in seeds]
            yield f"L{L}_s{scale:g}", dict(K=p["K"], n=1, d=p["K"], L=L), \
                [hadamard_factors(balanced_hadamard_s(lam, L, 1), 1, p["K"], s) for s, lam in zip(seeds, lams)], seeds
    elif name == "rich_get_richer":
        for L in p["Ls"]:
            seeds = list(range(p["seeds"]))
            lams = [uniform_lambda(p["K"], p["eps"], p["jitter"], np.random.default_rng(s)) for s in seeds]
            yield f"L{L}", dict(K=p["K"], n=1, d=p["K"], L=L), \
                [hadamard_factors(balanced_hadamard_s(lam, L, 1), 1, p["K"], s) for s, lam in zip(seeds, lams)], seeds
    elif name == "alternating":
        for L in p["Ls"]:
            lam = alternating_lambda(p["K"], p["a"], p["a"] / p["ratio"])
            yield f"L{L}", dict(K=p["K"], n=1, d=p["K"], L=L), \
                [hadamard_factors(balanced_hadamard_s(lam, L, 1), 1, p["K"], 0)], [0]
    elif name == "rank2":
        for K in p["Ks"]:
            seeds = list(range(p["seeds"]))
            init = []
            for s in seeds:
                rng = np.random.default_rng(s)
                Z0 = rng.standard_normal((K, 2)) @ rng.standard_normal((2, K))
                init.append(factors_from_logits(3.0 * Z0 / np.linalg.norm(Z0), p["L"], p["d"], s))
            yield f"K{K}", dict(K=K, n=1, d=p["d"], L=p["L"]), init, seeds
    else:
        raise ValueError(f"unknown sweep {name!r}")


def run_sweep(name: str, scale: str, out: Path, device: str | None, progress: bool) -> list[dict]:
    p = SWEEPS[name][scale]
    rows = []
    for label, sizes, init, seeds in _points(name, p):
        floor = p.get("floor", 0.0 if name == "rich_get_richer" else None)
        cfg = TrainConfig(**sizes, steps=p["steps"], step="adaptive", lr=p["rho"], log_loss_floor=floor,
                          log_every=max(1, p["steps"] // 200), device=device, progress=progress)
        r = train(cfg, init, seeds)
        r.save(out / name / label, extra={"sweep": name, "scale": scale, "parameters": p})
        er, gm = r.final("effective_rank"), r.final("normalised_margin")
        rows.append({"sweep": name, "point": label, "erank_mean": float(er.mean()), "erank_std": float(er.std()),
                     "margin_mean": float(gm.mean()), "steps": int(r.steps[-1]), "wall_s": r.wall_s})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m torch_check", description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=("ci", "paper"), default="ci")
    ap.add_argument("--only", nargs="+", choices=sorted(SWEEPS), help="sweeps to run (default: all)")
    ap.add_argument("--out", default="torch_check_runs", help="output folder (npz + json per sweep point)")
    ap.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: CUDA when available)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    device = str(pick_device(args.device))
    out = Path(args.out)
    rows = []
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"torch_check: scale {args.scale}, device {device}, output {out}")
    for name in args.only or sorted(SWEEPS):
        rows += run_sweep(name, args.scale, out, device, not args.no_progress)
    table = Table(title=f"torch_check sweeps ({args.scale})")
    for col in ("sweep", "point", "erank (mean ± std)", "normalised margin", "steps", "wall s"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["sweep"], r["point"], f"{r['erank_mean']:.3f} ± {r['erank_std']:.3f}",
                      f"{r['margin_mean']:.4f}", str(r["steps"]), f"{r['wall_s']:.1f}")
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
