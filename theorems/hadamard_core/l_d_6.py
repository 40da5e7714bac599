"""L-D.6 (Lemma D.6, stated and proved in App. D.7): the entries of the Sylvester Hadamard matrix.

Statement.  For ``K = 2^m`` and indices ``0 <= i, j < K`` written in binary,

    H_K[i, j] = (-1)^{<i, j>},     <i, j> = Σ_t i_t j_t  (mod 2).

Proof mirrored here.  Induction on m.  ``H_1 = [1] = (-1)^0``.  For
``H_{2k} = [[H_k, H_k], [H_k, -H_k]]`` write an index of ``H_{2k}`` as ``(b, i')``
with top bit b and ``i' < k``: the block in row b, column c carries the sign
``(-1)^{b c}``, so ``H_{2k}[(b,i'), (c,j')] = (-1)^{bc} H_k[i', j']``, and
``<(b,i'), (c,j')> = bc + <i', j'>``: the exponent gains exactly the top-bit
product.  The symbolic check verifies that step for an arbitrary integer exponent
of ``H_k`` (so for every m); the certified check compares all entries for m <= 10
in exact integers; the fuzz check draws indices for m <= 20 and compares against
the recursion walked entry by entry (:func:`numerics.hadamard.sylvester_entry`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import sympy as sp

from ncdepth.formal import formal_check
from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Serves
from numerics.symbolic_zero import zero_or_witness
from numerics.hadamard import popcount, sylvester, sylvester_entry

# --------------------------------------------------------------------------- statements
# The exponent e(i, j) with H[i, j] = (-1)^{e(i, j)}: the claim and its negative control.


def bit_dot_exponent(i: int, j: int) -> int:
    """``<i, j>``: parity of the common set bits (the claim)."""
    return popcount(i & j) & 1


def integer_product_exponent(i: int, j: int) -> int:
    """``i · j`` as integers (a tempting misreading; only the lowest bits matter mod 2)."""
    return (i * j) & 1


EXPONENTS: dict[str, Callable[[int, int], int]] = {
    "bit_dot": bit_dot_exponent,
    "integer_product": integer_product_exponent,
}

# The contribution of the new top bits (b, c) to the exponent in the induction step.
TOP_BIT_TERMS: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "bit_dot": lambda b, c: b * c,  # <(b,i'),(c,j')> = bc + <i',j'>
    "bitwise_or": lambda b, c: b + c - b * c,  # a wrong rule: count bits set in either index
}


# --------------------------------------------------------------------------- checks
def induction_step(ctx: Context, top_bit_term: str) -> Outcome:
    """Sympy: every block of ``H_{2k}`` equals ``(-1)^{e_new}`` for an arbitrary exponent ``E`` of ``H_k``."""
    E = sp.Symbol("E", integer=True)  # exponent of the entry H_k[i', j'], arbitrary: covers all m
    term = TOP_BIT_TERMS[top_bit_term]
    blocks = {(0, 0): 1, (0, 1): 1, (1, 0): 1, (1, 1): -1}  # Sylvester's doubling signs
    residuals = {}
    for (b, c), sign in blocks.items():
        claimed = (-1) ** (term(sp.Integer(b), sp.Integer(c)) + E)
        actual = sign * (-1) ** E
        residuals[f"block({b},{c})"] = sp.simplify(sp.powsimp(claimed - actual, force=True))
    base = sp.Integer(1) == (-1) ** sp.Integer(0)  # H_1 = [1], empty bit string
    # E is an integer: a block that differs does so at E = 0 or E = 1 (the sign depends on E's parity only)
    decided = {k: zero_or_witness(v, [{E: 0}, {E: 1}]) for k, v in residuals.items()}
    bad = {k: {"residual": str(residuals[k]), "at": w} for k, (same, w) in decided.items() if same is False}
    evidence = {"residuals": {k: str(v) for k, v in residuals.items()}, "base_case_H1": bool(base)}
    if bad or not base:
        return Outcome(False, evidence, counterexample={"blocks_with_nonzero_residual": bad} if bad else {"base_case": "H_1"})
    not_shown = [k for k, (same, _) in decided.items() if same is None]
    if not_shown:
        return Outcome.undecided(f"sympy did not reduce the residual of {not_shown} to 0: not shown", evidence)
    return Outcome(True, evidence)


def exhaustive_entries(ctx: Context, exponent: str) -> Outcome:
    """Exact integers: ``H_K`` from the doubling recursion against ``(-1)^{e(i,j)}``, all i, j."""
    e = np.frompyfunc(EXPONENTS[exponent], 2, 1)
    checked = []
    for K in ctx.K:
        H = sylvester(K)
        idx = np.arange(K)
        predicted = np.where(e(idx[:, None], idx[None, :]).astype(np.int64) == 1, -1, 1)
        wrong = np.argwhere(H != predicted)
        checked.append(K)
        ctx.report(len(checked) / len(ctx.K), f"K={K}")
        if len(wrong):
            i, j = map(int, wrong[0])
            return Outcome(False, {"K_checked": checked},
                           counterexample={"K": K, "i": i, "j": j, "H[i,j]": int(H[i, j]), "predicted": int(predicted[i, j])})
    return Outcome(True, {"K_checked": checked, "entries_checked": int(sum(k * k for k in checked))})


def fuzz_entries(ctx: Context, exponent: str) -> Outcome:
    """Hypothesis over m <= 20 and indices: the recursion walked entry by entry vs the formula."""
    max_m = max(int(K).bit_length() - 1 for K in ctx.K)
    strategy = st.integers(1, max_m).flatmap(
        lambda m: st.tuples(st.just(m), st.integers(0, 2**m - 1), st.integers(0, 2**m - 1)))

    def prop(x):
        m, i, j = x
        actual = sylvester_entry(i, j, 2**m)
        predicted = (-1) ** EXPONENTS[exponent](i, j)
        return actual == predicted, {"H[i,j]": actual, "predicted": predicted}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "max_m": max_m}
    if r.holds:
        return Outcome(True, ev, established={"K": [2**m for m in range(1, max_m + 1)]})
    m, i, j = r.counterexample
    return Outcome(False, ev, counterexample={"K": 2**m, "i": i, "j": j, **r.detail})


_INT = "H[i,j] = (-1)^{i·j} with the ordinary integer product"
_INT_WHY = ("(-1)^{i·j} depends only on the lowest bits of i and j; it agrees with (-1)^{<i,j>} for K = 2 and on "
            "the first row and column, so it is a tempting shortcut")

CLAIM = Claim(
    id="L-D.6",
    title="Hadamard entries are signs of bit dot products",
    statement="For K = 2^m, H_K[i, j] = (-1)^<i,j>, where <i,j> is the mod-2 dot product of the binary digits of i and j.",
    latex=r"H_K[i,j] = (-1)^{\langle i, j\rangle},\quad \langle i,j\rangle = \textstyle\sum_t i_t j_t \bmod 2",
    reference="Lemma D.6, stated and proved in App. D.7 (from Exercise 1.12 of O'Donnell 2014); used in App. C.1 and D.3",
    domain=Domain(uses_L=False, K_min=2, K_power_of_two=True),
    checks=(
        Check(
            name="induction_step", level=Level.SYMBOLIC, fn=induction_step,
            description="sympy: Sylvester's doubling multiplies block (b, c) by (-1)^{bc}, exactly the top-bit term of <i,j>; with an arbitrary integer exponent E for H_k this is the induction step for every m (base case H_1 = [1] = (-1)^0).",
            precision="exact (sympy)",
            statement={"top_bit_term": "bit_dot"},
            control={"top_bit_term": "bitwise_or"},
            control_description="exponent counts bits set in either index (b + c - bc instead of bc)",
            control_why=("only block (1, 1) of the doubling is negated; booking a sign for every block that touches a set "
                         "top bit (popcount(i | j) instead of popcount(i & j)) is the slip in the block bookkeeping"),
            for_all="all K = 2^m", method="induction on the Sylvester doubling",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="exhaustive_m_le_10", level=Level.CERTIFIED, fn=exhaustive_entries,
            description="every entry of H_K for K = 2^1 .. 2^10, built by the doubling recursion, against (-1)^{<i,j>}",
            precision="exact integer arithmetic, exhaustive",
            statement={"exponent": "bit_dot"},
            control={"exponent": "integer_product"},
            control_description=_INT, control_why=_INT_WHY,
            K=tuple(2**m for m in range(1, 11)), thorough_K=tuple(2**m for m in range(1, 12)),
            serves=Serves(K_max=2**11, K_max_thorough=2**12, cost="K² entries", what="exhaustive entries"),
            method="exhaustive",
        ),
        Check(
            name="random_indices_m_le_20", level=Level.FUZZ, fn=fuzz_entries,
            description="hypothesis draws m <= log2 of the largest K requested (20 by default) and i, j < 2^m; the recursion is walked to the entry and compared with (-1)^{<i,j>}",
            precision="exact integer arithmetic",
            statement={"exponent": "bit_dot"},
            control={"exponent": "integer_product"},
            control_description=_INT, control_why=_INT_WHY,
            K=(2**20,),
            serves=Serves(K_max=2**62, cost="m steps of the recursion per entry", what="recursion walks"),
            method="hypothesis",
        ),
        formal_check("coq_all_m", ["L_D_6.v"], {"sylvester_entry": "H_K[i, j] = (-1)^<i,j> for every m and all i, j < 2^m"},
                     ["L_D_6.v"], ["integer_product_exponent_fails"],
                     control_description="H[i,j] = (-1)^{i·j} with the ordinary integer product (Coq proves it false at m = 2, i = j = 2)",
                     control_why="reading <i,j> as the integer product i·j is a common slip; only the lowest bits agree"),
    ),
)
