"""Symbolic machinery for the Hadamard core that holds for every K = 2^m (not per instance).

Three tools, each small enough to read in full:

1. **Doubling lemmas** (:func:`doubling_lemmas`).  Facts about ``H_K`` proved by induction
   on the Sylvester doubling ``H_{2k} = [[H_k, H_k], [H_k, -H_k]]``: each is checked as its
   base case ``H_1 = [1]`` and its induction step, a finite symbolic computation in which the
   hypothesis for ``H_k`` enters as a symbol (a non-commutative matrix symbol, or the values
   ``A_t`` of the smaller transform).  So each lemma is proved for every m:

   * ``symmetric``   ``H_K^T = H_K``
   * ``square``      ``H_K H_K = K I``
   * ``row_zero``    row 0 of ``H_K`` is all ones
   * ``circulant``   ``(H diag(μ) H)[i, c] = (H μ)[i ⊕ c]`` (the matrix is G-circulant, G = F_2^m)
   * ``translation`` ``x -> x ⊕ c`` is an involution of ``{0..K-1}`` (so a bijection)

2. **Group-algebra rewriting** (:func:`softmax_diagonalisation_proof`).  Functions on G are
   non-commutative sympy symbols, ``Hop`` the transform, ``Circ(φ)`` the matrix
   ``[φ(i ⊕ c)]_{i,c}``, ``Hdiag(μ)`` the matrix ``H diag(μ) H``; every rewrite step is one of
   the doubling lemmas.  This proves L-D.4 for every m.

3. **A word calculus for matrix products** (:class:`Word`, :class:`MatExpr`).  Matrices of the
   Hadamard initialisation are products of tokens (``H``, the class-repetition matrix ``R =
   I_K ⊗ 1_n^T``, the embedding ``E = [I_K; 0]`` (d x K), orthogonal ``Q_a``, diagonal
   ``diag(x)`` with a symbolic entry ``x`` for a generic mode k), times scalars in symbolic K and
   n.  The only rewrites are ``H H = K I``, ``H^T = H`` (doubling lemmas), ``R R^T = n I_K``,
   ``E^T E = I_K``, ``Q^T Q = Q Q^T = I_d`` and ``diag(x) diag(y) = diag(xy)``; shapes are
   checked on every product.  Two expressions are equal when their difference normalises to 0.
   Depth enters through telescoping products (:func:`layer_product`): ``Π_{i=a}^{b} s_i =
   P(b)/P(a-1)`` with ``P`` the prefix product, so identities for symbolic j and L become
   rational identities in the free values ``P(·)``.

The theorem modules build the derivations (L-D.4, T4.2) from these pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import sympy as sp

__all__ = [
    "doubling_lemmas",
    "softmax_diagonalisation_proof",
    "psi_at_K2",
    "Tok",
    "MatExpr",
    "H",
    "R",
    "Rt",
    "E",
    "Et",
    "Q",
    "Qt",
    "diag",
    "eye",
    "scalar",
    "prefix",
    "layer_s",
    "layer_product",
    "K_SYM",
    "N_SYM",
]

K_SYM = sp.Symbol("K", positive=True, integer=True)
N_SYM = sp.Symbol("n", positive=True, integer=True)

# Block signs of the doubling H_{2k} = [[H, H], [H, -H]]: block (b, t) carries SIGN[b, t].
SIGN = {(0, 0): 1, (0, 1): 1, (1, 0): 1, (1, 1): -1}


def _bit_xor(a: int, b: int) -> int:
    return (a + b) % 2


# ============================================================================ 1. doubling lemmas
def doubling_lemmas() -> dict[str, dict]:
    """Base case and induction step of each lemma; every residual must be 0.

    Returns ``{lemma: {"base": bool, "step_residuals": {...: str}, "holds": bool}}``.
    """
    out: dict[str, dict] = {}
    Hk = sp.Symbol("H_k", commutative=False)
    Hkt = sp.Symbol("H_k^T", commutative=False)
    k = sp.Symbol("k", positive=True, integer=True)
    blocks = [[SIGN[(b, t)] * Hk for t in (0, 1)] for b in (0, 1)]

    # symmetric: block (b, t) of H_{2k}^T is (block (t, b))^T; hypothesis H_k^T = H_k
    res = {}
    for b in (0, 1):
        for t in (0, 1):
            transposed = (SIGN[(t, b)] * Hkt).subs(Hkt, Hk)
            res[f"block({b},{t})"] = sp.expand(transposed - blocks[b][t])
    out["symmetric"] = _lemma(res, base=True, statement="H_K^T = H_K")

    # square: H_{2k} H_{2k} = 2k I given H_k H_k = k I
    res = {}
    for b in (0, 1):
        for c in (0, 1):
            prod = sp.expand(sum(blocks[b][t] * blocks[t][c] for t in (0, 1)))
            prod = prod.subs(Hk**2, k)
            res[f"block({b},{c})"] = sp.expand(prod - (2 * k if b == c else 0))
    out["square"] = _lemma(res, base=True, statement="H_K H_K = K I")  # H_1 H_1 = 1 = 1 I

    # row zero: the top blocks of the doubling carry sign +1, so row 0 of H_{2k} is (row 0 of H_k, row 0 of H_k)
    res = {f"block(0,{t})": sp.Integer(SIGN[(0, t)] - 1) for t in (0, 1)}
    out["row_zero"] = _lemma(res, base=True, statement="row 0 of H_K is all ones")

    # circulant: (H_{2k} diag(μ) H_{2k})[(b,i'),(e,c')] = Σ_t s(b,t) s(t,e) (H_k diag(μ^t) H_k)[i',c']
    #          = Σ_t s(b,t) s(t,e) A_t  (hypothesis, A_t = (H_k μ^t)[i' ⊕ c'])
    # and (H_{2k} μ)[(b⊕e, i'⊕c')] = Σ_t s(b⊕e, t) A_t.
    A = sp.symbols("A_0 A_1")
    res = {}
    for b in (0, 1):
        for e in (0, 1):
            lhs = sum(SIGN[(b, t)] * SIGN[(t, e)] * A[t] for t in (0, 1))
            rhs = sum(SIGN[(_bit_xor(b, e), t)] * A[t] for t in (0, 1))
            res[f"top_bits({b},{e})"] = sp.expand(lhs - rhs)
    out["circulant"] = _lemma(res, base=True, statement="(H diag(μ) H)[i, c] = (H μ)[i ⊕ c]")

    # translation: (x ⊕ c) ⊕ c = x bit by bit (the top bit is one more bit), and x ⊕ c < 2^m
    res = {f"bits({a},{b})": sp.Integer(_bit_xor(_bit_xor(a, b), b) - a) for a in (0, 1) for b in (0, 1)}
    res["no_new_bit(0,0)"] = sp.Integer(_bit_xor(0, 0))  # bits above m stay 0
    out["translation"] = _lemma(res, base=True, statement="x -> x ⊕ c is an involution of {0..K-1}")
    return out


def _lemma(residuals: dict, base: bool, statement: str) -> dict:
    ok = base and all(sp.simplify(v) == 0 for v in residuals.values())
    return {"statement": statement, "base_case_H1": base, "step_residuals": {k: str(v) for k, v in residuals.items()},
            "holds": bool(ok)}


# ============================================================================ 2. group algebra
Hop = sp.Function("Hop")  # φ -> H φ on functions G -> R (linear)
Circ = sp.Function("Circ")  # φ -> the matrix [φ(i ⊕ c)]_{i, c}
Hdiag = sp.Function("Hdiag")  # μ -> the matrix H diag(μ) H
Smax = sp.Function("softmax")  # φ -> exp(φ)/Σ exp(φ) on G
SmaxCol = sp.Function("softmax_col")  # column-wise softmax of a matrix


def _pull_scalars(expr: sp.Expr, op) -> sp.Expr:
    """``op(c φ) -> c op(φ)`` for commutative factors c (op linear)."""
    def rule(e):
        arg = e.args[0]
        if isinstance(arg, sp.Mul):
            c = [a for a in arg.args if a.is_commutative]
            v = [a for a in arg.args if not a.is_commutative]
            if c and v:
                return sp.Mul(*c) * op(sp.Mul(*v))
        return e
    return expr.replace(lambda e: isinstance(e, op), rule)


def softmax_diagonalisation_proof(psi_scale: sp.Expr | int) -> dict:
    """L-D.4 for every m: ``softmax_col((1/K) H diag(λ) H) = (1/K) H diag(ψ) H``, ψ = H softmax(H λ / scale).

    ``psi_scale = K`` is the lemma; another value is a wrong variant.  Returns the rewrite
    steps of both sides, the lemmas used, and whether the normal forms coincide (``equal``).
    When they differ the two sides reduce to ``Circ(softmax(Hλ/K))`` and ``Circ(softmax(Hλ/scale))``;
    Circ is injective (column 0 of Circ(φ) is φ), so the claim then says ``softmax(Hλ/K) =
    softmax(Hλ/scale)`` for all λ, which :func:`psi_at_K2` decides at a concrete point.
    """
    K = K_SYM
    lam = sp.Symbol("lambda", commutative=False)  # a function G -> R
    steps: list[tuple[str, str, str]] = []

    def step(side, rule, e):
        steps.append((side, rule, str(e)))
        return e

    # left side: softmax_col((1/K) H diag(λ) H)
    lhs = step("lhs", "definition", SmaxCol(Hdiag(lam / K)))
    lhs = step("lhs", "circulant lemma: Hdiag(μ) = Circ(Hop(μ))", lhs.replace(lambda e: isinstance(e, Hdiag), lambda e: Circ(Hop(e.args[0]))))
    lhs = step("lhs", "Hop linear", _pull_scalars(lhs, Hop))
    lhs = step("lhs", "translation lemma: softmax_col(Circ(φ)) = Circ(softmax(φ))",
               lhs.replace(lambda e: isinstance(e, SmaxCol) and isinstance(e.args[0], Circ), lambda e: Circ(Smax(e.args[0].args[0]))))
    # right side: (1/K) H diag(ψ) H with ψ = Hop(softmax(Hop(λ)/scale))
    psi = Hop(Smax(Hop(lam) / psi_scale))
    rhs = step("rhs", "definition", Hdiag(psi / K))
    rhs = step("rhs", "circulant lemma", rhs.replace(lambda e: isinstance(e, Hdiag), lambda e: Circ(Hop(e.args[0]))))
    rhs = step("rhs", "Hop linear", _pull_scalars(rhs, Hop))
    rhs = step("rhs", "square lemma: Hop(Hop(φ)) = K φ",
               rhs.replace(lambda e: isinstance(e, Hop) and isinstance(e.args[0], Hop), lambda e: K * e.args[0].args[0]))
    rhs = step("rhs", "Circ linear", rhs.replace(lambda e: isinstance(e, Circ), lambda e: Circ(sp.expand(e.args[0]))))
    lhs_n, rhs_n = sp.simplify(lhs), sp.simplify(rhs)
    return {"lhs": str(lhs_n), "rhs": str(rhs_n), "equal": bool(sp.simplify(lhs_n - rhs_n) == 0),
            "steps": steps, "lemmas": ["circulant", "translation", "square"]}


def psi_at_K2(lam1: sp.Expr, psi_scale: sp.Expr | int) -> sp.Expr:
    """``ψ_1 = (H softmax(H (0, λ_1) / scale))_1 = tanh(λ_1 / scale)`` exactly, at K = 2."""
    f = [lam1 / psi_scale, -lam1 / psi_scale]  # H (0, λ_1) = (λ_1, -λ_1)
    e = [sp.exp(x) for x in f]
    g = [x / (e[0] + e[1]) for x in e]
    return sp.simplify(g[0] - g[1])


# ============================================================================ 3. word calculus
@dataclass(frozen=True)
class Tok:
    """One matrix token: a name, its shape (in the dimension names K, N, d) and a payload."""

    name: str  # H, R, Rt, E, Et, Q, Qt, diag
    rows: str
    cols: str
    label: str = ""  # which Q
    payload: sp.Expr | None = None  # diag entry for a generic mode k

    def T(self) -> "Tok":
        flip = {"H": "H", "R": "Rt", "Rt": "R", "E": "Et", "Et": "E", "Q": "Qt", "Qt": "Q", "diag": "diag"}
        return Tok(flip[self.name], self.cols, self.rows, self.label, self.payload)

    def __str__(self) -> str:
        if self.name == "diag":
            return f"diag({self.payload})"
        return f"{self.name}{('_{' + self.label + '}') if self.label else ''}"


# rules on adjacent tokens: (name_a, name_b) -> (scalar, replacement tokens or None), with the lemma used
def _pair_rule(a: Tok, b: Tok):
    if a.name == "H" and b.name == "H":
        return K_SYM, (), "square lemma H H = K I"
    if a.name == "R" and b.name == "Rt":
        return N_SYM, (), "R R^T = n I_K (each class has n samples)"
    if a.name == "Et" and b.name == "E":
        return sp.Integer(1), (), "E^T E = I_K (E = [I_K; 0])"
    if a.name == "Qt" and b.name == "Q" and a.label == b.label:
        return sp.Integer(1), (), "Q^T Q = I (orthogonal)"
    if a.name == "Q" and b.name == "Qt" and a.label == b.label:
        return sp.Integer(1), (), "Q Q^T = I (orthogonal)"
    if a.name == "diag" and b.name == "diag":
        return sp.Integer(1), (Tok("diag", a.rows, b.cols, payload=a.payload * b.payload),), "diagonal matrices multiply entrywise"
    return None


@dataclass(frozen=True)
class MatExpr:
    """A sum of ``coefficient x word`` terms, all of shape ``rows x cols``."""

    rows: str
    cols: str
    terms: tuple[tuple[sp.Expr, tuple[Tok, ...]], ...]
    used: frozenset = field(default_factory=frozenset)

    def __add__(self, other: "MatExpr") -> "MatExpr":
        self._same_shape(other)
        return MatExpr(self.rows, self.cols, self.terms + other.terms, self.used | other.used)

    def __sub__(self, other: "MatExpr") -> "MatExpr":
        return self + other.scale(-1)

    def __neg__(self) -> "MatExpr":
        return self.scale(-1)

    def scale(self, c) -> "MatExpr":
        return MatExpr(self.rows, self.cols, tuple((sp.sympify(c) * a, w) for a, w in self.terms), self.used)

    def __matmul__(self, other: "MatExpr") -> "MatExpr":
        if self.cols != other.rows:
            raise ValueError(f"shape mismatch: ({self.rows} x {self.cols}) @ ({other.rows} x {other.cols})")
        terms = tuple((a * b, wa + wb) for a, wa in self.terms for b, wb in other.terms)
        return MatExpr(self.rows, other.cols, terms, self.used | other.used).normal()

    @property
    def T(self) -> "MatExpr":
        used = set(self.used)
        if any(t.name == "H" for _, w in self.terms for t in w):
            used.add("symmetric lemma H^T = H")
        return MatExpr(self.cols, self.rows, tuple((a, tuple(t.T() for t in reversed(w))) for a, w in self.terms),
                       frozenset(used))

    def _same_shape(self, other: "MatExpr") -> None:
        if (self.rows, self.cols) != (other.rows, other.cols):
            raise ValueError(f"shape mismatch in a sum: {self.rows} x {self.cols} vs {other.rows} x {other.cols}")

    def normal(self) -> "MatExpr":
        """Apply the rewrite rules to a fixpoint, then merge terms (see the module docstring)."""
        used = set(self.used)
        out = []
        for coeff, word in self.terms:
            word = list(word)
            changed = True
            while changed:
                changed = False
                for i in range(len(word) - 1):
                    r = _pair_rule(word[i], word[i + 1])
                    if r is not None:
                        c, repl, why = r
                        coeff = coeff * c
                        word[i:i + 2] = list(repl)
                        used.add(why)
                        changed = True
                        break
            out.append((coeff, tuple(word)))
        return MatExpr(self.rows, self.cols, _merge(self.rows, self.cols, out), frozenset(used))

    def is_zero(self) -> bool:
        return not self.normal().terms

    def __str__(self) -> str:
        if not self.terms:
            return "0"
        return " + ".join(f"({sp.simplify(a)})·" + "·".join(map(str, w)) if w else f"({sp.simplify(a)})·I"
                          for a, w in self.terms)


def _merge(rows: str, cols: str, terms: list) -> tuple:
    """Merge terms with the same word; words with one diag token merge into one payload."""
    groups: dict = {}
    order = []
    for coeff, word in terms:
        if not word and rows == cols == "K":
            word = (Tok("diag", "K", "K", payload=sp.Integer(1)),)  # I_K = diag(1)
        diags = [i for i, t in enumerate(word) if t.name == "diag"]
        if len(diags) == 1:
            i = diags[0]
            key = (word[:i], word[i + 1:], "diag")
            contribution = coeff * word[i].payload
        else:
            key = (word, None, "plain")
            contribution = coeff
        if key not in groups:
            groups[key] = [sp.Integer(0), word, len(diags) == 1, diags[0] if len(diags) == 1 else None]
            order.append(key)
        groups[key][0] = groups[key][0] + contribution
    merged = []
    for key in order:
        total, word, has_diag, i = groups[key]
        total = sp.factor(sp.cancel(sp.expand(total)))
        if total == 0:
            continue
        if has_diag:
            d = word[i]
            merged.append((sp.Integer(1), word[:i] + (Tok("diag", d.rows, d.cols, payload=total),) + word[i + 1:]))
        else:
            merged.append((total, word))
    return tuple(merged)


def _tok(t: Tok) -> MatExpr:
    return MatExpr(t.rows, t.cols, ((sp.Integer(1), (t,)),))


H = _tok(Tok("H", "K", "K"))
R = _tok(Tok("R", "K", "N"))  # R = I_K ⊗ 1_n^T: column c·n + r is e_c
Rt = _tok(Tok("Rt", "N", "K"))
E = _tok(Tok("E", "d", "K"))  # E = [I_K; 0]: the padding of a K-vector into width d
Et = _tok(Tok("Et", "K", "d"))


def Q(label: str) -> MatExpr:
    return _tok(Tok("Q", "d", "d", label=label))


def Qt(label: str) -> MatExpr:
    return _tok(Tok("Qt", "d", "d", label=label))


def diag(x: sp.Expr) -> MatExpr:
    """``diag(x_0, ..., x_{K-1})`` with ``x`` the entry of a generic mode k."""
    return _tok(Tok("diag", "K", "K", payload=sp.sympify(x)))


def eye(dim: str) -> MatExpr:
    return MatExpr(dim, dim, ((sp.Integer(1), ()),))


def scalar(c, dim: str = "K") -> MatExpr:
    return eye(dim).scale(c)


# ============================================================================ telescoping products
prefix = sp.Function("P", positive=True)  # P(b) = Π_{i=0}^{b} s_{i,k} (generic mode k), P(-1) = 1


def layer_s(j) -> sp.Expr:
    """``s_{j,k} = P(j) / P(j-1)`` (P(-1) = 1)."""
    return layer_product(j, j)


def layer_product(a, b) -> sp.Expr:
    """``Π_{i=a}^{b} s_{i,k} = P(b) / P(a-1)`` (1 for an empty range a = b + 1; P(-1) = 1)."""
    return _P(b) / _P(sp.sympify(a) - 1)


def _P(b) -> sp.Expr:
    """``P(b)``, with the empty product ``P(-1) = 1``."""
    return sp.Integer(1) if sp.sympify(b) == -1 else prefix(b)


def layer_substitute(expr: sp.Expr, values: Sequence[sp.Expr]) -> sp.Expr:
    """Replace ``P(b)`` by ``Π_{i<=b} values[i]`` for concrete integer b (and P(-1) = 1)."""
    def rule(e):
        b = e.args[0]
        if b.is_Integer:
            return sp.Mul(*values[: int(b) + 1]) if int(b) >= 0 else sp.Integer(1)
        return e
    return expr.replace(lambda e: isinstance(e, prefix), rule)


def products_of(values: Iterable[sp.Expr]) -> sp.Expr:
    return sp.Mul(*values)
