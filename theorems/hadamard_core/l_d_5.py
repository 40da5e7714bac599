"""L-D.5 (App. D.3): products of Hadamard columns are Hadamard columns.

Statement.  For ``K = 2^m`` the columns ``h_i`` of the Sylvester Hadamard matrix
satisfy

    h_i ⊙ h_j = h_{i ⊕ j}.

Proof mirrored here.  By L-D.6, ``h_i[k] = (-1)^{<i,k>}``, so the claim is
``<i,k> + <j,k> ≡ <i ⊕ j, k> (mod 2)`` for all k.  Both sides are sums over bit
positions t; bit by bit, with ``(i ⊕ j)_t = i_t + j_t - 2 i_t j_t``,

    (i_t + j_t - 2 i_t j_t) k_t - i_t k_t - j_t k_t = -2 i_t j_t k_t ≡ 0  (mod 2),

which is what the symbolic check proves (for one generic bit, hence every m).  A
second symbolic route asks z3 to prove the bit-vector identity
``parity((i ^ j) & k) = parity(i & k) ^ parity(j & k)`` for every width m <= 32 (64 in the thorough profile).
The certified check verifies all pairs for m <= 10 from the dense recursion; the
fuzz check draws m <= 20 and walks the recursion entry by entry.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import sympy as sp
import z3

from ncdepth.formal import formal_check
from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from numerics.hadamard import sylvester, sylvester_entry

# ---------------------------------------------------------------- the index rule
# The claim: the product of columns i and j is column ``combined_index("xor", i, j, K)``.
def combined_index(rule: str, i, j, K: int):
    if rule == "xor":
        return i ^ j
    if rule == "add_mod_K":  # a plausible misreading: cyclic group instead of F_2^m
        return (i + j) % K
    raise ValueError(f"unknown combination rule {rule!r}")


# Bitwise forms for the symbolic proof (one generic bit: values in {0, 1}).
BIT_RULES: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "xor": lambda a, b: a + b - 2 * a * b,
    "or": lambda a, b: a + b - a * b,
}

# Bit-vector forms for z3.
BV_RULES: dict[str, Callable[[z3.BitVecRef, z3.BitVecRef], z3.BitVecRef]] = {
    "xor": lambda a, b: a ^ b,
    "add_mod_K": lambda a, b: a + b,  # wraps mod 2^width
}


# ---------------------------------------------------------------- checks
def per_bit_parity_proof(ctx: Context, rule: str) -> Outcome:
    """sympy: ``rule(i_t, j_t) k_t - i_t k_t - j_t k_t`` is an even polynomial on {0,1}^3."""
    i, j, k = sp.symbols("i_t j_t k_t", integer=True)
    diff = sp.expand(BIT_RULES[rule](i, j) * k - i * k - j * k)
    # Reduce with b^2 = b (bits) and read the coefficients: all even <=> difference ≡ 0 mod 2.
    reduced = sp.expand(diff.subs({i**2: i, j**2: j, k**2: k}))
    coeffs = sp.Poly(reduced, i, j, k).coeffs() if reduced != 0 else []
    odd = [str(c) for c in coeffs if sp.Integer(c) % 2 != 0]
    evidence = {"bit_difference": str(reduced), "odd_coefficients": odd}
    if odd:
        witness = next(
            {"i_t": a, "j_t": b, "k_t": c}
            for a in (0, 1) for b in (0, 1) for c in (0, 1)
            if int(reduced.subs({i: a, j: b, k: c})) % 2 != 0
        )
        return Outcome(False, evidence, counterexample=witness)
    return Outcome(True, evidence)


def _parity(x: z3.BitVecRef, width: int) -> z3.BitVecRef:
    return z3.Extract(0, 0, sum((z3.LShR(x, t) for t in range(width)), z3.BitVecVal(0, width)))


def bitvector_proof(ctx: Context, rule: str) -> Outcome:
    """z3 proves ``parity(rule(i,j) & k) = parity(i&k) xor parity(j&k)`` for each width m = log2 K."""
    proved = []
    for width in sorted({int(K).bit_length() - 1 for K in ctx.K} - {0}):
        i, j, k = z3.BitVecs("i j k", width)
        lhs = _parity(BV_RULES[rule](i, j) & k, width)
        rhs = _parity(i & k, width) ^ _parity(j & k, width)
        solver = z3.Solver()
        solver.set("timeout", 20000)
        solver.add(lhs != rhs)
        res = solver.check()
        if res == z3.sat:
            mdl = solver.model()
            cex = {name: mdl.eval(v).as_long() for name, v in (("i", i), ("j", j), ("k", k))}
            return Outcome(False, {"widths_proved": proved}, counterexample={"width": width, **cex})
        if res != z3.unsat:
            raise RuntimeError(f"z3 returned {res} at width {width}")
        proved.append(width)
    return Outcome(True, {"widths_proved": proved})


def exhaustive_products(ctx: Context, rule: str) -> Outcome:
    """Exact integers: every pair of columns of H_K, K = 2^1 .. 2^10."""
    checked = []
    for K in ctx.K:
        H = sylvester(K, dtype=np.int8)
        idx = np.arange(K)
        for i in range(K):
            target = combined_index(rule, i, idx, K)  # vectorised over j
            prod = H[:, [i]] * H  # column j of prod is h_i ⊙ h_j
            bad = np.nonzero(np.any(prod != H[:, target], axis=0))[0]
            if bad.size:
                j = int(bad[0])
                return Outcome(False, {"K_checked": checked},
                               counterexample={"K": K, "i": i, "j": j, "claimed_column": int(target[j])})
        checked.append(K)
    return Outcome(True, {"K_checked": checked, "column_pairs_checked": int(sum(k * k for k in checked))})


def fuzz_products(ctx: Context, rule: str) -> Outcome:
    max_m = max(int(K).bit_length() - 1 for K in ctx.K)
    strategy = st.integers(1, max_m).flatmap(lambda m: st.tuples(
        st.just(m), st.integers(0, 2**m - 1), st.integers(0, 2**m - 1), st.integers(0, 2**m - 1)))

    def prop(x):
        m, i, j, k = x
        K = 2**m
        lhs = sylvester_entry(k, i, K) * sylvester_entry(k, j, K)
        rhs = sylvester_entry(k, combined_index(rule, i, j, K), K)
        return lhs == rhs, {"h_i[k]*h_j[k]": lhs, "h_claimed[k]": rhs}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "max_m": max_m}
    if r.holds:
        return Outcome(True, ev)
    m, i, j, k = r.counterexample
    return Outcome(False, ev, counterexample={"K": 2**m, "i": i, "j": j, "row_k": k, **r.detail})


CLAIM = Claim(
    id="L-D.5",
    title="Hadamard columns multiply by XOR of their indices",
    statement="For K = 2^m, the columns of H_K satisfy h_i ⊙ h_j = h_{i ⊕ j} (⊕ bitwise XOR).",
    latex=r"h_i \odot h_j = h_{i \oplus j}",
    reference="Lemma D.5, App. D.3 (the group structure behind L-D.4 and Thm 4.2)",
    domain=Domain(uses_L=False, K_min=2, K_power_of_two=True),
    depends_on=("L-D.6",),
    checks=(
        Check(
            name="per_bit_parity", level=Level.SYMBOLIC, fn=per_bit_parity_proof,
            description="sympy: with h_i[k] = (-1)^{<i,k>} (L-D.6), the identity reduces bit by bit to (i_t ⊕ j_t) k_t ≡ i_t k_t + j_t k_t (mod 2); the reduced difference has only even coefficients, for every m",
            precision="exact (sympy)",
            statement={"rule": "xor"}, control={"rule": "or"},
            control_description="bitwise OR in place of XOR (i_t + j_t - i_t j_t)",
        ),
        Check(
            name="z3_bitvectors", level=Level.SYMBOLIC, fn=bitvector_proof,
            description="z3 proves parity((i⊕j)&k) = parity(i&k) xor parity(j&k) for all i, j, k of each bit width (unsat of the negation)",
            precision="exact (z3 bit-vectors, decision procedure)",
            statement={"rule": "xor"}, control={"rule": "add_mod_K"},
            control_description="h_i ⊙ h_j = h_{(i + j) mod K} (cyclic addition instead of XOR)",
            K=tuple(2**m for m in range(1, 33)), thorough_K=tuple(2**m for m in range(1, 65)),
        ),
        Check(
            name="exhaustive_m_le_10", level=Level.CERTIFIED, fn=exhaustive_products,
            description="every pair (i, j) of columns of H_K for K = 2^1 .. 2^10 (1.4 million pairs), dense recursion, exact integers",
            precision="exact integer arithmetic, exhaustive",
            statement={"rule": "xor"}, control={"rule": "add_mod_K"},
            control_description="h_i ⊙ h_j = h_{(i + j) mod K}",
            K=tuple(2**m for m in range(1, 11)),
        ),
        Check(
            name="random_indices_m_le_20", level=Level.FUZZ, fn=fuzz_products,
            description="hypothesis draws m <= 20 and i, j, k < 2^m; entries from the recursion walked entry by entry",
            precision="exact integer arithmetic",
            statement={"rule": "xor"}, control={"rule": "add_mod_K"},
            control_description="h_i ⊙ h_j = h_{(i + j) mod K}",
            K=(2**20,),
        ),
        formal_check("coq_all_m", ["L_D_5.v"], {"hadamard_columns_xor": "h_i ⊙ h_j = h_{i⊕j}: H[k,i] H[k,j] = H[k, i⊕j] for every m and all i, j, k < 2^m"},
                     ["L_D_5.v"], ["cyclic_index_fails"],
                     control_description="h_i ⊙ h_j = h_{(i + j) mod K} (Coq proves it false at m = 2, i = j = 1, row 2)",
                     control_why="the column group could be mistaken for the cyclic group Z_K instead of F_2^m"),
    ),
)
