"""L-D.3 (Lemma D.3, stated in App. D.7; used in App. D.2): the largest Σ cos 2θ_k with every gap >= δ.

Statement.  For K >= 3 angles with every circular gap >= δ, 0 < δ <= 2π/K,

    max Σ_k cos(2θ_k) = 2 sin(Kδ/2) / sin δ                 (K even),
                      = sin(Kδ/2) / sin(δ/2)                 (K odd, δ <= 2π/(K+1)),
                      = -sin(Kδ) / sin δ                     (K odd, 2π/(K+1) < δ <= 2π/K),

attained by two clusters of spacing δ centred at 0 and π (sizes ceil(K/2), floor(K/2)), resp. (third
line) by one run of K angles at spacing δ.  The third line is DERIVED here (it did not survive in the
paper text).  Maximising Σ cos 2θ_k over rotations is maximising |Σ e^{2iθ_k}|, the quantity T3.2's
reduced objective needs.

Proof (for every K >= 3 and δ; each step is a sympy or z3 check of ``exchange_proof``, see proof.py).
Write S(m) = sin(mδ)/sin δ, r = K mod 2, V12 = 2 sin(Kδ/2) cos(rδ/2)/sin δ, V3 = -sin(Kδ)/sin δ.
The feasible set is compact: take a maximiser θ* of F = Σ cos 2θ_k.  If δ = 2π/K it is the K-gon and
F = 0 = formula.  Otherwise cut θ* into runs (maximal blocks at spacing exactly δ; free gaps > δ).
1. A run of m at spacing δ centred at c sums to e^{2ic} S(m) (geometric series, symbolic m).
2. Each run can be translated a little (its free gaps exceed δ): ε = 0 maximises Re(e^{2iε} Z) + const,
   so Im Z = 0 <= Re Z: the run contributes |S(m)|, and it is centred at 0 or π if mδ < π ("pos"), at
   π/2 or 3π/2 if π < mδ < 2π ("neg"); mδ = π ("zero") contributes 0.
3. Geometry (z3, every δ): a neg run admits no other run; two zero runs, or a zero run beside pos runs at
   0 and at π, or two runs with one centre, do not fit.  So θ* is (a) one neg run of K, F = V3; (b) a
   zero run and at most one pos run, F = V3 or 0; (c) pos runs of a + b = K at 0 and π.
4. (c): F = 2 sin(Kδ/2) cos((a-b)δ/2)/sin δ <= V12, as |a - b| >= r and |a-b|δ/2 < π/2.  And
   V3 - V12 = -2 sin(Kδ/2)(cos(Kδ/2) + cos(rδ/2))/sin δ <= 0 iff (K + r)δ <= 2π.  Hence F <= V12
   for K even or K odd with δ <= 2π/(K+1), and F <= V3 beyond.
5. Both bounds are attained (two clusters at 0 and π; one run centred at π/2), feasibly for all δ <= 2π/K.
6. V12 = 2 sin(Kδ/2)/sin δ (K even) and sin(Kδ/2)/sin(δ/2) (K odd); V3 is the third line.

The run decomposition replaces the paper's compression step (App. D.7: the points of each half-circle
pushed towards 0 resp. π, the clusters then taken as centred there); it also covers runs whose sine
factor is negative and runs that straddle the half-circles' boundary.  Independent routes (cross-checks on finite ranges): the derived optimisers are
feasible in exact rationals and attain the forms in arb (K = 3..12); a multi-start global search over all
gap vectors finds nothing higher (K = 3..12); an arb branch-and-bound over all gap vectors bounds
|Σ e^{2iθ}|² (K = 3, 4, fixed δ, with an additive slack).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from numerics.circle_codes import (
    ARB,
    angles_from_gaps,
    certify_cos2_upper_bound,
    exact_gaps_from_angles,
    ld3_closed_form,
    ld3_optimal_gaps,
    ld3_regime,
    max_cos2_search,
    sum_cos2,
    sum_exp2i_abs_sq,
)
from numerics.intervals import arb, working_precision

from . import proof as _proof

# --------------------------------------------------------------------------- formulas
# formula(K, delta, lib, regime) -> value; "claimed" is L-D.3 with the derived third case.


def _flipped_cluster(K, delta, lib=math, regime=None):
    """Claimed forms, but on 2π/(K+1) < δ the negative cluster is 'flipped' (rotated by π/2):
    (sin((K-1)δ/2) - sin((K+1)δ/2))/sin δ = -cos(Kδ/2)/cos(δ/2).  Infeasible: a wrong derivation."""
    if regime is None:
        regime = "even" if K % 2 == 0 else ("odd_two_clusters" if float(delta) <= 2 * math.pi / (K + 1) else "odd_single_run")
    if regime == "odd_single_run":
        return -lib.cos(K * delta / 2) / lib.cos(delta / 2)
    return ld3_closed_form(K, delta, lib, regime)


def _one_cluster(K, delta, lib=math, regime=None):
    """All K angles in ONE run at spacing δ, |sin(Kδ)/sin δ|: the value of 'put every angle as close
    to 0 as possible', forgetting that cos 2θ has period π (angles near π are as good)."""
    v = lib.sin(K * delta) / lib.sin(delta)
    return abs(v)


FORMULAS: dict[str, Callable] = {
    "claimed": ld3_closed_form,
    "flipped_cluster": _flipped_cluster,
    "one_cluster": _one_cluster,
}


def _derived(K: int, q: Fraction) -> tuple[list[Fraction], Fraction]:
    """Gaps and first angle (units of π): clusters centred at 0 and π, or (odd K beyond 2π/(K+1)) the
    run centred at π/2."""
    gaps = ld3_optimal_gaps(K, q)
    if ld3_regime(K, q) == "odd_single_run":
        return gaps, Fraction(1, 2) - q * Fraction(K - 1, 2)
    return gaps, -q * Fraction((K + 1) // 2 - 1, 2)


def _single_run(K: int, q: Fraction) -> tuple[list[Fraction], Fraction]:
    """One run of K angles at spacing δ for every δ, centred at π/2 (or at 0 where its sum is positive)."""
    centre = Fraction(0) if K * q < 1 else Fraction(1, 2)
    return [q] * (K - 1) + [2 - (K - 1) * q], centre - q * Fraction(K - 1, 2)


CONSTRUCTIONS: dict[str, Callable[[int, Fraction], tuple[list[Fraction], Fraction]]] = {
    "derived": _derived,  # two clusters at 0 and π; one run for odd K beyond 2π/(K+1)
    "single_run": _single_run,  # one run of K angles for every δ
}

# δ as fractions of 2π/K: small, middle, near the odd junction 2π/(K+1), and the K-gon end.
DELTA_FRACTIONS = (Fraction(1, 50), Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(9, 10),
                   Fraction(19, 20), Fraction(99, 100), Fraction(1))


def _delta_grid(K: int, thorough: bool) -> list[Fraction]:
    """δ/π values (exact): the fixed fractions of 2/K plus the junction 2/(K+1) and its neighbours."""
    fr = set(DELTA_FRACTIONS) | {Fraction(K, K + 1)}
    if thorough:
        fr |= {Fraction(i, 40) for i in range(1, 41)} | {Fraction(K, K + 1) * Fraction(1001, 1000)}
    return sorted({f * Fraction(2, K) for f in fr if 0 < f * Fraction(2, K) <= Fraction(2, K)})


def _delta(q: Fraction):
    return arb.pi() * q.numerator / q.denominator


# --------------------------------------------------------------------------- the proof (steps in proof.py)
def exchange_proof(ctx: Context, formula: str) -> Outcome:
    """Steps 1-6 of the docstring's proof for the given formula (see proof.exchange_proof)."""
    return _proof.exchange_proof(ctx, formula)


# --------------------------------------------------------------------------- numeric
def global_search(ctx: Context, formula: str) -> Outcome:
    """Multi-start search over all gap vectors vs the formula, for every K and δ of the grid.

    A refutation is a configuration found above the formula, rounded to exact rational gaps >= δ and
    certified above it in arb.  A search that stays below the formula is undecided (a search failing
    to reach a value proves nothing)."""
    F = FORMULAS[formula]
    rng = ctx.rng(3)
    settings = {"starts": 256 if ctx.thorough else 64, "polish": 4, "steps": 300, "ftol": 1e-15, "maxiter": 500}
    tol = 1e-8
    rows, worst, short = [], 0.0, []
    for i, K in enumerate(ctx.K):
        for q in _delta_grid(K, ctx.thorough):
            delta = float(q) * math.pi
            regime = ld3_regime(K, q)
            cf = float(F(K, delta, math, regime))
            nm, theta = max_cos2_search(K, delta, rng, **settings)
            rows.append({"K": K, "delta_over_pi": str(q), "regime": regime,
                         "closed_form": cf, "numeric_max": nm, "difference": nm - cf})
            worst = max(worst, abs(nm - cf))
            if nm > cf + tol * max(1.0, abs(cf)):
                gaps = exact_gaps_from_angles(theta, q)
                with working_precision(128):
                    val_sq = sum_exp2i_abs_sq(gaps) if gaps else None
                    f = F(K, _delta(q), ARB, regime)
                    certified = gaps is not None and (bool(f < 0) or (bool(f >= 0) and bool(val_sq > f * f)))
                    if certified:
                        return Outcome.refuted({
                            "K": K, "delta_over_pi": str(q), "formula": f.str(20, radius=True),
                            "configuration_gaps_over_pi": [str(g) for g in gaps],
                            "abs_sum_exp2i_squared": val_sq.str(20, radius=True),
                            "why": "a feasible configuration (exact rational gaps >= δ) above the formula, certified in arb"},
                            {"cases": rows, "search": settings, "tolerance": tol})
                short.append({"K": K, "delta_over_pi": str(q), "why": "above the formula in float64, not certified"})
            elif nm < cf - tol * max(1.0, abs(cf)):
                short.append({"K": K, "delta_over_pi": str(q), "closed_form": cf, "numeric_max": nm})
        ctx.report((i + 1) / len(ctx.K), f"L-D.3 search K={K}")
    evidence = {"cases": rows, "max_abs_difference": worst, "tolerance": tol, "search": settings}
    if short:
        return Outcome.undecided(f"the search did not settle {len(short)} case(s) (first: {short[0]})", evidence)
    return Outcome.held(evidence)


# --------------------------------------------------------------------------- certified
def attained_certified(ctx: Context, construction: str) -> Outcome:
    """The construction's gaps are exact rationals >= δ summing to 2π; at its stated rotation Σ cos 2θ_k
    equals the claimed form, and so does |Σ e^{2iθ}| (no rotation does better), within 2^-150 in arb."""
    build = CONSTRUCTIONS[construction]
    rows = []
    bits, eps_exp = 200, 150
    with working_precision(bits):
        eps = arb(2) ** -eps_exp
        for i, K in enumerate(ctx.K):
            for q in _delta_grid(K, ctx.thorough):
                regime = ld3_regime(K, q)
                gaps, start = build(K, q)  # units of π, exact
                feasible = all(g >= q for g in gaps) and sum(gaps) == 2
                value_sq = sum_exp2i_abs_sq(gaps)
                rotated = sum_cos2(angles_from_gaps([_delta(g) for g in gaps], _delta(start), ARB), ARB)
                claimed = ld3_closed_form(K, _delta(q), ARB, regime)
                row = {"K": K, "delta_over_pi": str(q), "regime": regime, "feasible_exact": feasible,
                       "first_angle_over_pi": str(start), "sum_cos2_at_rotation": rotated.str(25, radius=True),
                       "abs_sum_exp2i_squared": value_sq.str(25, radius=True), "closed_form": claimed.str(25, radius=True)}
                rows.append(row)
                if not feasible:
                    bad = min(range(len(gaps)), key=lambda k: gaps[k])
                    return Outcome.refuted({**row, "gaps_over_pi": [str(g) for g in gaps], "gap_index": bad,
                                            "why": f"gap {gaps[bad]}·π < δ: the construction is infeasible"}, {"cases": rows})
                if (bool(value_sq > claimed * claimed) or bool(value_sq < claimed * claimed) or bool(claimed < 0)
                        or bool(rotated > claimed) or bool(rotated < claimed)):
                    return Outcome.refuted({**row, "gaps_over_pi": [str(g) for g in gaps],
                                            "why": "the construction's value differs from the closed form (certified)"},
                                           {"cases": rows})
                if not (bool(abs(value_sq - claimed * claimed) < eps) and bool(abs(rotated - claimed) < eps)):
                    return Outcome.undecided(f"K={K}, δ/π={q}: value and closed form not separated nor equal within 2^-{eps_exp} "
                                             f"at {bits} bits", {"cases": rows})
            ctx.report((i + 1) / len(ctx.K), f"L-D.3 attained K={K}")
    return Outcome.held({"cases": rows, "precision_bits": bits, "equality_within": f"2^-{eps_exp}", "cases_certified": len(rows)})


BNB_MAX_BOXES = 60000
BNB_SLACK = "1e-4"  # times K², absolute, on |Σ e^{2iθ}|²


def upper_bound_certified(ctx: Context, formula: str) -> Outcome:
    """arb branch-and-bound over ALL gap vectors (stick-breaking cube, mean-value bounds, monotonicity
    test): |Σ e^{2iθ_k}|² <= formula² + slack·K² at each δ of the grid.  A certified feasible point
    above that bound refutes; a box budget that runs out is undecided."""
    F = FORMULAS[formula]
    rows = []
    bits = 64
    done = [0]

    def progress(boxes: int) -> None:
        ctx.report(done[0] / max(1, total), f"L-D.3 B&B {boxes} boxes")

    Ks = list(ctx.K)
    grids = {K: [q for q in _delta_grid(K, False) if q >= Fraction(1, 4) * Fraction(2, K)] for K in Ks}
    total = sum(len(g) for g in grids.values())
    with working_precision(bits):
        for K in Ks:
            tol = arb(BNB_SLACK) * K * K
            for q in grids[K]:
                regime = ld3_regime(K, q)
                value = F(K, _delta(q), ARB, regime)
                status, boxes, witness = certify_cos2_upper_bound(K, q, value ** 2, tol, max_boxes=BNB_MAX_BOXES,
                                                                   progress=progress)
                row = {"K": K, "delta_over_pi": str(q), "regime": regime, "formula_value": value.str(15, radius=True),
                       "bound_on_sum_sq": f"formula^2 + {BNB_SLACK}*K^2", "status": status, "boxes": boxes}
                rows.append(row)
                done[0] += 1
                ev = {"cases": rows, "precision_bits": bits, "max_boxes": BNB_MAX_BOXES, "slack_times_K2": BNB_SLACK}
                if status == "refuted":
                    return Outcome.refuted({**row, "witness": witness}, ev)
                if status == "undecided":
                    return Outcome.undecided(f"K={K}, δ/π={q}: {witness['reason']} after {boxes} boxes "
                                             f"({done[0] - 1} of {total} cases proved)", ev)
    fracs = sorted({q * Fraction(K, 2) for K in Ks for q in grids[K]})
    return Outcome.held({"cases": rows, "precision_bits": bits, "max_boxes": BNB_MAX_BOXES, "slack_times_K2": BNB_SLACK},
                        established={"K": Ks, "delta": f"∈ {len(fracs)} points, δ/(2π/K) ∈ {{{', '.join(map(str, fracs))}}} "
                                                       f"(up to an additive slack {BNB_SLACK}·K² on |Σe^{{2iθ}}|²)"})


def _figure(rows):
    from reports.figures import render

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        for K in (3, 4, 5, 8, 9):
            ds = np.linspace(1e-3, 2 * math.pi / K, 300)
            line, = ax.plot(ds * K / (2 * math.pi), [ld3_closed_form(K, d) / K for d in ds], label=f"K={K}")
            pts = [(float(Fraction(r["delta_over_pi"])) * K / 2, r["numeric_max"] / K) for r in rows if r["K"] == K]
            if pts:
                ax.plot(*zip(*pts), "o", ms=3, color=line.get_color())
            if K % 2:
                ax.axvline(K / (K + 1), color="grey", lw=0.4)
        ax.set_xlabel("δ / (2π/K)")
        ax.set_ylabel("max Σ cos 2θ_k / K")
        ax.legend(fontsize=7)
    return render("L-D.3 closed forms vs search", draw,
                  "Lines: closed forms (normalised by K); dots: the multi-start search maximum; grey: odd-K junctions 2π/(K+1).")


def global_search_with_figure(ctx: Context, formula: str) -> Outcome:
    out = global_search(ctx, formula)
    if out.holds:
        out.figures.append(_figure(out.evidence["cases"]))
    return out


PARTS = (
    Part("maximum", "max Σ cos 2θ_k over K angles with every circular gap >= δ equals the three closed forms"),
    Part("optimiser", "the maximum is attained by two clusters of spacing δ centred at 0 and π (K odd, δ > 2π/(K+1): "
                      "one run of K angles at spacing δ)"),
)

CLAIM = Claim(
    id="L-D.3",
    title="Two clusters maximise Σ cos 2θ under a minimum circular gap",
    statement=("For K >= 3 angles with every circular gap >= δ, 0 < δ <= 2π/K, max Σ cos(2θ_k) is "
               "2 sin(Kδ/2)/sin δ (K even), sin(Kδ/2)/sin(δ/2) (K odd, δ <= 2π/(K+1)) and "
               "-sin(Kδ)/sin δ (K odd, δ > 2π/(K+1); derived here: one run of K angles at spacing δ), attained by two "
               "clusters of spacing δ centred at 0 and π (resp. that run)."),
    latex=(r"\max_{\mathrm{gaps}\ge\delta}\sum_k\cos 2\theta_k=\begin{cases}\frac{2\sin(K\delta/2)}{\sin\delta}&K\ \mathrm{even}\\"
           r"\frac{\sin(K\delta/2)}{\sin(\delta/2)}&K\ \mathrm{odd},\ \delta\le\frac{2\pi}{K+1}\\"
           r"-\frac{\sin K\delta}{\sin\delta}&K\ \mathrm{odd},\ \delta>\frac{2\pi}{K+1}\end{cases}"),
    reference="Lemma D.3, stated and proved in App. D.7; used in the proof of Thm 3.2 (App. D.2, Eq. 31-32)",
    domain=Domain(uses_L=False, K_min=3),
    parts=PARTS,
    checks=(
        Check(
            name="exchange_proof", level=Level.SYMBOLIC, fn=exchange_proof,
            description=("the exchange argument for every K >= 3 and δ ∈ (0, 2π/K]: run sums (sympy, symbolic m); "
                         "a locally optimal run is centred at 0/π or π/2/3π/2 and contributes |S(m)| (sympy); which runs "
                         "fit together on the circle (z3, linear real arithmetic with π, δ, Kδ unknown); the value bounds "
                         "and their comparison (sympy identities, z3 ranges); attainment; the claimed forms equal the "
                         "derived maximum (sympy, K = 2m, 2m+1)"),
            precision="exact (sympy identities, z3 decisions over the reals and integers); a refutation is certified in arb, 128 bits",
            statement={"formula": "claimed"},
            control={"formula": "flipped_cluster"},
            control_description=("third case 'flipped': -cos(Kδ/2)/cos(δ/2) (the negative cluster rotated by π/2 to make "
                                 "its contribution positive); step 6 finds it above the proved maximum"),
            control_why=("Case 2 of the paper's proof has one cluster with a negative sine factor; rotating that cluster "
                         "by π/2 makes its contribution positive and gives this value, but the rotated clusters overlap "
                         "(the gap between them is π/2 - (K-2)δ/2 < δ)"),
            serves=Serves(what="symbolic proof (one for all K)"),
            covers=("maximum", "optimiser"),
            for_all="all K >= 3 and δ ∈ (0, 2π/K]",
            method="exchange argument: sympy + z3",
        ),
        Check(
            name="attained_certified", level=Level.CERTIFIED, fn=attained_certified,
            description=("the derived optimiser has exact rational gaps (units of π) >= δ summing to 2π; its |Σ e^{2iθ}|² "
                         "equals the closed form squared within 2^-150 in arb (a certified attained value)"),
            precision="arb, 200 bits; exact Fractions for feasibility",
            statement={"construction": "derived"},
            control={"construction": "single_run"},
            control_description="one run of K angles at spacing δ for every δ (the third case's optimiser used throughout)",
            control_why=("the single run is the optimiser near δ = 2π/K for odd K; taking it as the optimiser everywhere "
                         "misses that two clusters do better while both sine factors are positive"),
            K=tuple(range(3, 13)), thorough_K=tuple(range(3, 65)),
            serves=Serves(K_max=4096, what="exact gaps and one arb sum per δ", cost="K arb cosines per δ"),
            covers=("optimiser",), method="arb, exact rational gaps",
        ),
        Check(
            name="global_search", level=Level.NUMERIC, fn=global_search_with_figure,
            description=("multi-start projected-gradient ascent + SLSQP polish over all gap vectors (gaps >= δ, Σ = 2π, plus "
                         "a rotation; no cluster structure assumed) against the closed forms, δ across (0, 2π/K] incl. the "
                         "junction; a configuration above the formula is rounded to exact gaps and certified in arb"),
            precision="float64; |numeric - closed| <= 1e-8 max(1, |closed|); refutations certified in arb, 128 bits",
            statement={"formula": "claimed"},
            control={"formula": "one_cluster"},
            control_description="|sin(Kδ)/sin δ|: all K angles in one run at spacing δ (one cluster at 0)",
            control_why=("'Σ cos 2θ is largest with every angle near 0' forgets that cos 2θ has period π: angles near π are "
                         "as good, so two clusters beat one"),
            K=tuple(range(3, 13)), thorough_K=tuple(range(3, 17)),
            serves=Serves(K_max=16, K_max_thorough=24, what="multi-start search, K + 1 variables",
                          cost="starts x K per step; SLSQP ~K³"),
            covers=("maximum",), method="multi-start search",
        ),
        Check(
            name="upper_bound_certified", level=Level.CERTIFIED, fn=upper_bound_certified,
            description=("arb branch-and-bound over every gap vector (K = 3, 4; δ at grid points from 2π/(4K) to 2π/K incl. "
                         "the junction): |Σ e^{2iθ}|² <= closed form² + 1e-4 K², an upper bound independent of the proof"),
            precision=f"arb 64 bits; absolute slack {BNB_SLACK}·K² on |Σ e^{{2iθ}}|²; at most {BNB_MAX_BOXES} boxes per case",
            statement={"formula": "claimed"},
            control={"formula": "one_cluster"},
            control_description="|sin(Kδ)/sin δ| (one cluster): the B&B certifies a feasible configuration above it",
            control_why=("'Σ cos 2θ is largest with every angle near 0' forgets that cos 2θ has period π, so angles near π "
                         "are as good"),
            K=(3, 4),
            serves=Serves(K_min=3, K_max=4, what="branch-and-bound in K - 1 dimensions",
                          cost="boxes ~ (1/slack)^((K-1)/2); K = 5 exceeds the box budget"),
            covers=("maximum",), method="arb branch-and-bound, fixed δ, additive slack",
        ),
    ),
    notes=("Proved for every K >= 3 and δ ∈ (0, 2π/K] by the exchange argument (exchange_proof). The certified "
           "attainment (K <= 12, exact gaps), the global search (K <= 12) and the branch-and-bound (K = 3, 4, fixed δ, "
           "additive slack 1e-4 K²) are independent cross-checks on finite ranges. Used by T3.2."),
)
