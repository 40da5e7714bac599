"""Speed of the certified T3.1 threshold table (K <= 10^4, L <= 10^3): prints times and ratios.

    python benchmarks/bench_threshold_table.py

Target (issue 3): the certified table in under 30 s.  The check decides each row L by an
exact integer bisection for the crossing k*(L) (monotone in k, proved symbolically) and an
arb ball for the claimed threshold's real crossing; the naive route decides every one of
the 10^7 cells with big-integer powers.  The naive time is extrapolated from a random sample.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from numerics.constructions import even_form_crossing, even_form_holds
from numerics.intervals import arb, exact, working_precision

K_MAX, L_MAX = 10**4, 10**3


def rows_exact() -> dict:
    return {L: even_form_crossing(L, K_MAX) for L in range(1, L_MAX + 1)}


def rows_arb() -> dict:
    out = {}
    with working_precision(128):
        for L in range(1, L_MAX + 1):
            if L == 1:
                out[L] = None
                continue
            x = 1 / (1 - arb(2) ** exact(Fraction(1 - L, 1 + L)))
            out[L] = int(x.floor().unique_fmpz()) + 1
    return out


def main() -> None:
    t0 = time.perf_counter()
    ex = rows_exact()
    t_rows = time.perf_counter() - t0
    t0 = time.perf_counter()
    ab = rows_arb()
    t_arb = time.perf_counter() - t0
    agree = all((ex[L] is None and ab[L] is None) or ex[L] == max(3, ab[L] or 0) for L in ex)
    rng = np.random.default_rng(0)
    sample = [(int(rng.integers(3, K_MAX + 1)), int(rng.integers(1, L_MAX + 1))) for _ in range(3000)]
    t0 = time.perf_counter()
    naive = [even_form_holds(K, L) for K, L in sample]
    t_sample = time.perf_counter() - t0
    cells = (K_MAX - 2) * L_MAX
    t_naive = t_sample / len(sample) * cells
    consistent = all(v == (ex[L] is not None and K >= ex[L]) for v, (K, L) in zip(naive, sample))
    print(f"exact integer rows (bisection): {t_rows:7.3f} s   arb rows: {t_arb:7.3f} s   rows agree: {agree}")
    print(f"naive exact per cell (extrapolated from {len(sample)} cells): {t_naive:9.1f} s for {cells:.2e} cells; "
          f"sample consistent with rows: {consistent}")
    print(f"ratio naive / rows = {t_naive / (t_rows + t_arb):8.0f}x   (target: certified table < 30 s)")


if __name__ == "__main__":
    main()
