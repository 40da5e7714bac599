"""Offline grid search of (P_L), n = 1, for X-PD: writes the best point of every cell as exact rationals.

    nice -n 10 python benchmarks/x_pd_grid_search.py --K 3 4 5 --L 1 2 3 --out /tmp/xpd/part.json
    python benchmarks/x_pd_grid_search.py --merge /tmp/xpd/part*.json --out theorems/beyond/x_pd_grid.json

Per K: the structured starts of numerics.pl_search (one Tammes-code draw per K), polished at the depths
STRUCTURED_AT, then L ascending with the best point of (K, L-1) as an extra start, then L descending with the best point of (K, L+1) as an
extra start (continuation both ways), plus ``--random`` random rank-2..4 starts per cell per pass.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
from pathlib import Path

import numpy as np

from numerics.landscape import known_constructions, schatten_pl_value
from numerics.pl_search import (numerical_rank, rational_factors, search_cell, structured_starts,
                                symmetry_order)

SYMMETRY_TOL = 1e-6
# the structured starts are polished at these depths (and at the first depth of a pass); every other cell
# starts from its neighbours (continuation in L, both directions) and random starts -- a CPU budget choice
STRUCTURED_AT = (1, 2, 3, 4, 6, 8, 10)


def family_of(start: str) -> str:
    """The family a start belongs to: its name without layer heights, continuation prefixes stripped."""
    while start.startswith("continuation"):
        start = start.split(":", 1)[1]
    return re.sub(r"\(h=[0-9.]+\)", "", start)


def cell_record(res, K: int, L: int, seed: int, starts_tried: int, passes: int, seconds: float) -> dict:
    Z = res.Zbar
    A, B = rational_factors(Z)
    s = np.linalg.svd(Z, compute_uv=False)
    r = numerical_rank(Z)
    known = {n: schatten_pl_value(C, L) for n, C in known_constructions(K).items()}
    same_as = [n for n, v in known.items() if abs(v - res.value) <= 1e-9 * v]
    return {
        "K": K, "L": L, "objective_float": res.value, "rank": r,
        "singular_values": [float(x) for x in s[:r]],
        "symmetry_order": symmetry_order(Z, SYMMETRY_TOL), "symmetry_tol": SYMMETRY_TOL,
        "family": same_as[0] if same_as else family_of(res.start), "best_start": res.start,
        "A": [[str(x) for x in row] for row in A], "B": [[str(x) for x in row] for row in B],
        "provenance": {"seed": seed, "starts_tried": starts_tried, "random_starts_per_pass": res.random_starts,
                       "passes": passes, "structured_starts_at_this_L": L in STRUCTURED_AT, "best_random_start_value": res.best_random_value,
                       "seconds": round(seconds, 2), "machine": platform.machine()},
    }


def run(Ks, Ls, seed: int, n_random: int, save=None) -> list[dict]:
    out = []
    for K in Ks:
        rng = np.random.default_rng([seed, K])
        t0 = time.time()
        starts = structured_starts(K, rng)
        best: dict[int, object] = {}
        tried: dict[int, int] = {L: 0 for L in Ls}
        spent: dict[int, float] = {L: 0.0 for L in Ls}
        for order in (sorted(Ls), sorted(Ls, reverse=True)):
            prev = None
            for L in order:
                t = time.time()
                extra = [] if prev is None else [(f"continuation_L{prev}:{best[prev].start}", best[prev].Zbar)]
                structured = L not in best and (L in STRUCTURED_AT or prev is None)
                pool = (starts if structured else []) + extra
                if L in best:
                    pool.append((f"incumbent:{best[L].start}", best[L].Zbar))
                res = search_cell(K, L, pool, rng, n_random)
                tried[L] += len(pool) + n_random
                if L not in best or res.value < best[L].value * (1 - 1e-10):
                    if res.start.startswith("incumbent:"):
                        res.start = best[L].start
                    best[L] = res
                spent[L] += time.time() - t
                prev = L
        for L in sorted(Ls):
            out.append(cell_record(best[L], K, L, seed, tried[L], 2, spent[L]))
        print(f"K={K} done in {time.time() - t0:.0f}s: " +
              ", ".join(f"L{L}:{best[L].value:.5f}/{family_of(best[L].start)}" for L in sorted(Ls)), flush=True)
        if save is not None:
            save(out)  # after every K, so that a stopped run keeps what it finished
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--K", type=int, nargs="*", default=list(range(3, 13)))
    ap.add_argument("--L", type=int, nargs="*", default=list(range(1, 11)))
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--random", type=int, default=2)
    ap.add_argument("--out", required=True)
    ap.add_argument("--merge", nargs="*")
    a = ap.parse_args()
    about = ("X-PD grid: the best (P_L) point found (n = 1) in every cell, as exact rational factors Zbar = A B "
             "(A: K x r, B: r x K, smallest margin exactly 1), by benchmarks/x_pd_grid_search.py "
             "(numerics.pl_search: structured starts, continuation in L both ways, random rank-2..4 starts). "
             "Best known (numerical), never proved optimal.")

    def save(cells):
        Path(a.out).write_text(json.dumps({"about": about, "cells": cells}, indent=1))

    if a.merge:
        cells = [c for f in a.merge for c in json.loads(Path(f).read_text())["cells"]]
        cells.sort(key=lambda c: (c["K"], c["L"]))
        save(cells)
    else:
        run(a.K, a.L, a.seed, a.random, save)


if __name__ == "__main__":
    main()
