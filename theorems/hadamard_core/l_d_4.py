"""L-D.4 (App. D.3): the column softmax of a Hadamard-diagonal logit matrix.

Statement.  For ``K = 2^m`` and any ``λ ∈ R^K``, let ``Zbar = (1/K) H diag(λ) H``.
Then the column-wise softmax of ``Zbar`` is again Hadamard-diagonal:

    softmax_col(Zbar) = (1/K) H diag(ψ) H,     ψ = H softmax(H λ / K).

Proof mirrored here.  Column c of ``Zbar`` is ``z_c[i] = (1/K) Σ_k H[i,k] H[k,c] λ_k``
``= (1/K) Σ_k H[i ⊕ c, k] λ_k = f(i ⊕ c)`` with ``f = Hλ/K`` (L-D.5, H symmetric),
so ``softmax(z_c)[i] = g(i ⊕ c)``, ``g = softmax(f)``.  On the other side
``((1/K) H diag(ψ) H)[i, c] = (1/K) (H ψ)[i ⊕ c] = (1/K)(H H g)[i ⊕ c] = g(i ⊕ c)``
because ``H H = K I``.

Checks: sympy proves the matrix identity with symbolic λ for K = 2, 4, 8 (every
entry's difference cancels to 0); mpmath at 50 digits compares, for K up to 2^12,
columns of the softmax computed directly from the logits against columns of
``(1/K) H diag(ψ) H``; hypothesis draws K, λ (logit gaps up to 10^3) and c in float64.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.formal import formal_check
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from numerics.hadamard import fwht, fwht_mp, sylvester, sylvester_entry
from numerics.softmax import softmax

# ψ as stated, and the negative control: the same formula without the 1/K inside.
PSI_SCALE = {"claim": lambda K: K, "no_inner_1_over_K": lambda K: 1}


# ---------------------------------------------------------------- symbolic
def symbolic_identity(ctx: Context, psi_rule: str) -> Outcome:
    """Every entry of ``softmax_col(Zbar) - (1/K) H diag(ψ) H`` cancels to 0, λ symbolic."""
    residuals = {}
    for K in ctx.K:
        H = sp.Matrix(sylvester(K).tolist())
        lam = sp.symbols(f"lambda0:{K}", real=True)
        Zbar = H * sp.diag(*lam) * H / K
        f = H * sp.Matrix(lam) / PSI_SCALE[psi_rule](K)
        e = [sp.exp(sp.expand(x)) for x in f]
        g = [x / sum(e) for x in e]
        psi = H * sp.Matrix(g)
        predicted = H * sp.diag(*psi) * H / K
        nonzero = []
        for c in range(K):
            col = [sp.exp(sp.expand(Zbar[i, c])) for i in range(K)]
            total = sum(col)
            for i in range(K):
                d = sp.cancel(sp.together(col[i] / total - predicted[i, c]))
                if d != 0:
                    nonzero.append((i, c, d))
        residuals[K] = len(nonzero)
        if nonzero:
            i, c, d = nonzero[0]
            point = {s: v + 1 for v, s in enumerate(lam)}  # λ_k = k + 1: a concrete witness
            value = sp.N(d.subs(point), 30)
            return Outcome(False, {"nonzero_entries": residuals},
                           counterexample={"K": K, "entry": [i, c], "lambda": "λ_k = k + 1",
                                           "difference": str(value)})
    return Outcome(True, {"nonzero_entries": residuals, "K_proved": list(ctx.K)})


# ---------------------------------------------------------------- mpmath
def _column_direct(lam: list, c: int, K: int) -> list:
    """softmax of column c of (1/K) H diag(λ) H, logits formed as H (λ ⊙ h_c) / K."""
    h_c = [sylvester_entry(k, c, K) for k in range(K)]
    z = [x / K for x in fwht_mp([l * h for l, h in zip(lam, h_c)])]
    zmax = max(z)
    e = [mpmath.exp(x - zmax) for x in z]
    s = mpmath.fsum(e)
    return [x / s for x in e]


def _column_predicted(lam: list, c: int, K: int, scale: int) -> list:
    """Column c of (1/K) H diag(ψ) H with ψ = H softmax(H λ / scale)."""
    f = [x / scale for x in fwht_mp(lam)]
    fmax = max(f)
    e = [mpmath.exp(x - fmax) for x in f]
    s = mpmath.fsum(e)
    psi = fwht_mp([x / s for x in e])
    h_c = [sylvester_entry(k, c, K) for k in range(K)]
    return [x / K for x in fwht_mp([p * h for p, h in zip(psi, h_c)])]


def mp_columns(ctx: Context, psi_rule: str, dps: int = 50, tol: str = "1e-45") -> Outcome:
    rng = ctx.rng(4)
    worst = {}
    with mpmath.workdps(dps):
        tolerance = mpmath.mpf(tol)
        for K in ctx.K:
            lam = [mpmath.mpf(float(x)) for x in rng.uniform(-3 * K, 3 * K, size=K)]
            columns = sorted({0, K - 1, int(rng.integers(K)), int(rng.integers(K))})
            err = mpmath.mpf(0)
            for c in columns:
                a = _column_direct(lam, c, K)
                b = _column_predicted(lam, c, K, PSI_SCALE[psi_rule](K))
                err = max(err, max(abs(x - y) for x, y in zip(a, b)))
            worst[K] = mpmath.nstr(err, 5)
            if err > tolerance:
                return Outcome(False, {"max_abs_error": worst, "dps": dps, "tolerance": tol},
                               counterexample={"K": K, "columns": columns, "max_abs_error": mpmath.nstr(err, 8),
                                               "lambda_seed": [ctx.seed, 4]})
    return Outcome(True, {"max_abs_error": worst, "dps": dps, "tolerance": tol}, figures=[_error_figure(worst, tol)])


def _error_figure(worst: dict, tol: str):
    from reports.figures import render

    def draw(fig):
        ax = fig.add_subplot(111)
        Ks = sorted(worst)
        ax.loglog(Ks, [float(worst[K]) for K in Ks], "o-", base=2, label="max |direct - predicted|")
        ax.axhline(float(tol), color="red", ls="--", label=f"tolerance {tol}")
        ax.set_xlabel("K")
        ax.set_ylabel("max abs error (50 digits)")
        ax.legend()

    return render("L-D.4 error vs K", draw, "Column softmax computed directly vs (1/K) H diag(ψ) H, at 50 digits.")


# ---------------------------------------------------------------- fuzz
def fuzz_columns(ctx: Context, psi_rule: str, rtol: float = 1e-10) -> Outcome:
    Ks = sorted(k for k in ctx.K if k <= 1024) or [min(ctx.K)]

    @st.composite
    def draws(draw):
        K = draw(st.sampled_from(Ks))
        scale = draw(st.sampled_from([1.0, 10.0, 1000.0]))  # logit gaps up to ~10^3
        lam = draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=K, max_size=K))
        c = draw(st.integers(0, K - 1))
        return K, scale, lam, c

    def prop(x):
        K, scale, lam, c = x
        lam = scale * np.asarray(lam)
        H = sylvester(K)
        z_c = H @ (lam * H[:, c]) / K  # column c of Zbar, dense route
        direct = softmax(z_c)
        psi = fwht(softmax(fwht(lam) / PSI_SCALE[psi_rule](K)))
        predicted = fwht(psi * H[:, c]) / K
        if not np.all(np.isfinite(direct)):
            return False, {"error": "non-finite softmax"}
        err = float(np.max(np.abs(direct - predicted)))
        return err <= rtol, {"max_abs_error": err}

    r = search(draws(), prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": Ks, "tolerance": rtol}
    if r.holds:
        return Outcome(True, ev)
    K, scale, lam, c = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "scale": scale, "lambda": lam, "column": c, **r.detail})


CLAIM = Claim(
    id="L-D.4",
    title="Softmax of a Hadamard-diagonal logit matrix is Hadamard-diagonal",
    statement="For Zbar = (1/K) H diag(λ) H (K = 2^m), the column-wise softmax of Zbar equals (1/K) H diag(ψ) H with ψ = H softmax(Hλ/K).",
    latex=r"\operatorname{softmax}\big(\tfrac1K H\,\mathrm{diag}(\lambda)H\big) = \tfrac1K H\,\mathrm{diag}(\psi)H,\ \ \psi = H\operatorname{softmax}(H\lambda/K)",
    reference="Lemma D.4, App. D.3 (the diagonalisation behind Thm 4.2, Eq. 6)",
    domain=Domain(uses_L=False, K_min=2, K_power_of_two=True),
    depends_on=("L-D.5",),
    checks=(
        Check(
            name="symbolic_lambda", level=Level.SYMBOLIC, fn=symbolic_identity,
            description="sympy with symbolic λ ∈ R^K: every entry of softmax_col(Zbar) - (1/K) H diag(ψ) H cancels to 0",
            precision="exact (sympy)",
            statement={"psi_rule": "claim"}, control={"psi_rule": "no_inner_1_over_K"},
            control_description="ψ = H softmax(Hλ) (the 1/K inside the softmax dropped)",
            K=(2, 4, 8),
        ),
        Check(
            name="mpmath_50_digits", level=Level.NUMERIC, fn=mp_columns,
            description="50-digit mpmath: columns of the softmax of the logits formed directly vs columns of (1/K) H diag(ψ) H, random λ ∈ [-3K, 3K]^K, K = 2 .. 2^12",
            precision="mpmath 50 digits, max abs error <= 1e-45",
            statement={"psi_rule": "claim"}, control={"psi_rule": "no_inner_1_over_K"},
            control_description="ψ = H softmax(Hλ) (the 1/K inside the softmax dropped)",
            K=tuple(2**m for m in range(1, 13)),
        ),
        Check(
            name="random_lambda", level=Level.FUZZ, fn=fuzz_columns,
            description="hypothesis draws K <= 1024, λ with entries up to 10^3 in size and a column c; dense column softmax vs the fast-transform formula",
            precision="float64, max abs error <= 1e-10",
            statement={"psi_rule": "claim"}, control={"psi_rule": "no_inner_1_over_K"},
            control_description="ψ = H softmax(Hλ) (the 1/K inside the softmax dropped)",
            K=tuple(2**m for m in range(1, 11)),
        ),
        formal_check("coq_all_m", ["L_D_4.v"],
                     {"softmax_diagonalisation": "softmax_col((1/K) H diag(λ) H) = (1/K) H diag(ψ) H, ψ = H softmax(Hλ/K), exp replaced by any φ",
                      "xconv_diagonalised": "[f(i ⊕ c)]_{i,c} H = H diag(Hf): the XOR-convolution matrix is diagonalised by H, eigenvalues Hf",
                      "colnorm_xconv": "apply φ and divide by the column sum: [f(i ⊕ c)] goes to [g(i ⊕ c)], g = φ(f)/Σφ(f)",
                      "hadamard_square": "H H = K I"},
                     ["L_D_4.v"], ["no_inner_1_over_K_fails"],
                     for_all="all m, every λ and every φ in place of exp (over any numFieldType, e.g. the reals)",
                     control_description="ψ = H softmax(Hλ) (the 1/K inside the softmax dropped): Coq proves it false at K = 2, λ = (0, 1), φ(x) = 1 + x + x²",
                     control_why="the 1/K of Zbar = (1/K) H diag(λ) H is easily lost when the logits Hλ are formed"),
    ),
)
