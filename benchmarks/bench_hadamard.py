"""Speed of the Hadamard core: prints times and ratios (no assertions; see the README targets).

    python benchmarks/bench_hadamard.py

Targets (issue 2): the fast transform >= 20x faster than a dense Hadamard product at
K = 2^12; the reduced-flow right-hand side at K = 2^16 in under 50 ms.
"""

from __future__ import annotations

import timeit

import numpy as np

from numerics.hadamard import fwht, sylvester
from numerics.reduced_flow import reduced_rhs


def best_of(fn, repeat: int = 7, number: int = 3) -> float:
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number


def main() -> None:
    rng = np.random.default_rng(0)
    K = 2**12
    x = rng.standard_normal(K)
    H = sylvester(K).astype(float)  # built once, outside the timing
    t_fast = best_of(lambda: fwht(x))
    t_dense = best_of(lambda: H @ x)
    print(f"K = 2^12  single vector: fwht {t_fast * 1e6:9.1f} us   dense H @ x {t_dense * 1e6:9.1f} us   "
          f"ratio dense/fast = {t_dense / t_fast:6.1f}x (target >= 20x)")
    X = rng.standard_normal((K, 64))
    t_fast_b = best_of(lambda: fwht(X, axis=0), repeat=5, number=1)
    t_dense_b = best_of(lambda: H @ X, repeat=5, number=1)
    print(f"K = 2^12  64 vectors:    fwht {t_fast_b * 1e3:9.2f} ms   dense H @ X {t_dense_b * 1e3:9.2f} ms   "
          f"ratio dense/fast = {t_dense_b / t_fast_b:6.1f}x")
    for m in (12, 16, 20):
        lam = rng.uniform(0.0, 5.0, 2**m - 1)
        t = best_of(lambda: reduced_rhs(lam, 3), repeat=5, number=2)
        note = "   (target < 50 ms)" if m == 16 else ""
        print(f"reduced-flow RHS  K = 2^{m}: {t * 1e3:8.2f} ms{note}")


if __name__ == "__main__":
    main()
