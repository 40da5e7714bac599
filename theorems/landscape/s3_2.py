"""S3.2 (Sec. 3.2, Eq. 4 and the two displays after it): logit norms propagate exponentially in depth.

Statement.  Take all L + 1 factors ``H, W_1, ..., W_L`` of unit Frobenius norm, n = 1,
balanced, with r equal non-zero singular values.  Then the logit matrix has

    ||W_L ... W_1 H||_F = r^{-L/2};      DNC (r = K - 1):  (K-1)^{-L/2},

so a rank-r structure has normalised logits larger by ``((K-1)/r)^{L/2}``, exponential in L.

Proof mirrored here.  A balanced factor with r equal singular values s has
``||F||_F = sqrt(r) s = 1``, so ``s = r^{-1/2}``; balancedness (Eq. 2) gives ``Z^T Z = (H^T H)^{L+1}``
(induction on the factors, checked with non-commutative symbols), so the product has r singular values
``s^{L+1}`` and Frobenius norm ``sqrt(r) s^{L+1} = r^{-L/2}``.  The symbolic check runs this for symbolic r, L;
the numeric check builds DNC (balanced SVD factors of ``M_K``, random orthogonal
gauges, each factor normalised), the cross-polytope (r = K/2) and random rank-r
constructions ``W_l = Q_{l+1} S Q_l^T`` with random orthogonal ``Q_l`` and compares the
product's norm; the fuzz check draws (K, L, r, d, seeds).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Serves
from ncdepth.formal import formal_check
from numerics.constructions import cross_polytope_mean_logits, dnc_mean_logits, gauged_balanced_factors
from numerics.deep_ufm import random_orthogonal
from numerics.schatten import product

RTOL = 1e-10
WIDTH_EXTRA = 2  # numeric_constructions: width d = K + WIDTH_EXTRA
PAPER_EXPONENT = "-L/2"
WRONG_EXPONENT = "-(L + 1)/2"
_L = sp.Symbol("L", positive=True)
_r = sp.Symbol("r", positive=True)


def claimed_norm(r: int, L: int, exponent: str) -> float:
    """``r^{e(L)}``: the claimed Frobenius norm of the product (e = -L/2 in the paper)."""
    return float(sp.Integer(r) ** sp.sympify(exponent, locals={"L": _L}).subs(_L, L))


def unit_factors(factors: list[np.ndarray]) -> list[np.ndarray]:
    """Each factor divided by its Frobenius norm."""
    return [F / np.linalg.norm(F) for F in factors]


def random_equal_sv_factors(K: int, N: int, r: int, L: int, d: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``H = Q_1 S V^T``, ``W_l = Q_{l+1} S Q_l^T``, ``W_L = U S Q_L^T`` with S = diag(1_r, 0) (padded to each
    shape) and random orthogonal Q_l (d x d), U (K x K), V (N x N)."""
    S = np.zeros((d, d))
    S[np.arange(r), np.arange(r)] = 1.0
    if not 1 <= r <= min(K, N, d):
        raise ValueError(f"rank r={r} must lie in [1, min(K, N, d)] = [1, {min(K, N, d)}]")
    Q = [random_orthogonal(d, rng) for _ in range(L)]
    Sk = np.zeros((K, d))
    Sk[np.arange(r), np.arange(r)] = 1.0
    Sn = np.zeros((d, N))
    Sn[np.arange(r), np.arange(r)] = 1.0
    H = Q[0] @ Sn @ random_orthogonal(N, rng).T
    Ws = [Q[l] @ S @ Q[l - 1].T for l in range(1, L)]
    WL = random_orthogonal(K, rng) @ Sk @ Q[L - 1].T
    return [H] + Ws + [WL]


# --------------------------------------------------------------------------- symbolic
def _balanced_product_steps(ev: dict) -> bool:
    """Balanced factors (Eq. 2: W_{l+1}^T W_{l+1} = W_l W_l^T, W_1^T W_1 = H H^T) have Z^T Z = (H^T H)^{L+1}:
    induction on the factors with P_k = F_k ... F_0, P_k^T (F_k F_k^T)^m P_k = (H^T H)^{k+m+1}; base k = 0 is the
    word identity H^T (H H^T)^m H = (H^T H)^{m+1}, the step regroups F^T (F F^T)^m F = (F^T F)^{m+1} and swaps
    F_{k+1}^T F_{k+1} = F_k F_k^T.  So Z's singular values are those of H to the power L + 1."""
    X, XT, P, PT, Y, YT = (sp.Symbol(n, commutative=False) for n in ("X", "XT", "P", "PT", "Y", "YT"))
    base = all(sp.expand(XT * (X * XT) ** m * X - (XT * X) ** (m + 1)) == 0 for m in range(7))
    step = all(sp.expand(PT * XT * (X * XT) ** m * X * P - PT * (XT * X) ** (m + 1) * P) == 0
               and (PT * (XT * X) ** (m + 1) * P).subs(XT * X, Y * YT) == PT * (Y * YT) ** (m + 1) * P
               for m in range(6))
    # H with r equal singular values s: H^T H has eigenvalues s² (r times), (H^T H)^{L+1} has s^{2(L+1)}
    s, r, L = sp.Symbol("s", positive=True), sp.Symbol("r", positive=True), _L
    frob_sq = r * (s**2) ** (L + 1)
    ok_frob = sp.simplify(sp.sqrt(frob_sq) - sp.sqrt(r) * s ** (L + 1)) == 0
    ev["balanced => Z^T Z = (H^T H)^(L+1): base, step (m = 0..6)"] = [bool(base), bool(step)]
    ev["||Z||_F = sqrt(tr (H^T H)^(L+1)) = sqrt(r) s^(L+1)"] = bool(ok_frob)
    return base and step and ok_frob


def symbolic_norms(ctx: Context, exponent: str) -> Outcome:
    """sympy: balanced factors give ||Z||_F = sqrt(r) s^{L+1}; s = r^{-1/2} from ||F||_F = 1; compare with r^{e(L)}."""
    s = sp.Symbol("s", positive=True)
    K = sp.Symbol("K", positive=True)
    ev_steps: dict = {}
    steps_ok = _balanced_product_steps(ev_steps)
    s_unit = sp.solve(sp.Eq(sp.sqrt(_r) * s, 1), s)
    derived = sp.simplify(sp.sqrt(_r) * s_unit[0] ** (_L + 1))
    claimed = _r ** sp.sympify(exponent, locals={"L": _L})
    diff = sp.simplify(sp.powsimp(derived / claimed, force=True))
    ratio_dnc_over_r = sp.simplify(sp.powsimp((derived / derived.subs(_r, K - 1)) / (((K - 1) / _r) ** (_L / 2)),
                                              force=True))
    ev = {**ev_steps, "s (unit Frobenius)": [str(x) for x in s_unit], "derived ||product||_F": str(derived),
          "derived / claimed": str(diff), "(rank-r norm / DNC norm) / ((K-1)/r)^(L/2)": str(ratio_dnc_over_r)}
    if not steps_ok:
        return Outcome.undecided("the balanced-product induction did not reduce to identities in sympy", ev)
    if diff == 1 and ratio_dnc_over_r == 1:
        return Outcome.held(ev)
    for Lv in range(1, 6):
        for rv in range(2, 6):
            if sp.simplify(diff.subs({_L: Lv, _r: rv})) != 1:
                return Outcome.refuted({"L": Lv, "r": rv, "derived": str(derived.subs({_L: Lv, _r: rv})),
                                        "claimed": str(claimed.subs({_L: Lv, _r: rv}))}, ev)
    return Outcome.undecided("derived/claimed is not identically 1 but no small (L, r) separates them", ev)


# --------------------------------------------------------------------------- numeric
def numeric_constructions(ctx: Context, exponent: str) -> Outcome:
    """DNC, cross-polytope and random rank-r balanced constructions with unit factors vs r^{e(L)}."""
    rng = ctx.rng(52)
    rows = []
    worst = 0.0
    for K in ctx.K:
        for L in ctx.L:
            d = K + WIDTH_EXTRA
            cases = [("dnc", K - 1, gauged_balanced_factors(dnc_mean_logits(K), L, d, rng))]
            if K >= 3:
                Zcp = cross_polytope_mean_logits(K) if K % 2 == 0 else None
                if Zcp is not None:
                    cases.append(("cross_polytope", K // 2, gauged_balanced_factors(Zcp, L, d, rng)))
            for r in sorted({1, 2, max(1, K // 2)}):
                cases.append((f"random_rank_{r}", r, random_equal_sv_factors(K, K, r, L, d, rng)))
            for name, r, F in cases:
                Fu = unit_factors(F)
                got = float(np.linalg.norm(product(Fu)))
                want = claimed_norm(r, L, exponent)
                rel = abs(got - want) / want
                worst = max(worst, rel)
                rows.append({"K": K, "L": L, "construction": name, "rank": r, "norm": got, "claimed": want, "rel_err": rel})
                if rel > RTOL:
                    return Outcome.refuted({"K": K, "L": L, "construction": name, "rank": r, "norm": got,
                                            "claimed": want}, {"rows": rows[-5:]})
    dnc = {f"{r['K']},{r['L']}": r["norm"] for r in rows if r["construction"] == "dnc"}
    return Outcome.held({"worst_rel_err": worst, "cases": len(rows), "dnc_norm_by_K_L": dnc, "rtol": RTOL,
                         "width_extra": WIDTH_EXTRA, "n": 1, "normalised": "every factor to unit Frobenius norm"})


def fuzz_norms(ctx: Context, exponent: str) -> Outcome:
    """hypothesis over K, L, r, extra width and seeds: random orthogonal rank-r constructions."""
    strategy = st.tuples(st.sampled_from(ctx.K), st.sampled_from(ctx.L), st.integers(1, 12), st.integers(0, 3),
                         st.integers(0, 2**32 - 1))

    def prop(x):
        K, L, r, extra, seed = x
        r = min(r, K)
        rng = np.random.default_rng(seed)
        F = unit_factors(random_equal_sv_factors(K, K, r, L, K + extra, rng))
        got = float(np.linalg.norm(product(F)))
        want = claimed_norm(r, L, exponent)
        return abs(got - want) <= RTOL * want, {"norm": got, "claimed": want, "rank": r}

    res = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    if res.holds:
        return Outcome.held({"examples_run": res.examples_run, "rtol": RTOL})
    K, L, r, extra, seed = res.counterexample
    return Outcome.refuted({"K": K, "L": L, "rank": min(r, K), "width": K + extra, "seed": seed, **res.detail},
                           {"examples_run": res.examples_run})


_CONTROL_WHY = ("counting L + 1 factors in the exponent instead of the L products that shrink the norm (the first "
                "unit factor only sets the scale): the off-by-one between factors and weight matrices")

CHECKS = (
    Check(
        name="symbolic_norms", level=Level.SYMBOLIC, fn=symbolic_norms,
        description=("sympy, r and L symbolic: balanced factors give Z^T Z = (H^T H)^{L+1} (induction on the factors, "
                     "non-commutative words); unit norm forces s = r^{-1/2}; the product norm sqrt(r) s^{L+1} = "
                     "r^{-L/2}; ratio to DNC ((K-1)/r)^{L/2}."),
        precision="exact (sympy)",
        statement={"exponent": PAPER_EXPONENT},
        control={"exponent": WRONG_EXPONENT},
        control_description="norm r^{-(L+1)/2} (one factor too many in the exponent)",
        control_why=_CONTROL_WHY,
        for_all="all r >= 1, L >= 1 (K >= 2 for the DNC ratio)", method="sympy, induction on the factors",
        serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
    ),
    Check(
        name="numeric_constructions", level=Level.NUMERIC, fn=numeric_constructions,
        description=("DNC (balanced SVD factors of M_K, random orthogonal gauges), cross-polytope (K even, r = K/2) "
                     "and random rank-r (r in {1, 2, K/2}) equal-singular-value constructions, width K + 2, "
                     "each factor normalised: product norm vs r^{-L/2}."),
        precision="float64, rel 1e-10",
        statement={"exponent": PAPER_EXPONENT},
        control={"exponent": WRONG_EXPONENT},
        control_description="norm r^{-(L+1)/2}",
        control_why=_CONTROL_WHY,
        K=(2, 3, 4, 6, 8, 10), L=(1, 2, 3, 5, 8),
        serves=Serves(K_max=128, L_max=64, pair=lambda K, L, thorough: L * (K + 2) ** 3 <= 4 * 10**7,
                      pair_text="L (K+2)³ <= 4·10^7", cost="L random orthogonal (K+2) x (K+2) gauges per construction",
                      what="dense factors with Haar-type gauges"),
        method="float64 factor products",
    ),
    Check(
        name="fuzz_norms", level=Level.FUZZ, fn=fuzz_norms,
        description="hypothesis over K, L, rank r <= K, width K..K+3, random orthogonal bases.",
        precision="float64, rel 1e-10",
        statement={"exponent": PAPER_EXPONENT},
        control={"exponent": WRONG_EXPONENT},
        control_description="norm r^{-(L+1)/2}",
        control_why=_CONTROL_WHY,
        K=(2, 3, 5, 8, 12, 16), L=(1, 2, 3, 4, 6, 10),
        serves=Serves(K_max=32, L_max=32, cost="L random orthogonal (K+3)² gauges per example",
                      what="random rank-r factors"),
    ),
    formal_check("coq_all_r_l", ["S3_2.v"],
                 {"product_norm": "balanced factors (F_{l+1}^T F_{l+1} = F_l F_l^T), F_0 of unit Frobenius norm with r equal non-zero singular values: ||F_L...F_0||_F^2 r^L = 1, i.e. ||product||_F = r^{-L/2}",
                  "norm_ratio": "rank r vs DNC (r' = K-1): squared-norm ratio ((K-1)/r)^L"},
                 ["S3_2.v"], ["wrong_exponent_fails"], for_all="all K, L, r (squared norms; square factors, any commutative ring)",
                 description=("Coq (mathcomp): for balanced factors the Gram matrix of the product is (F_0^T F_0)^{L+1} "
                              "(induction on L), so ||F_L...F_0||_F^2 = tr((F_0^T F_0)^{L+1}) = s^{2L} = r^{-L}; stated for square "
                              "d x d factors (rectangular ones padded with zeros) and squared norms (take square roots for r^{-L/2})"),
                 control_description="norm r^{-(L+1)/2}: Coq exhibits factors (1/2) I_4, r = 4, L = 1 with squared norm 1/4, not 1/16",
                 control_why="counting L+1 factors gives the exponent -(L+1)/2; one factor's norm is absorbed by the unit normalisation"),
)

CLAIM = Claim(
    id="S3.2",
    title="Normalised logit norms: DNC (K-1)^{-L/2} vs rank r r^{-L/2}",
    statement=("With all L+1 factors of unit Frobenius norm, balanced with r equal singular values, and n = 1: "
               "||W_L...W_1 H||_F = r^{-L/2}; DNC (r = K-1) gives (K-1)^{-L/2}; the ratio ((K-1)/r)^{L/2} grows "
               "exponentially with depth."),
    latex=r"\|W_L\cdots W_1H\|_F=r^{-L/2},\qquad \|Z_{\rm DNC}\|_F=(K-1)^{-L/2}",
    reference="Sec. 3.2, Eq. (4) and the displays after it (balancedness: Eq. 2)",
    domain=Domain(K_min=2, L_min=1),
    checks=CHECKS,
)
