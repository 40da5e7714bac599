"""Benchmark: Jacobian-vector products of the reduced flow via the fast transform.

Prints the time of one JVP ``J w`` (numerics.reduced_jacobian.scaled_rhs_jvp) at
K = 2^16 (target < 100 ms), and, at a smaller K where a dense Jacobian fits, the
ratio of a dense product ``J @ w`` (J built column by column from JVPs, not
timed) to the JVP, and the cost of building J densely.  Also checks that the two
agree.  Run: ``python benchmarks/bench_reduced_jvp.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from numerics.reduced_jacobian import dense_rhs_jacobian, scaled_rhs_jvp, tangent_spectrum  # noqa: E402


def best_of(fn, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    L = 3
    K = 2**16
    lam = rng.uniform(0.5, 3.0, K - 1) * K / 8
    w = rng.standard_normal(K - 1)
    t_jvp = best_of(lambda: scaled_rhs_jvp(lam, w, L))
    print(f"JVP at K = 2^16: {1e3 * t_jvp:.1f} ms (target < 100 ms)  {'OK' if t_jvp < 0.1 else 'SLOW'}")
    t_spec = best_of(lambda: tangent_spectrum(np.full(K - 1, 0.3 * K), L, symmetric=True, ends=("max",)), repeats=2)
    print(f"largest tangent eigenvalue at λ ≡ 0.3 K, K = 2^16 (Lanczos via JVPs): {t_spec:.2f} s")
    for Ks in (2**10, 2**12):
        lam_s = rng.uniform(0.5, 3.0, Ks - 1)
        w_s = rng.standard_normal(Ks - 1)
        t0 = time.perf_counter()
        J, ell = dense_rhs_jacobian(lam_s, L)
        t_build = time.perf_counter() - t0
        t_dense = best_of(lambda: J @ w_s)
        t_small = best_of(lambda: scaled_rhs_jvp(lam_s, w_s, L))
        jw, ell2 = scaled_rhs_jvp(lam_s, w_s, L)
        err = float(np.max(np.abs(J @ w_s - jw)) / np.max(np.abs(jw)))
        print(f"K = {Ks}: dense J@w {1e3 * t_dense:.3f} ms, JVP {1e3 * t_small:.3f} ms, ratio dense/JVP = {t_dense / t_small:.2f}; "
              f"building J densely {t_build:.2f} s = {t_build / t_small:.0f} JVPs; rel. difference {err:.1e}")


if __name__ == "__main__":
    main()
