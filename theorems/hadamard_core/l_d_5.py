"""L-D.5 (Lemma D.5, stated in App. D.7): products of Hadamard columns are Hadamard columns.

Statement.  For ``K = 2^m`` the columns ``h_i`` of the Sylvester Hadamard matrix
satisfy

    h_i ⊙ h_j = h_{i ⊕ j}.

Proof mirrored here.  By L-D.6, ``h_i[k] = (-1)^{<i,k>}``, so the claim is
``<i,k> + <j,k> ≡ <i ⊕ j, k> (mod 2)`` for all k.  Both sides are sums over bit
positions t; bit by bit, with ``(i ⊕ j)_t = i_t + j_t - 2 i_t j_t``,

    (i_t + j_t - 2 i_t j_t) k_t - i_t k_t - j_t k_t = -2 i_t j_t k_t ≡ 0  (mod 2),

which is what the symbolic check proves (for one generic bit, hence every m; the
reduced polynomial's coefficients are even, and its value is even at all 8 bit triples).  A
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
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Serves
from numerics.hadamard import sylvester, sylvester_entry
from numerics.smt import z3_solver

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
    # the same fact by exhaustion of the 8 bit triples (a finite case check, for every m once summed over bits)
    values = {(a, b, c): int(diff.subs({i: a, j: b, k: c})) for a in (0, 1) for b in (0, 1) for c in (0, 1)}
    evidence = {"bit_difference": str(reduced), "odd_coefficients": odd,
                "difference_at_bit_triples": {f"{a}{b}{c}": v for (a, b, c), v in values.items()}}
    if not odd and any(v % 2 for v in values.values()):
        raise RuntimeError("even coefficients but an odd value: the polynomial reduction is broken")
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


Z3_TIMEOUT_MS = 20000


def bitvector_proof(ctx: Context, rule: str) -> Outcome:
    """z3 proves ``parity(rule(i,j) & k) = parity(i&k) xor parity(j&k)`` for each width m = log2 K."""
    proved = []
    widths = sorted({int(K).bit_length() - 1 for K in ctx.K} - {0})
    for width in widths:
        i, j, k = z3.BitVecs("i j k", width)
        lhs = _parity(BV_RULES[rule](i, j) & k, width)
        rhs = _parity(i & k, width) ^ _parity(j & k, width)
        solver = z3_solver()
        solver.set("timeout", Z3_TIMEOUT_MS)
        solver.add(lhs != rhs)
        res = solver.check()
        if res == z3.sat:
            mdl = solver.model()
            cex = {name: mdl.eval(v).as_long() for name, v in (("i", i), ("j", j), ("k", k))}
            return Outcome(False, {"widths_proved": proved}, counterexample={"width": width, **cex})
        if res != z3.unsat:  # "unknown" (timeout): a budget, never a refutation
            return Outcome.undecided(f"z3 returned {res} at width {width} (timeout {Z3_TIMEOUT_MS} ms); "
                                     f"widths {proved} were proved", {"widths_proved": proved})
        proved.append(width)
        ctx.report(len(proved) / len(widths), f"width {width}")
    return Outcome(True, {"widths_proved": proved, "z3_timeout_ms": Z3_TIMEOUT_MS})


def exhaustive_products(ctx: Context, rule: str) -> Outcome:
    """Exact: every pair of columns of H_K (dense recursion), K = 2^1 .. 2^10.

    Entries ±1 are stored as sign bits (-1 ↔ 1), under which the entrywise product is XOR
    (the isomorphism ({±1}, ·) ≅ (Z_2, +)); each column is a packed bit string, so the K³
    entry comparisons run as K² comparisons of K/8-byte strings.
    """
    checked = []
    for K in ctx.K:
        H = sylvester(K, dtype=np.int8)
        bits = np.packbits(H < 0, axis=0).T.copy()  # bits[c] = sign bits of column c (rows packed)
        idx = np.arange(K)
        for i in range(K):
            target = combined_index(rule, i, idx, K)  # vectorised over j
            prod = bits[i][None, :] ^ bits  # row j: the sign bits of h_i ⊙ h_j
            bad = np.nonzero(np.any(prod != bits[target], axis=1))[0]
            if bad.size:
                j = int(bad[0])
                return Outcome(False, {"K_checked": checked},
                               counterexample={"K": K, "i": i, "j": j, "claimed_column": int(target[j])})
        checked.append(K)
        ctx.report(len(checked) / len(ctx.K), f"K={K}")
    return Outcome(True, {"K_checked": checked, "column_pairs_checked": int(sum(k * k for k in checked)),
                          "entries_compared": int(sum(k**3 for k in checked))})


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
        return Outcome(True, ev, established={"K": [2**m for m in range(1, max_m + 1)]})
    m, i, j, k = r.counterexample
    return Outcome(False, ev, counterexample={"K": 2**m, "i": i, "j": j, "row_k": k, **r.detail})


_CYCLIC = "h_i ⊙ h_j = h_{(i + j) mod K} (cyclic addition instead of XOR)"
_CYCLIC_WHY = ("the Fourier basis of Z_K multiplies by adding indices mod K; carrying that over to the "
               "Walsh-Hadamard basis (characters of F_2^m, not of Z_K) is the natural mistake")

CLAIM = Claim(
    id="L-D.5",
    title="Hadamard columns multiply by XOR of their indices",
    statement="For K = 2^m, the columns of H_K satisfy h_i ⊙ h_j = h_{i ⊕ j} (⊕ bitwise XOR).",
    latex=r"h_i \odot h_j = h_{i \oplus j}",
    reference="Lemma D.5, stated in App. D.7 (from Lemma 3.6 of Horadam 2007); used in App. C.1 and D.3",
    domain=Domain(uses_L=False, K_min=2, K_power_of_two=True),
    depends_on=("L-D.6",),
    checks=(
        Check(
            name="per_bit_parity", level=Level.SYMBOLIC, fn=per_bit_parity_proof,
            description="sympy: with h_i[k] = (-1)^{<i,k>} (L-D.6), the identity reduces bit by bit to (i_t ⊕ j_t) k_t ≡ i_t k_t + j_t k_t (mod 2); the reduced difference has only even coefficients (and is even at all 8 bit triples), so the sum over any number m of bits is even",
            precision="exact (sympy)",
            statement={"rule": "xor"}, control={"rule": "or"},
            control_description="bitwise OR in place of XOR (i_t + j_t - i_t j_t)",
            control_why=("OR and XOR differ only where both bits are set; an argument that treats the bit supports of i "
                         "and j as disjoint (dropping the cross term 2 i_t j_t k_t) proves the OR version"),
            for_all="all K = 2^m (given L-D.6)", method="per-bit parity",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="z3_bitvectors", level=Level.SYMBOLIC, fn=bitvector_proof,
            description="z3 proves parity((i⊕j)&k) = parity(i&k) xor parity(j&k) for all i, j, k of each bit width m (unsat of the negation), from the bit formula of L-D.6",
            precision="exact (z3 bit-vectors, decision procedure); a timeout is undecided",
            statement={"rule": "xor"}, control={"rule": "add_mod_K"},
            control_description=_CYCLIC, control_why=_CYCLIC_WHY,
            K=tuple(2**m for m in range(1, 33)), thorough_K=tuple(2**m for m in range(1, 65)),
            serves=Serves(K_max=2**32, K_max_thorough=2**64, cost="one z3 bit-vector query per width m",
                          what="z3 bit-vector widths"),
            method="z3 bit-vectors",
        ),
        Check(
            name="exhaustive_m_le_10", level=Level.CERTIFIED, fn=exhaustive_products,
            description="every pair (i, j) of columns of H_K for K = 2^1 .. 2^10 (1.4 million pairs), dense recursion, exact integers",
            precision="exact integer arithmetic, exhaustive",
            statement={"rule": "xor"}, control={"rule": "add_mod_K"},
            control_description=_CYCLIC, control_why=_CYCLIC_WHY,
            K=tuple(2**m for m in range(1, 11)), thorough_K=tuple(2**m for m in range(1, 13)),
            serves=Serves(K_max=2**12, cost="K³/8 byte comparisons", what="exhaustive column pairs"),
            method="exhaustive",
        ),
        Check(
            name="random_indices_m_le_20", level=Level.FUZZ, fn=fuzz_products,
            description="hypothesis draws m <= log2 of the largest K requested (20 by default) and i, j, k < 2^m; entries from the recursion walked entry by entry",
            precision="exact integer arithmetic",
            statement={"rule": "xor"}, control={"rule": "add_mod_K"},
            control_description=_CYCLIC, control_why=_CYCLIC_WHY,
            K=(2**20,),
            serves=Serves(K_max=2**62, cost="m steps of the recursion per entry", what="recursion walks"),
            method="hypothesis",
        ),
        formal_check("coq_all_m", ["L_D_5.v"], {"hadamard_columns_xor": "h_i ⊙ h_j = h_{i⊕j}: H[k,i] H[k,j] = H[k, i⊕j] for every m and all i, j, k < 2^m"},
                     ["L_D_5.v"], ["cyclic_index_fails"],
                     control_description="h_i ⊙ h_j = h_{(i + j) mod K} (Coq proves it false at m = 2, i = j = 1, row 2)",
                     control_why="the column group could be mistaken for the cyclic group Z_K instead of F_2^m"),
    ),
)
