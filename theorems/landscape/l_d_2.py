"""L-D.2 (Lemma D.2, stated in App. D.7; quoted in the proof of Thm 3.2, App. D.2): rank one cannot separate K >= 3 classes.

Statement.  For K >= 3 no K x K matrix Z of rank (at most) one satisfies

    Z[c, c] > Z[c', c]   for every c and every c' != c.

Proof mirrored here.  Write Z = u v^T.  The condition on column c reads
``(u_c - u_{c'}) v_c > 0`` for all c' != c: so v_c != 0, and u_c is the strict maximum
of u (v_c > 0) or its strict minimum (v_c < 0).  At most two indices are a strict
maximum or minimum, so K >= 3 is impossible.  Only the signs of v matter, so the
question for each K is finite: for each sign pattern s in {±1}^K, the constraints
``s_c (u_c - u_{c'}) >= 1`` (strictness, rescaled) are difference constraints on u,
feasible iff their constraint graph has no negative cycle (exact, integer
Bellman-Ford).  Any K >= 3 instance restricted to classes {0, 1, 2} is a K = 3
instance (the 3 x 3 principal block is rank <= 1 and keeps its constraints), so the
K = 3 case decides all K.

Checks: z3 (nlsat over the reals) proves K = 3 (and K = 4..6 directly) unsatisfiable;
the exhaustive sign-pattern decision covers every K from 3 to the grid's max exactly
(K <= 10 in the ci profile, K <= 14 in thorough; any larger K follows from the K = 3 reduction); hypothesis draws real v
(and, for the control, rank-2 factors) and asks an LP (HiGHS) for a feasible u.
The negative controls: the same machinery at K = 2 (where ``[[1,-1],[-1,1]]`` works)
and at rank 2 (where separating K >= 3 classes is possible).
"""

from __future__ import annotations

import itertools

import numpy as np
import z3
from scipy.optimize import linprog

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Serves
from ncdepth.formal import formal_check
from numerics.constructions import require_classes
from numerics.smt import z3_solver


def diagonal_dominance_holds(Z: np.ndarray) -> bool:
    """``Z[c, c] > Z[c', c]`` for all c' != c (strict, column-wise)."""
    Z = np.asarray(Z, dtype=float)
    K = Z.shape[0]
    off = Z.copy()
    off[np.arange(K), np.arange(K)] = -np.inf
    return bool(np.all(np.diag(Z) > off.max(axis=0)))


# --------------------------------------------------------------------------- z3
Z3_TIMEOUT_MS = 20000
LP_METHOD = "highs"
Z3_K_MAX = 6


def z3_rank_one(ctx: Context, K_min: int) -> Outcome:
    """z3 (reals): for K_min <= K <= 6, is there u, v in R^K with (u_c - u_c') v_c > 0 for all c != c'?"""
    results = {}
    for K in range(K_min, Z3_K_MAX + 1):
        u = [z3.Real(f"u{i}") for i in range(K)]
        v = [z3.Real(f"v{i}") for i in range(K)]
        s = z3_solver()
        s.set("timeout", Z3_TIMEOUT_MS)
        for c in range(K):
            for c2 in range(K):
                if c2 != c:
                    s.add((u[c] - u[c2]) * v[c] > 0)  # Z[c,c] - Z[c2,c] with Z = u v^T
        verdict = s.check()
        results[K] = str(verdict)
        if verdict == z3.sat:
            m = s.model()
            uu = [float(m.eval(x, model_completion=True).as_fraction()) for x in u]
            vv = [float(m.eval(x, model_completion=True).as_fraction()) for x in v]
            Z = np.outer(uu, vv)
            return Outcome.refuted({"K": K, "u": uu, "v": vv, "Z": Z.tolist(),
                                    "dominance_checked_numerically": diagonal_dominance_holds(Z)}, {"z3": results})
        if verdict != z3.unsat:
            return Outcome.undecided(f"z3 answered {verdict} at K={K} (timeout {Z3_TIMEOUT_MS} ms)", {"z3": results})
    # restriction argument: the K-class constraints on classes {0,1,2} are exactly the K = 3 constraints
    ev = {"z3": results, "timeout_ms": Z3_TIMEOUT_MS,
          "restriction": ("any K >= 3 solution restricted to classes {0,1,2} is a K = 3 solution "
                          "(3x3 principal block of u v^T, same inequalities), so unsat at K = 3 covers every K >= 3")}
    return Outcome.held(ev)


# --------------------------------------------------------------------------- exhaustive sign patterns
def difference_constraints_feasible(signs: tuple[int, ...]) -> tuple[bool, list[int] | None]:
    """Exact: is there u with s_c (u_c - u_c') >= 1 for all c != c'?  Bellman-Ford on integers.

    ``s_c = +1``: u_{c'} - u_c <= -1; ``s_c = -1``: u_c - u_{c'} <= -1.  Edge a -> b with weight w
    encodes u_b - u_a <= w; feasible iff no negative cycle; then u = shortest distances.
    """
    K = len(signs)
    edges = []
    for c in range(K):
        for c2 in range(K):
            if c2 == c:
                continue
            if signs[c] > 0:
                edges.append((c, c2, -1))  # u_{c2} - u_c <= -1
            else:
                edges.append((c2, c, -1))  # u_c - u_{c2} <= -1
    dist = [0] * K  # virtual source with 0-weight edges to every node
    for _ in range(K):
        changed = False
        for a, b, w in edges:
            if dist[a] + w < dist[b]:
                dist[b] = dist[a] + w
                changed = True
        if not changed:
            return True, dist
    return False, None


def exhaustive_sign_patterns(ctx: Context, K_min: int) -> Outcome:
    """Every sign pattern of v in {±1}^K, K_min <= K <= max(ctx.K): difference constraints decided exactly."""
    checked = {}
    K_top = max(ctx.K)
    for K in range(K_min, K_top + 1):
        ctx.report((2**K - 2**K_min) / max(2**(K_top + 1) - 2**K_min, 1), f"K={K}: {2**K} sign patterns")
        n_feasible = 0
        for signs in itertools.product((1, -1), repeat=K):
            ok, u = difference_constraints_feasible(signs)
            if ok:
                Z = np.outer(u, signs)
                if not diagonal_dominance_holds(Z):
                    raise AssertionError("Bellman-Ford returned u that does not separate: internal error")
                return Outcome.refuted({"K": K, "v_signs": list(signs), "u": u, "Z": Z.tolist()},
                                       {"patterns_checked": checked})
            n_feasible += ok
        checked[K] = 2**K
    return Outcome.held({"patterns_checked": checked, "total": sum(checked.values()),
                         "reduction": "only sign(v_c) enters (v_c = 0 violates strictness); strict > rescaled to >= 1"},
                        established={"K": list(range(K_min, K_top + 1))})


# --------------------------------------------------------------------------- fuzz + LP
def lp_feasible(V: np.ndarray) -> tuple[bool, np.ndarray | None]:
    """LP (HiGHS): is there U (K x r) with (U_c - U_c') . V_c >= 1 for all c != c'? (Z = U V^T)."""
    K, r = V.shape
    rows, rhs = [], []
    for c in range(K):
        for c2 in range(K):
            if c2 == c:
                continue
            a = np.zeros((K, r))
            a[c] -= V[c]
            a[c2] += V[c]
            rows.append(a.ravel())  # -(U_c - U_c2).V_c <= -1
            rhs.append(-1.0)
    res = linprog(np.zeros(K * r), A_ub=np.array(rows), b_ub=np.array(rhs), bounds=[(None, None)] * (K * r),
                  method=LP_METHOD)
    if res.status == 0:
        return True, res.x.reshape(K, r)
    if res.status == 2:
        return False, None
    raise RuntimeError(f"HiGHS status {res.status}: {res.message}")


def fuzz_lp(ctx: Context, rank: int) -> Outcome:
    """hypothesis draws K and real V (K x rank); an LP looks for U making Z = U V^T diagonally dominant."""
    strategy = st.tuples(st.sampled_from(ctx.K), st.integers(0, 2**32 - 1), st.floats(-2.0, 2.0))

    def prop(x):
        K, seed, log_scale = x
        rng = np.random.default_rng(seed)
        V = 10.0 ** log_scale * rng.standard_normal((K, rank))
        Z_random = rng.standard_normal((K, rank)) @ V.T
        feasible, U = lp_feasible(V)
        detail = {"V": V.tolist(), "random_Z_dominant": diagonal_dominance_holds(Z_random)}
        if feasible:
            Z = U @ V.T
            detail.update({"U": U.tolist(), "Z": Z.tolist(), "Z_dominant": diagonal_dominance_holds(Z)})
        return (not feasible) and not detail["random_Z_dominant"], detail

    res = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    if res.holds:
        return Outcome.held({"examples_run": res.examples_run, "rank": rank, "solver": {"scipy.optimize.linprog": LP_METHOD}})
    K, seed, log_scale = res.counterexample
    return Outcome.refuted({"K": K, "rank": rank, "seed": seed, **res.detail},
                           {"examples_run": res.examples_run, "rank": rank})


_K2_WHY = ("the boundary case: at K = 2 a rank-one matrix separates ([[1,-1],[-1,1]]), so 'K >= 2' is the nearest "
           "wrong threshold; a proof that never uses K >= 3 would accept it")

CHECKS = (
    Check(
        name="z3_rank_one", level=Level.SYMBOLIC, fn=z3_rank_one,
        description=("z3 (nonlinear real arithmetic) shows (u_c - u_c') v_c > 0 for all c != c' unsatisfiable for "
                     "K = 3..6; restricting any K >= 3 instance to three classes gives a K = 3 instance."),
        precision="exact (z3 nlsat over the reals)",
        statement={"K_min": 3},
        control={"K_min": 2},
        control_description="the claim extended to K = 2 (where Z = [[1,-1],[-1,1]] works)",
        control_why=_K2_WHY,
        for_all="all K >= 3", method="z3 at K = 3 (and 4..6) + restriction to three classes",
        serves=Serves(what="z3 at K = 3..6 and the restriction to three classes (a requested K changes nothing)"),
    ),
    Check(
        name="exhaustive_sign_patterns", level=Level.CERTIFIED, fn=exhaustive_sign_patterns,
        description=("all 2^K sign patterns of v for every K from 3 to max K (10; 14 in thorough): the constraints on u are difference constraints, "
                     "decided exactly by integer Bellman-Ford (a feasible u would be re-checked as a separating Z)."),
        precision="exact integers, exhaustive",
        statement={"K_min": 3},
        control={"K_min": 2},
        control_description="the claim extended to K = 2",
        control_why=_K2_WHY,
        K=(10,), thorough_K=(14,),
        serves=Serves(K_max=14, cost="2^K sign patterns, K³ per Bellman-Ford", what="every K from 3 to max K"),
        method="exhaustive, exact Bellman-Ford",
    ),
    Check(
        name="fuzz_lp", level=Level.FUZZ, fn=fuzz_lp,
        description=("hypothesis draws K from the grid, real V (scale 10^[-2,2]); HiGHS LP finds no U with U V^T "
                     "separating; random rank-1 matrices never separate."),
        precision="LP feasibility (HiGHS defaults), strictness rescaled to margin >= 1",
        statement={"rank": 1},
        control={"rank": 2},
        control_description="the same claim for rank 2 (false: e.g. a K-gon separates K classes)",
        control_why=("'low rank cannot separate many classes' stated one rank too far: rank 2 is exactly what T3.2's "
                     "circle codes use"),
        K=(3, 4, 5, 6, 8, 12),
        serves=Serves(K_max=64, cost="an LP with K r variables and K(K-1) constraints per example",
                      what="LP feasibility"),
    ),
    formal_check("coq_all_k", ["L_D_2.v"],
                 {"rank_one_not_dominant": "K >= 3, rank Z <= 1: not every Z[c,c] > Z[c',c] (c' != c), over every ordered field"},
                 ["L_D_2.v"], ["rank_one_dominant_at_K2"], for_all="all K >= 3, over every ordered field",
                 control_description="the claim extended to K = 2: Coq exhibits Z = [[1,-1],[-1,1]] (rank 1, strictly dominant)",
                 control_why="the sign argument needs three columns; it is tempting to state it from K = 2"),
)

CLAIM = Claim(
    id="L-D.2",
    title="A rank-one K x K matrix cannot be diagonally dominant column-wise for K >= 3",
    statement="For K >= 3 no rank-1 K x K matrix satisfies Z[c,c] > Z[c',c] for all c' != c; so separating K >= 3 classes needs rank >= 2.",
    latex=r"K\ge 3,\ \operatorname{rank} Z = 1 \implies \exists\, c\neq c':\ Z[c,c]\le Z[c',c]",
    reference="Lemma D.2, stated in App. D.7; used in the proof of Thm 3.2 (App. D.2, before Eq. 27)",
    domain=Domain(uses_L=False, K_min=3),
    checks=CHECKS,
)
