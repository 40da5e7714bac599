"""L-D.4 (Lemma D.4, stated in App. D.7, used in App. D.3): the column softmax of a Hadamard-diagonal logit matrix.

Statement.  For ``K = 2^m`` and any ``λ ∈ R^K``, let ``Zbar = (1/K) H diag(λ) H``.
Then the column-wise softmax of ``Zbar`` is again Hadamard-diagonal:

    softmax_col(Zbar) = (1/K) H diag(ψ) H,     ψ = H softmax(H λ / K).

Proof mirrored here.  Column c of ``Zbar`` is ``z_c[i] = (1/K) Σ_k H[i,k] H[k,c] λ_k``
``= (1/K) Σ_k H[i ⊕ c, k] λ_k = f(i ⊕ c)`` with ``f = Hλ/K`` (L-D.5, H symmetric),
so ``softmax(z_c)[i] = g(i ⊕ c)``, ``g = softmax(f)``.  On the other side
``((1/K) H diag(ψ) H)[i, c] = (1/K) (H ψ)[i ⊕ c] = (1/K)(H H g)[i ⊕ c] = g(i ⊕ c)``
because ``H H = K I``.

Checks: for every m, the proof above in the group algebra of F_2^m
(:func:`numerics.hadamard_symbolic.softmax_diagonalisation_proof`), each rewrite a lemma
proved by induction on the Sylvester doubling; sympy proves the matrix identity with
symbolic λ for K = 2, 4, 8 (every entry's difference cancels to 0); mpmath at 50 digits
compares, for K up to 2^12, columns of the softmax computed directly from the logits against
columns of ``(1/K) H diag(ψ) H``; hypothesis draws K, λ (logit gaps up to 10^3) and c in
float64; and a second hypothesis search puts the float64 softmax of numerics.softmax (the
one every other check uses) where it can break: batches of Hadamard logit matrices side by
side with logit gaps from 10^-3 to 10^4, offsets up to ±10^4 and very different column
scales, against a 50-digit route that shares no code with it.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Serves
from ncdepth.formal import formal_check
from numerics.hadamard import fwht, fwht_mp, sylvester, sylvester_entry
from numerics.hadamard_symbolic import K_SYM, doubling_lemmas, softmax_diagonalisation_proof
from numerics.softmax import cross_entropy_sum, log_softmax, softmax

# ψ as stated, and the negative control: the same formula without the 1/K inside.
PSI_SCALE = {"claim": lambda K: K, "no_inner_1_over_K": lambda K: 1}


# ---------------------------------------------------------------- for every m
PSI_SCALE_SYMBOLIC = {"claim": K_SYM, "no_inner_1_over_K": 1}


def group_algebra_proof(ctx: Context, psi_rule: str) -> Outcome:
    """For every m: both sides rewrite to ``Circ(softmax(Hλ/K))`` (module docstring), each step a doubling lemma."""
    lemmas = doubling_lemmas()
    broken = [k for k, v in lemmas.items() if not v["holds"]]
    if broken:
        raise RuntimeError(f"doubling lemma(s) {broken} did not verify")
    proof = softmax_diagonalisation_proof(PSI_SCALE_SYMBOLIC[psi_rule])
    evidence = {"lemmas": {k: {"statement": v["statement"], "induction_step_residuals": v["step_residuals"]}
                           for k, v in lemmas.items()},
                "rewrite_steps": [{"side": a, "rule": b, "expression": c} for a, b, c in proof["steps"]],
                "lhs_normal_form": proof["lhs"], "rhs_normal_form": proof["rhs"]}
    if proof["equal"]:
        return Outcome.held(evidence)
    # The normal forms differ: Circ is injective, so the claim says softmax(Hλ/K) = softmax(Hλ/scale) for all λ.
    # A concrete instance decides it: K = 2, λ = (0, 1/2), entry (0, 0) of both sides, exactly.
    K = 2
    H = sp.Matrix(sylvester(K).tolist())
    lam = [sp.Integer(0), sp.Rational(1, 2)]
    Zbar = H * sp.diag(*lam) * H / K
    col = [sp.exp(Zbar[i, 0]) for i in range(K)]
    lhs = col[0] / sum(col)
    f = H * sp.Matrix(lam) / PSI_SCALE[psi_rule](K)
    e = [sp.exp(x) for x in f]
    psi = H * sp.Matrix([x / sum(e) for x in e])
    rhs = (H * sp.diag(*psi) * H / K)[0, 0]
    diff = sp.simplify(lhs - rhs)
    if diff == 0:
        return Outcome.undecided("the normal forms differ but the K = 2 instance agrees", evidence)
    return Outcome.refuted({"K": K, "lambda": ["0", "1/2"], "entry": [0, 0], "softmax_side": str(sp.simplify(lhs)),
                            "claimed_side": str(sp.simplify(rhs)), "difference": str(sp.N(diff, 30))}, evidence)


# ---------------------------------------------------------------- symbolic instances
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
        ctx.report(len(residuals) / len(ctx.K), f"K={K}")
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


LAMBDA_WIDTH = 3  # λ ∈ [-3K, 3K]^K in the 50-digit check


def mp_columns(ctx: Context, psi_rule: str, dps: int = 50, tol: str = "1e-45") -> Outcome:
    rng = ctx.rng(4)
    worst = {}
    with mpmath.workdps(dps):
        tolerance = mpmath.mpf(tol)
        for K in ctx.K:
            lam = [mpmath.mpf(float(x)) for x in rng.uniform(-LAMBDA_WIDTH * K, LAMBDA_WIDTH * K, size=K)]
            columns = sorted({0, K - 1, int(rng.integers(K)), int(rng.integers(K))})
            err = mpmath.mpf(0)
            for c in columns:
                a = _column_direct(lam, c, K)
                b = _column_predicted(lam, c, K, PSI_SCALE[psi_rule](K))
                err = max(err, max(abs(x - y) for x, y in zip(a, b)))
            worst[K] = mpmath.nstr(err, 5)
            ctx.report(len(worst) / len(ctx.K), f"K={K}")
            if err > tolerance:
                return Outcome(False, {"max_abs_error": worst, "dps": dps, "tolerance": tol},
                               counterexample={"K": K, "columns": columns, "max_abs_error": mpmath.nstr(err, 8),
                                               "lambda_seed": [ctx.seed, 4]})
    return Outcome(True, {"max_abs_error": worst, "dps": dps, "tolerance": tol, "lambda_range_over_K": [-LAMBDA_WIDTH, LAMBDA_WIDTH],
                          "lambda_seed": [ctx.seed, 4]}, figures=[_error_figure(worst, tol)])


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
FUZZ_SCALES = (1.0, 10.0, 1000.0)  # λ entries up to 10^3 in size


def fuzz_columns(ctx: Context, psi_rule: str, rtol: float = 1e-10) -> Outcome:
    Ks = sorted(ctx.K)

    @st.composite
    def draws(draw):
        K = draw(st.sampled_from(Ks))
        scale = draw(st.sampled_from(FUZZ_SCALES))
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
    ev = {"examples_run": r.examples_run, "K_drawn_from": Ks, "tolerance": rtol, "lambda_scales": list(FUZZ_SCALES)}
    if r.holds:
        return Outcome(True, ev)
    K, scale, lam, c = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "scale": scale, "lambda": lam, "column": c, **r.detail})


# ---------------------------------------------------------------- float softmax at extreme logits
EPS = float(np.finfo(float).eps)
TINY = 1e-290  # below this a float64 softmax entry may underflow; only its smallness is compared
REF_DPS = 50
GAP_EXPONENTS = (-3.0, 4.0)  # a block's logit range is 10^x, x drawn from this interval
OFFSETS = (0.0, 1e2, -1e2, 1e3, -1e3, 1e4, -1e4)  # common shift of a block's logits (mode 0)
BLOCKS = (1, 4)  # Hadamard logit matrices side by side in one batch
ALL_COLUMNS_UP_TO = 16  # blocks with K <= this are compared column by column in full


def _reference_mp(lam: np.ndarray, columns: list[int], scale: int) -> tuple[dict, mpmath.mpf]:
    """Columns of (1/K) H diag(ψ) H, ψ = H g, g = softmax(Hλ/scale), and its diagonal entry, at 50 digits.

    Shares no code with numerics.softmax: g by mpmath exp and an exact sum (fsum) on the
    unshifted formula (mpmath's exponent range makes a shift unnecessary).  The matrix is
    re-associated exactly, not approximated: ``(1/K) H diag(H g) H = Σ_j g_j M_j`` with
    ``M_j[i, c] = (1/K) Σ_k H[i,k] H[k,c] H[k,j]`` computed in integers, so no entry is formed
    by cancelling large terms (``1 - tanh(50)`` would need 50 digits just to reach e^-100).
    The diagonal entry is ``Σ_j g_j (1/K) Σ_k H[k,j]``, same for every column.
    """
    K = lam.size
    lam_mp = [mpmath.mpf(float(x)) for x in lam]
    f = [x / scale for x in fwht_mp(lam_mp)]
    e = [mpmath.exp(x) for x in f]
    tot = mpmath.fsum(e)
    g = [x / tot for x in e]
    out = {}
    for c in columns:
        h_c = sylvester(K)[:, c] if K <= 2048 else np.array([sylvester_entry(k, c, K) for k in range(K)])
        # T[i, j] = Σ_k H[i,k] h_c[k] H[k,j], exact integers (two fast transforms of diag(h_c))
        T = fwht(fwht(np.diag(h_c).astype(np.int64), axis=0), axis=1)
        col = []
        for i in range(K):
            nz = np.nonzero(T[i])[0]
            col.append(mpmath.fsum(int(T[i, j]) * g[j] for j in nz) / K)
        out[c] = col
    colsum = fwht(np.ones(K, dtype=np.int64))  # Σ_k H[k, j] (H symmetric)
    diag_entry = mpmath.fsum(int(colsum[j]) * g[j] for j in np.nonzero(colsum)[0]) / K
    return out, diag_entry


def float_softmax_extremes(ctx: Context, psi_rule: str) -> Outcome:
    """Batches of Hadamard logit matrices with gaps 1e-3..1e4, offsets ±1e4, mixed column scales.

    The float64 softmax, log-softmax and cross-entropy of numerics.softmax run on the whole
    K x (K·B) batch at once (axis 0); columns of every block (all of them for K <= 16, else
    0, K-1 and one more) are compared with the 50-digit L-D.4 prediction.  Tolerance from the
    float64 rounding of the logits themselves: an entry of Zbar is off by at most
    δ = 4 ε Σ_k |λ_k| (two K-term sums), which moves a softmax entry by a relative 2δ and a
    log-softmax entry by 2δ; plus 64 ε (|log p| + 1) for the evaluation.
    """
    Ks = sorted(ctx.K)

    @st.composite
    def draws(draw):
        K = draw(st.sampled_from(Ks))
        blocks = []
        for _ in range(draw(st.integers(*BLOCKS))):
            gap_exp = draw(st.floats(*GAP_EXPONENTS))
            offset = draw(st.sampled_from(OFFSETS))
            mu = draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=K, max_size=K))
            blocks.append((gap_exp, offset, mu))
        extra_col = draw(st.integers(0, K - 1))
        return K, blocks, extra_col

    def prop(x):
        K, blocks, extra_col = x
        H = sylvester(K).astype(float)
        lams, mats = [], []
        for gap_exp, offset, mu in blocks:
            mu = np.asarray(mu, dtype=float)
            mu[0] = 0.0
            spread = float(np.ptp(fwht(mu) / K)) or 1.0
            # divide first: mu / spread is bounded by K (the entries of Hμ/K sum to μ_0 = 0, so their spread is at least
            # their largest modulus), while 10^gap / spread overflows to inf for a subnormal spread (K = 2, μ_1 ~ 1e-310)
            lam = (mu / spread) * 10.0**gap_exp
            lam[0] = K * offset  # mode 0 shifts every logit of the block by `offset`
            lams.append(lam)
            mats.append(H @ np.diag(lam) @ H / K)
        Zb = np.concatenate(mats, axis=1)  # columns of very different scale side by side
        P = softmax(Zb, axis=0)
        LP = log_softmax(Zb, axis=0)
        ce = cross_entropy_sum(Zb, np.tile(np.arange(K), len(blocks)))
        if not (np.all(np.isfinite(P)) and np.all(np.isfinite(LP)) and np.isfinite(ce)):
            bad = np.argwhere(~(np.isfinite(P) & np.isfinite(LP)))
            return False, {"error": "non-finite softmax / log-softmax / cross-entropy",
                           "first_bad_entry": bad[0].tolist() if bad.size else None}
        worst = {"softmax_rel": 0.0, "log_softmax_abs": 0.0, "cross_entropy_abs": 0.0}
        with mpmath.workdps(REF_DPS):
            ce_ref, ce_tol = mpmath.mpf(0), 0.0
            for b, lam in enumerate(lams):
                delta = 4 * EPS * float(np.sum(np.abs(lam)))
                cols = list(range(K)) if K <= ALL_COLUMNS_UP_TO else sorted({0, K - 1, extra_col})
                ref, diag_entry = _reference_mp(lam, cols, PSI_SCALE[psi_rule](K))
                if diag_entry <= 0:
                    return False, {"error": "reference label probability not positive", "block": b}
                log_diag = mpmath.log(diag_entry)
                ce_ref -= K * log_diag
                ce_tol += K * (2 * delta + 64 * EPS * (abs(float(log_diag)) + 1))
                for c, col in ref.items():
                    j = b * K + c
                    for i, p_ref in enumerate(col):
                        if p_ref <= 0:
                            return False, {"error": "reference probability not positive", "block": b, "entry": [i, c],
                                           "reference": mpmath.nstr(p_ref, 10)}
                        log_ref = mpmath.log(p_ref)
                        lp_tol = 2 * delta + 64 * EPS * (abs(float(log_ref)) + 1)
                        e_lp = abs(float(LP[i, j] - log_ref))
                        worst["log_softmax_abs"] = max(worst["log_softmax_abs"], e_lp / lp_tol)
                        if e_lp > lp_tol:
                            return False, {"quantity": "log_softmax", "block": b, "entry": [i, c], "float": float(LP[i, j]),
                                           "reference": mpmath.nstr(log_ref, 20), "tolerance": lp_tol}
                        if p_ref > TINY:
                            e_p = abs(float((P[i, j] - p_ref) / p_ref))
                            p_tol = 2 * delta + 64 * EPS
                            worst["softmax_rel"] = max(worst["softmax_rel"], e_p / p_tol)
                            if e_p > p_tol:
                                return False, {"quantity": "softmax", "block": b, "entry": [i, c], "float": float(P[i, j]),
                                               "reference": mpmath.nstr(p_ref, 20), "tolerance_rel": p_tol}
                        elif P[i, j] > 1e-280:
                            return False, {"quantity": "softmax", "block": b, "entry": [i, c], "float": float(P[i, j]),
                                           "reference": mpmath.nstr(p_ref, 20), "note": "should underflow"}
            e_ce = abs(float(ce - ce_ref))
            worst["cross_entropy_abs"] = e_ce / ce_tol
            if e_ce > ce_tol:
                return False, {"quantity": "cross_entropy_sum", "float": ce, "reference": mpmath.nstr(ce_ref, 20),
                               "tolerance": ce_tol}
        ctx.check_budget("softmax fuzz")
        return True, {"worst_error_over_tolerance": worst}

    r = search(draws(), prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": Ks, "gap_exponents": list(GAP_EXPONENTS),
          "offsets": list(OFFSETS), "blocks_per_batch": list(BLOCKS), "reference_dps": REF_DPS, "tiny": TINY,
          "eps": EPS, "all_columns_up_to_K": ALL_COLUMNS_UP_TO}
    if r.holds:
        return Outcome.held(ev)
    K, blocks, extra_col = r.counterexample
    return Outcome.refuted({"K": K, "blocks": [{"gap_exponent": g, "offset": o, "mu": m} for g, o, m in blocks],
                            "extra_column": extra_col, **r.detail}, ev)


_CONTROL = {"psi_rule": "no_inner_1_over_K"}
_CONTROL_TEXT = "ψ = H softmax(Hλ) (the 1/K inside the softmax dropped)"
_CONTROL_WHY = ("Zbar = (1/K) H diag(λ) H carries its 1/K outside the diagonal; moving it there and forgetting it "
                "inside ψ (writing ψ = H softmax(Hλ)) is the slip the notation invites")

CLAIM = Claim(
    id="L-D.4",
    title="Softmax of a Hadamard-diagonal logit matrix is Hadamard-diagonal",
    statement="For Zbar = (1/K) H diag(λ) H (K = 2^m), the column-wise softmax of Zbar equals (1/K) H diag(ψ) H with ψ = H softmax(Hλ/K).",
    latex=r"\operatorname{softmax}\big(\tfrac1K H\,\mathrm{diag}(\lambda)H\big) = \tfrac1K H\,\mathrm{diag}(\psi)H,\ \ \psi = H\operatorname{softmax}(H\lambda/K)",
    reference="Lemma D.4, stated in App. D.7 (from Thm 1 of Garrod et al. 2025); used in the proof of Thm 4.2, App. D.3",
    domain=Domain(uses_L=False, K_min=2, K_power_of_two=True),
    depends_on=("L-D.5",),
    checks=(
        Check(
            name="group_algebra_all_m", level=Level.SYMBOLIC, fn=group_algebra_proof,
            description=("for every m: (1/K) H diag(μ) H = Circ(Hμ/K) with Circ(φ)[i, c] = φ(i ⊕ c), the column softmax of "
                         "Circ(φ) is Circ(softmax φ) (x -> x ⊕ c is a bijection), and H H = K I; both sides rewrite to "
                         "Circ(softmax(Hλ/K)).  Each rewrite is a lemma proved by induction on the Sylvester doubling "
                         "(base case H_1 and the symbolic induction step, in numerics.hadamard_symbolic)"),
            precision="exact (sympy), no K instantiated",
            statement={"psi_rule": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            for_all="all K = 2^m", method="induction on the Sylvester doubling + group-algebra rewriting",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="symbolic_lambda", level=Level.SYMBOLIC, fn=symbolic_identity,
            description="sympy with symbolic λ ∈ R^K and the dense matrices: every entry of softmax_col(Zbar) - (1/K) H diag(ψ) H cancels to 0",
            precision="exact (sympy)",
            statement={"psi_rule": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=(2, 4, 8), thorough_K=(2, 4, 8, 16),
            serves=Serves(K_max=16, K_max_thorough=32, cost="K² symbolic softmax entries", what="dense symbolic instances"),
            method="dense symbolic matrices",
        ),
        Check(
            name="mpmath_50_digits", level=Level.NUMERIC, fn=mp_columns,
            description="50-digit mpmath: columns of the softmax of the logits formed directly vs columns of (1/K) H diag(ψ) H, random λ ∈ [-3K, 3K]^K, K = 2 .. 2^10 (2^12 thorough)",
            precision="mpmath 50 digits, max abs error <= 1e-45",
            statement={"psi_rule": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=tuple(2**m for m in range(1, 11)), thorough_K=tuple(2**m for m in range(1, 13)),
            serves=Serves(K_max=2**12, K_max_thorough=2**14, cost="K log K 50-digit operations per column",
                          what="50-digit columns"),
            method="mpmath 50 digits",
        ),
        Check(
            name="random_lambda", level=Level.FUZZ, fn=fuzz_columns,
            description="hypothesis draws K <= 1024, λ with entries up to 10^3 in size and a column c; dense column softmax vs the fast-transform formula",
            precision="float64, max abs error <= 1e-10",
            statement={"psi_rule": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=tuple(2**m for m in range(1, 11)),
            serves=Serves(K_max=2**11, cost="a dense K x K Hadamard matrix per example", what="dense float64 columns"),
            method="hypothesis",
        ),
        Check(
            name="float_softmax_extreme_logits", level=Level.FUZZ, fn=float_softmax_extremes,
            description=("numerics.softmax (softmax, log_softmax, cross_entropy_sum, axis 0) on batches of 1-4 Hadamard logit "
                         "matrices side by side, each with logit gap 10^x (x in [-3, 4]) and offset in {0, ±1e2, ±1e3, ±1e4}: "
                         "columns of very different scale in one call; sampled columns against the 50-digit prediction of "
                         "L-D.4 (mpmath, no shared code), relative error within the rounding of the logits"),
            precision="float64 vs mpmath 50 digits; tolerance 2δ + 64ε(|log p| + 1), δ = 4ε Σ|λ|",
            statement={"psi_rule": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=(2, 4, 8, 16, 64), thorough_K=(2, 4, 8, 16, 64, 256, 1024),
            serves=Serves(K_max=2**10, cost="a dense K x 4K batch and 3 50-digit columns per block", what="float softmax fuzz"),
            method="hypothesis vs mpmath",
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
