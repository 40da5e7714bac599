"""P-C.1 (Proposition C.1, App. C.1): the minimal Hadamard rank of a strictly separating logit matrix.

Statement.  Let ``K = 2^m`` and ``Zbar = H diag(0, λ) H`` with ``λ >= 0`` on the
modes ``1..K-1``.  ``Zbar`` has strict margins (``Zbar[c,c] > Zbar[i,c]`` for all
``i != c``) iff the support ``S = {k : λ_k > 0}``, read as vectors of ``F_2^m``,
spans ``F_2^m``.  Hence the smallest support is ``m = log2 K``, attained by
``{1, 2, 4, ..., K/2}``.

Proof mirrored here.  By L-D.5 column c of Zbar is ``f(i ⊕ c)`` with ``f = H λ``, and
``f(0) - f(i) = Σ_k (1 - H[i,k]) λ_k = 2 Σ_{k ∈ S, <i,k> = 1} λ_k``.  It is positive
for every ``i != 0`` iff no non-zero i is orthogonal to all of S, i.e. ``S^⊥ = {0}``,
i.e. S spans ``F_2^m``; a spanning set has at least m elements.

Checks: exhaustive over all ``2^{K-1}`` supports for m <= 4 with dense margins;
the criterion against LP feasibility of strict margins (HiGHS) for random supports;
the minimum support found by a mixed-integer program (cvxpy, boolean support
variables, HiGHS) for m <= 6; hypothesis over m <= 10.
"""

from __future__ import annotations

from typing import Callable, Iterable

import cvxpy as cp
import numpy as np
from scipy.optimize import linprog

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from ncdepth.formal import formal_check
from numerics.hadamard import fwht, require_power_of_two, sylvester


# ---------------------------------------------------------------- the criterion
def gf2_rank(vectors: Iterable[int]) -> int:
    """Rank over F_2 of integers read as bit vectors (XOR basis by leading bit)."""
    basis: dict[int, int] = {}
    for v in vectors:
        v = int(v)
        while v:
            top = v.bit_length() - 1
            if top not in basis:
                basis[top] = v
                break
            v ^= basis[top]
    return len(basis)


def spans_f2m(support: Iterable[int], m: int) -> bool:
    """The claim's criterion: S spans F_2^m."""
    return gf2_rank(support) == m


def at_least_m_modes(support: Iterable[int], m: int) -> bool:
    """A wrong criterion (negative control): enough modes, regardless of dependence."""
    return len(list(support)) >= m


def contains_unit_vectors(support: Iterable[int], m: int) -> bool:
    """A wrong criterion (negative control): S must contain the canonical support {1, 2, 4, ..., 2^(m-1)}."""
    return {1 << t for t in range(m)} <= set(int(k) for k in support)


CRITERIA: dict[str, Callable[[Iterable[int], int], bool]] = {
    "spans": spans_f2m,
    "size_at_least_m": at_least_m_modes,
    "contains_unit_vectors": contains_unit_vectors,
}

MINIMUM: dict[str, Callable[[int], int]] = {"log2K": lambda m: m, "log2K_minus_1": lambda m: m - 1}


def canonical_support(K: int) -> list[int]:
    """``{1, 2, 4, ..., K/2}``: the unit vectors of F_2^m."""
    m = require_power_of_two(K, minimum=2)
    return [1 << t for t in range(m)]


# ---------------------------------------------------------------- direct margins
def hadamard_logits(lam: np.ndarray) -> np.ndarray:
    """``H diag(0, λ) H`` for a batch of λ (last axis: modes 1..K-1), dense (small K only)."""
    lam = np.atleast_2d(lam)
    K = lam.shape[-1] + 1
    H = sylvester(K).astype(float)
    full = np.concatenate([np.zeros(lam.shape[:-1] + (1,)), lam], axis=-1)
    return np.einsum("ik,bk,kj->bij", H, full, H)


def strict_margins(Z: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """For each matrix of the batch: every column's own entry beats every other entry."""
    K = Z.shape[-1]
    diag = np.einsum("bcc->bc", Z)[:, None, :]  # Zbar[c, c] broadcast over rows
    gap = diag - Z
    gap[:, np.arange(K), np.arange(K)] = np.inf
    return np.min(gap.reshape(Z.shape[0], -1), axis=1) > tol


def margin_coefficients(K: int) -> np.ndarray:
    """``C[i, c, k]`` with ``Zbar[c,c] - Zbar[i,c] = Σ_k C[i,c,k] λ_k`` for ``Zbar = H diag(λ) H``.

    ``C[i,c,k] = H[c,k] H[k,c] - H[i,k] H[k,c] = 1 - H[i,k] H[k,c]`` (H symmetric, entries ±1),
    computed here from the dense matrix in exact integers.
    """
    H = sylvester(K)
    own = (H * H.T)[None, :, :]  # H[c,k] H[k,c], indexed [., c, k]
    other = H[:, None, :] * H.T[None, :, :]  # H[i,k] H[k,c], indexed [i, c, k]
    return own - other


def exhaustive_supports(ctx: Context, criterion: str) -> Outcome:
    """All ``2^{K-1}`` supports, in exact integers: a proof for every positive λ on each support.

    Every margin is ``Σ_k C[i,c,k] λ_k`` with integer coefficients.  The check first
    verifies that every coefficient is 0 or 2 (so a margin is positive for *all*
    positive weights on S iff it is positive for ``λ = 1_S``, and zero otherwise),
    then evaluates all margins at ``λ = 1_S`` for every S and compares with the criterion.
    """
    counts = {}
    for K in ctx.K:
        m = require_power_of_two(K, minimum=2)
        C = margin_coefficients(K)
        if not np.all((C == 0) | (C == 2)):
            raise RuntimeError("margin coefficients outside {0, 2}: the weight-free argument does not apply")
        off = ~np.eye(K, dtype=bool)
        rows = C[off][:, 1:]  # one row per (i, c) with i != c; columns: modes 1..K-1
        n_sets = 2 ** (K - 1)
        masks = ((np.arange(n_sets)[:, None] >> np.arange(K - 1)[None, :]) & 1).astype(np.int64)
        separable = np.empty(n_sets, dtype=bool)
        for lo in range(0, n_sets, 4096):
            separable[lo:lo + 4096] = np.min(masks[lo:lo + 4096] @ rows.T, axis=1) > 0  # exact integers
        predicted = np.array([CRITERIA[criterion]([k + 1 for k in np.nonzero(row)[0]], m) for row in masks])
        disagree = np.nonzero(separable != predicted)[0]
        sizes = masks.sum(axis=1)
        counts[K] = {"supports": n_sets, "separating": int(separable.sum()),
                     "minimum_separating_size": int(sizes[separable].min())}
        if disagree.size:
            s_ = int(disagree[0])
            return Outcome(False, {"per_K": counts},
                           counterexample={"K": K, "support": [int(k) + 1 for k in np.nonzero(masks[s_])[0]],
                                           "strict_margins": bool(separable[s_]), "criterion_says": bool(predicted[s_])})
        if counts[K]["minimum_separating_size"] != m:
            return Outcome(False, {"per_K": counts}, counterexample={"K": K, "minimum": counts[K]["minimum_separating_size"]})
        counts[K]["separating_fraction_by_size"] = {
            int(k): float(separable[sizes == k].mean()) for k in range(1, K)}
        ctx.report(len(counts) / len(ctx.K), f"K={K}")
    return Outcome(True, {"per_K": counts}, figures=[_fraction_figure(counts)])


def _fraction_figure(counts: dict):
    from reports.figures import render

    def draw(fig):
        ax = fig.add_subplot(111)
        for K, row in counts.items():
            sizes = sorted(row["separating_fraction_by_size"])
            ax.plot(sizes, [row["separating_fraction_by_size"][k] for k in sizes], "o-", label=f"K = {K}")
            ax.axvline(K.bit_length() - 1, color="grey", ls=":", lw=0.8)
        ax.set_xlabel("support size |S|")
        ax.set_ylabel("fraction of supports with strict margins")
        ax.set_title("Every support, exhaustively (dotted: log2 K)")
        ax.legend()

    return render("P-C.1 separating supports", draw,
                  "No support smaller than log2 K separates; above it, exactly the F_2-spanning ones do.")


# ---------------------------------------------------------------- LP feasibility
def lp_strict_margin(K: int, support: list[int]) -> float:
    """max t s.t. Zbar[c,c] - Zbar[i,c] >= t (all c, i != c), λ >= 0 on S, Σλ <= 1 (HiGHS LP)."""
    H = sylvester(K).astype(float)
    cols = np.asarray(support)
    # Zbar[i, c] = Σ_k H[i,k] λ_k H[k,c]  =>  row (c, i) of the constraint matrix, over k ∈ S
    rows = []
    for c in range(K):
        for i in range(K):
            if i != c:
                rows.append(H[c, cols] * H[cols, c] - H[i, cols] * H[cols, c])
    A = np.asarray(rows)
    n = len(cols)
    # variables (λ_S, t); maximise t  <=>  minimise -t;  t - gap <= 0;  Σλ <= 1
    A_ub = np.vstack([np.hstack([-A, np.ones((A.shape[0], 1))]), np.hstack([np.ones((1, n)), [[0.0]]])])
    b_ub = np.concatenate([np.zeros(A.shape[0]), [1.0]])
    res = linprog(np.r_[np.zeros(n), -1.0], A_ub=A_ub, b_ub=b_ub,
                  bounds=[(0, None)] * n + [(None, None)], method="highs")
    if res.status != 0:
        raise RuntimeError(f"LP failed: {res.message}")
    return float(-res.fun)


def lp_random_supports(ctx: Context, criterion: str, trials_per_K: int = 24, tol: float = 1e-7) -> Outcome:
    rng = ctx.rng(12)
    table = {}
    for K in ctx.K:
        m = require_power_of_two(K, minimum=2)
        agree = 0
        for _ in range(trials_per_K):
            size = int(rng.integers(max(1, m - 1), m + 2))
            support = sorted(int(x) for x in rng.choice(np.arange(1, K), size=min(size, K - 1), replace=False))
            t = lp_strict_margin(K, support)
            feasible = t > tol
            if feasible != CRITERIA[criterion](support, m):
                return Outcome(False, {"per_K": table},
                               counterexample={"K": K, "support": support, "lp_max_margin": t,
                                               "criterion_says": CRITERIA[criterion](support, m)})
            agree += 1
        table[K] = {"supports_tested": agree}
        ctx.report(len(table) / len(ctx.K), f"K={K}")
    return Outcome(True, {"per_K": table, "lp_tolerance": tol, "trials_per_K": trials_per_K, "support_rng_seed": [ctx.seed, 12]})


# ---------------------------------------------------------------- integer program
def milp_minimum_support(ctx: Context, minimum: str) -> Outcome:
    """min |S| s.t. margins >= 1 with 0 <= λ_k <= x_k, x boolean: a mixed-integer program."""
    found = {}
    for K in ctx.K:
        m = require_power_of_two(K, minimum=2)
        H = sylvester(K).astype(float)
        lam = cp.Variable(K - 1, nonneg=True)
        x = cp.Variable(K - 1, boolean=True)
        Zbar = H[:, 1:] @ cp.diag(lam) @ H[1:, :]
        cons = [lam <= x]
        for c in range(K):
            others = [i for i in range(K) if i != c]
            cons.append(Zbar[c, c] - Zbar[others, c] >= 1)
        prob = cp.Problem(cp.Minimize(cp.sum(x)), cons)
        prob.solve(solver=cp.HIGHS, verbose=False)
        if prob.status != cp.OPTIMAL:  # a solver that did not certify optimality decides nothing
            return Outcome.undecided(f"HiGHS MILP at K={K} ended with status {prob.status!r}", {"per_K": found})
        best = int(round(prob.value))
        support = [k + 1 for k in np.nonzero(np.asarray(x.value) > 0.5)[0]]
        canonical = np.zeros(K - 1)
        canonical[np.asarray(canonical_support(K)) - 1] = 1.0
        found[K] = {"milp_minimum": best, "milp_support": support, "support_rank_F2": gf2_rank(support),
                    "canonical_support_separates": bool(strict_margins(hadamard_logits(canonical))[0])}
        if best != MINIMUM[minimum](m) or not found[K]["canonical_support_separates"]:
            return Outcome(False, {"per_K": found},
                           counterexample={"K": K, "milp_minimum": best, "claimed_minimum": MINIMUM[minimum](m)})
        ctx.report(len(found) / len(ctx.K), f"K={K}")
    return Outcome(True, {"per_K": found, "solver": prob.solver_stats.solver_name if prob.solver_stats else "HIGHS",
                          "status": prob.status})


# ---------------------------------------------------------------- fuzz
STRICT_TOL = 1e-9
WEIGHTS = (0.05, 5.0)


def fuzz_supports(ctx: Context, criterion: str) -> Outcome:
    Ks = sorted(ctx.K)

    @st.composite
    def draws(draw):
        K = draw(st.sampled_from(Ks))
        m = K.bit_length() - 1
        support = draw(st.sets(st.integers(1, K - 1), min_size=1, max_size=m + 2))
        weights = draw(st.lists(st.floats(*WEIGHTS), min_size=len(support), max_size=len(support)))
        return K, sorted(support), weights

    def prop(x):
        K, support, weights = x
        lam = np.zeros(K)
        lam[support] = weights
        f = fwht(lam)  # logits of column 0; column c is f(i ⊕ c) (L-D.5)
        separates = bool(np.all(f[0] - f[1:] > STRICT_TOL))
        says = CRITERIA[criterion](support, K.bit_length() - 1)
        return separates == says, {"strict_margins": separates, "criterion_says": says}

    r = search(draws(), prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": Ks, "strictness_tolerance": STRICT_TOL, "weights": list(WEIGHTS)}
    if r.holds:
        return Outcome(True, ev)
    K, support, weights = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "support": support, "weights": weights, **r.detail})


_CARD = "'S works iff S ⊇ {1, 2, 4, ..., K/2}' (the canonical support taken as necessary)"
_CARD_WHY = ("the proposition names {1, 2, 4, ..., K/2} as the support attaining the minimum; reading it as the only "
             "separating one (or a necessary part of any) misses the other bases of F_2^m, e.g. {1, 3} at K = 4.  "
             "(The cardinality criterion |S| >= m would be the other natural slip, but at K = 4 every 2-set spans "
             "F_2^2, so it could not be rejected there.)")

CLAIM = Claim(
    id="P-C.1",
    title="Minimal Hadamard rank of a separating logit matrix is log2 K",
    statement="For K = 2^m and λ >= 0 on modes 1..K-1, Zbar = H diag(0, λ) H has strict margins iff the support of λ spans F_2^m; the smallest such support has m = log2 K modes, e.g. {1, 2, 4, ..., K/2}.",
    latex=r"\min\{|S| : H\,\mathrm{diag}(0,\lambda_S)H \text{ separates}\} = \log_2 K,\quad S \text{ works} \iff \mathrm{span}_{\mathbb F_2}S = \mathbb F_2^m",
    reference="Proposition C.1, App. C.1 (Eq. 8-9; uses Lemmas D.5, D.6 of App. D.7)",
    domain=Domain(uses_L=False, K_min=4, K_power_of_two=True),
    depends_on=("L-D.5", "L-D.6"),
    parts=(
        Part("criterion", "Zbar = H diag(0, λ) H (λ >= 0) has strict margins iff the support S of λ spans F_2^m"),
        Part("minimum", "the smallest separating support has log2 K modes, attained by {1, 2, 4, ..., K/2}"),
    ),
    checks=(
        Check(
            name="exhaustive_supports_m_le_4", level=Level.CERTIFIED, fn=exhaustive_supports,
            description="every support S ⊆ {1..K-1} for K = 4, 8, 16 (32768 sets at K = 16): the margin coefficients of H diag(0,λ) H are verified to lie in {0, 2}, so strict margins for all positive λ on S ⇔ strict margins at λ = 1_S, evaluated exactly and compared with the F_2-span criterion; the smallest separating support has size m",
            precision="exact integer arithmetic, exhaustive (a proof for K <= 16 and every positive λ)",
            statement={"criterion": "spans"}, control={"criterion": "contains_unit_vectors"},
            control_description=_CARD, control_why=_CARD_WHY,
            K=(4, 8, 16),
            serves=Serves(K_max=16, cost="2^(K-1) supports x K² margins", what="exhaustive supports"),
            covers=("criterion", "minimum"), method="exhaustive over supports, weight-free",
        ),
        Check(
            name="lp_feasibility", level=Level.NUMERIC, fn=lp_random_supports,
            description="for random supports of size m-1..m+1, the LP max t s.t. all margins >= t, λ >= 0 on S, Σλ <= 1 (HiGHS) is positive exactly when S spans F_2^m",
            precision="float64 LP (HiGHS), strict margin if t* > 1e-7",
            statement={"criterion": "spans"}, control={"criterion": "contains_unit_vectors"},
            control_description=_CARD, control_why=_CARD_WHY,
            K=(8, 16, 32, 64),
            serves=Serves(K_max=128, cost="24 LPs with K(K-1) rows", what="LP feasibility"),
            covers=("criterion",), method="HiGHS LP",
        ),
        Check(
            name="milp_minimum_support", level=Level.NUMERIC, fn=milp_minimum_support,
            description="mixed-integer program (cvxpy, HiGHS): minimise the number of active modes subject to all K(K-1) margins >= 1, 0 <= λ_k <= x_k, x boolean; optimum vs log2 K, and {1,2,...,K/2} separates",
            precision="HiGHS MILP (exact integer optimum up to solver tolerance 1e-6); a non-optimal status is undecided",
            statement={"minimum": "log2K"}, control={"minimum": "log2K_minus_1"},
            control_description="minimum support log2 K - 1",
            control_why=("mode 0 (the all-ones direction) is excluded from the support; counting it among the m directions "
                         "that span F_2^m gives m - 1 non-trivial modes"),
            K=(4, 8, 16, 32), thorough_K=(4, 8, 16, 32, 64),
            serves=Serves(K_max=32, K_max_thorough=64, cost="a MILP with K-1 binaries and K(K-1) constraints",
                          what="MILP minimum"),
            covers=("minimum",), method="HiGHS MILP",
        ),
        Check(
            name="random_supports", level=Level.FUZZ, fn=fuzz_supports,
            description="hypothesis draws K from the grid, a support of size <= m+2 and positive weights: strict margins (fast transform) iff S spans F_2^m",
            precision="float64, strictness tolerance 1e-9",
            statement={"criterion": "spans"}, control={"criterion": "contains_unit_vectors"},
            control_description=_CARD, control_why=_CARD_WHY,
            K=tuple(2**m for m in range(2, 11)),
            serves=Serves(K_max=2**12, cost="one fast transform of length K per example (and hypothesis shrinking)", what="fuzzed supports"),
            covers=("criterion",), method="hypothesis",
        ),
        formal_check("coq_all_m", ["P_C_1.v"],
                     {"margins_iff_odd": "λ >= 0: strict margins of H diag(λ) H iff every non-zero d has <d,k> odd for some k in S = supp λ",
                      "odd_iff_span": "that holds iff the bit vectors of S span F_2^m (full rank over F_2)",
                      "margins_iff_span": "strict margins iff S spans F_2^m",
                      "min_support": "strict margins imply |S| >= m = log2 K",
                      "canonical_support": "λ = 1 on {1, 2, 4, ..., K/2} gives strict margins with |S| = m"},
                     ["P_C_1.v"], ["size_m_not_enough"],
                     for_all="all m (K = 2^m), every λ >= 0, over any ordered field",
                     control_description="'S works iff |S| >= m' (cardinality instead of span): Coq proves λ = 1 on {1, 2, 3} at K = 8 has no strict margins",
                     control_why="counting modes instead of checking linear independence over F_2 is the natural shortcut; 3 = 1 ⊕ 2"),
    ),
)
