"""T4.3, shared pieces: the statement and its wrong variants, the points and vectors, root finding, figures."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

# --------------------------------------------------------------------------- statements
Ks, Ls, As = sp.symbols("K L a", positive=True)

#: DNC stability thresholds in a (the claim and two wrong variants).
DNC_THRESHOLDS: dict[str, sp.Expr] = {
    "K(L-1)/(L+1)": Ks * (Ls - 1) / (Ls + 1),
    "KL/(L+1)": Ks * Ls / (Ls + 1),
    "K(L-1)/L": Ks * (Ls - 1) / Ls,
}

#: the right-hand side g(a) of the cross-polytope threshold equation a = g(a).
CP_EQUATIONS: dict[str, sp.Expr] = {
    "claimed": (Ls - 1) / (Ls + 1) * (Ks - 2 + 2 * sp.exp(-As / 2)),
    "sufficient_as_exact": (Ls - 1) / (Ls + 1) * Ks,  # the sufficient bound K(L-1)/(L+1) claimed to be exact
    "exp_minus_a": (Ls - 1) / (Ls + 1) * (Ks - 2 + 2 * sp.exp(-As)),
}

#: exponent e in the sufficient KL ratio condition a/b > (K/(K-2))^e.
KL_EXPONENTS: dict[str, sp.Expr] = {
    "(L+1)/(L-1)": (Ls + 1) / (Ls - 1),
    "(L-1)/(L+1)": (Ls - 1) / (Ls + 1),  # the exponent flipped
}


def dnc_threshold(K: int, L: int, name: str) -> Fraction:
    v = DNC_THRESHOLDS[name].subs({Ks: K, Ls: L})
    return Fraction(int(sp.numer(v)), int(sp.denom(v)))


def cp_threshold_mp(K: int, L: int, equation: str) -> mpmath.mpf:
    """Root of ``a = g(a)`` (unique: a - g(a) is increasing for these g), at the current mpmath precision."""
    g = sp.lambdify(As, CP_EQUATIONS[equation].subs({Ks: K, Ls: L}), "mpmath")
    if L == 1:
        return mpmath.mpf(0)
    return _bracketed_root_mp(lambda a: a - g(a), 0, K)  # a - g(a): -g(0) < 0 at 0, > 0 at K


def cp_threshold_float(K: int, L: int, equation: str) -> float:
    with mpmath.workdps(30):
        return float(cp_threshold_mp(K, L, equation))


# --------------------------------------------------------------------------- the derived tangent eigenvalues
# (used to check the *values* the sign checks rely on; derivations in the package docstring and L-D.8/L-D.9)
def dnc_one_minus_psi(K: int, a, exp):
    """1 - ψ* at λ ≡ a: every E_i = e^{-a}, so 1 - ψ* = K e^{-a} / (1 + (K-1) e^{-a})."""
    e = exp(-a)
    return K * e / (1 + (K - 1) * e)


def dnc_tangent_eigenvalue(K: int, L: int, a, one_minus_psi_star, c=None):
    """μ = (1 - ψ*) a^{β-1} (β - 1 - a/K), the only eigenvalue of G on 1^⊥ at λ ≡ a (c = β - 1 = (L-1)/(L+1))."""
    c = (L - 1) / (L + 1) if c is None else c
    return one_minus_psi_star * a**c * (c - a / K)


def cp_one_minus_psi(K: int, a, exp) -> tuple:
    """(1 - p, 1 - q) = (1 - ψ_odd, 1 - ψ_even) at λ = a v (L-D.8 with b = 0)."""
    x = exp(-a / 2)
    D = 1 + x * x + (K - 2) * x
    return 2 * (x * x + (K / 2 - 1) * x) / D, K * x / D


def cp_tangent_eigenvalues(K: int, L: int, a, omp_p, omp_q, c=None) -> tuple:
    """(μ_odd, μ_even) of G at λ = a v: μ_odd = a^{β-1}[(β-1)(1-p) - a(1-q)/K] on odd modes with Σ = 0;
    μ_even = -(1-p) a^{β-1} for L >= 2 (λ^β kills the even modes' own growth), (1-q) - (1-p) for L = 1."""
    c = (L - 1) / (L + 1) if c is None else c
    odd = a**c * (c * omp_p - a * omp_q / K)
    even = -omp_p * a**c if L >= 2 else omp_q - omp_p
    return odd, even


def dnc_point(K: int, a) -> list:
    return [a] * (K - 1)


def cp_point(K: int, a, zero=0) -> list:
    return [a if k % 2 == 1 else zero for k in range(1, K)]


def _unit(K: int, k: int, sign=1) -> list:
    w = [0] * (K - 1)
    w[k - 1] = sign
    return w


def _diff_vec(K: int, i: int, j: int) -> list:
    """e_i - e_j on modes 1..K-1 (tangent at λ ≡ a when any i≠j; at a v when both odd)."""
    w = [0] * (K - 1)
    w[i - 1], w[j - 1] = 1, -1
    return w


def _bracketed_root_mp(f, lo, hi) -> mpmath.mpf:
    """Root of f in [lo, hi] (a sign change) by the Illinois (modified regula falsi) method, which keeps the
    bracket; iterated with 10 guard digits until the bracket is below 10^-(dps - 5) relative (1e-45 at 50 digits)."""
    tol = mpmath.mpf(10) ** -(mpmath.mp.dps - 5)
    with mpmath.workdps(mpmath.mp.dps + 10):
        a, b = mpmath.mpf(lo), mpmath.mpf(hi)
        fa, fb = f(a), f(b)
        if (fa > 0) == (fb > 0):
            raise ArithmeticError(f"no sign change in [{lo}, {hi}]")
        side = 0
        for _ in range(400):
            c = (a * fb - b * fa) / (fb - fa)
            fc = f(c)
            if (fc > 0) == (fb > 0):
                b, fb = c, fc
                if side == -1:
                    fa /= 2
                side = -1
            else:
                a, fa = c, fc
                if side == 1:
                    fb /= 2
                side = 1
            if abs(b - a) <= tol * abs(c) or fc == 0:
                return +c
    raise ArithmeticError(f"Illinois iteration did not converge in [{lo}, {hi}]")


#: mpmath precision and the bracketing grid of the *_mp50 checks: n points geometric in [lo, hi_per_K x K]
MP_DPS = 50
BRACKET = {"lo": 1e-3, "hi_per_K": 4.0, "n": 48}
MP_TOL = 1e-40


def _bracket_sign_change(f, lo: float, hi: float, n: int = BRACKET["n"]):
    """First sign change of f on a geometric grid of [lo, hi]: (a_minus, a_plus) or None."""
    grid = np.geomspace(lo, hi, n)
    prev_a, prev_v = grid[0], f(grid[0])
    for a in grid[1:]:
        v = f(a)
        if (prev_v > 0) != (v > 0):
            return prev_a, a, prev_v, v
        prev_a, prev_v = a, v
    return None



def _draw_thresholds(fig, records: dict, kind: str) -> None:
    ax = fig.add_subplot(111)
    by_K: dict[int, list] = {}
    for key, r in records.items():
        K, L = (int(x.split("=")[1]) for x in key.split(","))
        by_K.setdefault(K, []).append((L, r))
    for K, rows in sorted(by_K.items()):
        rows.sort()
        Lgrid = np.arange(1, max(L for L, _ in rows) + 1)
        if kind == "dnc":
            line = ax.plot(Lgrid, K * (Lgrid - 1) / (Lgrid + 1), label=f"K={K}: K(L-1)/(L+1)")[0]
            ax.plot([L for L, _ in rows], [float(r["dnc_threshold_numeric"]) for _, r in rows], "o",
                    color=line.get_color(), mfc="none")
        else:
            line = ax.plot([L for L, _ in rows], [float(r["cp_threshold"]) for _, r in rows], label=f"K={K}: a_cp")[0]
            ax.plot([L for L, _ in rows], [float(r["cp_threshold_numeric"]) for _, r in rows], "o",
                    color=line.get_color(), mfc="none")
            ax.plot(Lgrid, K * (Lgrid - 1) / (Lgrid + 1), ":", color=line.get_color())
    ax.set_xlabel("L (weight matrices)")
    ax.set_ylabel("threshold in a")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.legend(fontsize=7)


WITNESS_DEPTH = 2


def depths_with_a_witness(Ls) -> tuple[tuple[int, ...], list[int]]:
    """The grid's depths, plus L = 2 when it has none >= 2.

    At L = 1 every threshold of T4.3 and each of its wrong variants is 0 (K(L-1)/(L+1) = K(L-1)/L = a_cp = 0), so a
    grid of L = 1 alone (a request ``--L 1``) runs the statement and its control on the same numbers; the witness
    depth, run by both, is where the control can be told apart.
    """
    Ls = tuple(Ls)
    if any(L >= WITNESS_DEPTH for L in Ls):
        return Ls, []
    return Ls + (WITNESS_DEPTH,), [WITNESS_DEPTH]
