"""X-OPEN (beyond the paper): the cases T3.1 leaves open, by certified lower bounds on (P_L).

T3.1 decides DNC against the cross-polytope only where the cross-polytope wins; K = 3 (every L) and
(L = 2, K in {4, 5}) stay open, and X-PD's search only suggests that DNC is optimal there.  With the
Schatten form of (P_L) (Lemma D.7, Eq. 59; p = 2/(L+1), n samples per class)

    min (P_L) = ((L+1)/2) · inf { Σ_i σ_i(Z)^p : z_{ci}[c] - z_{ci}[c'] >= 1 for all c' != c },
    V_DNC     = ((L+1)/2) (K-1) n^{p/2}                      (numerics.constructions.pl_value),

this claim states what is PROVED (numerics/lower_bounds.py has the full argument):

(k3) K = 3, every L >= 1, every n >= 1: the global minimum of (P_L) is V_DNC; DNC is globally optimal.
     Proof.  Centring the columns (P = I - 11ᵀ/3) keeps the margins and does not increase any singular
     value, so take 1ᵀZ = 0 (rank <= 2).  At n = 1 a centred feasible Z is exactly
     z_c = -(u_c m_{c+1} + v_c m_{c+2}) with u_c, v_c >= 1 (its margins are u_c and v_c), and Cauchy-Binet
     gives σ_1²σ_2² = (1/3) Σ_c x_c², x_c = u_c u_{c+1} - u_c v_{c+1} + v_c v_{c+1}.  On each of the 8 sign
     regions of u_c - v_c the polynomial Σ x_c² - 3 minus an explicit sum of two squares has only
     non-negative coefficients in non-negative slack variables: Σ x_c² >= 3, i.e. σ_1σ_2 >= 1.  For n > 1
     sum over the n³ triples of columns (one per class).  AM-GM: σ_1^p + σ_2^p >= 2(σ_1σ_2)^{p/2} >= 2n^{p/2}.
     Only the Schatten identity L-D.7 (checked as its own claim) is used besides.
(bound) K >= 4, L >= 2 (n = 1): min (P_L) >= B(K, L), B = ((L+1)/2) · the larger of two certified relaxation
     minima of numerics.lower_bounds, both over the singular values σ_1 >= .. >= σ_{K-1} of the centred Z:
     (B) over (σ_1, σ_2): σ_1σ_2 >= 1 (from (k3) on any 3 classes), ||Z||_* >= K-1 (LP duality), σ_i <= σ_2;
     (S) over (ρ, σ_1..σ_{K-1}), ρ = ||Z - M_K||_F: ||Z||_* >= K-1+γρ (γ = 1/sqrt(K(K-1)), the cone of
     margin-non-negative directions), K-1+2γρ+ρ² <= ||Z||_F² <= K-1+2 sqrt(K-1) ρ+ρ², σ_1 <= 1+ρ (Weyl),
     Σ(σ_i-1)² <= ρ² (Mirsky, cited), σ_1σ_2 >= 1 and e_2(σ²) >= K(K-1)/6 (from (k3) on every triple).
     Each is minimised by best-first branch and bound on exact rational boxes with arb enclosures of
     monotone box bounds; a budget miss still leaves a valid (smaller) bound.  At (4, 2) and (5, 2) B is
     strictly below V_DNC (measured: 4.18901 vs 4.5 and 4.87521 vs 6, relative gaps 6.9% and 18.8%; the
     (S) search reaches the relaxation's optimum, so the gap is the relaxation's, not the budget's): the
     optimality of DNC there stays OPEN; the check reports the certified gap as INCONCLUSIVE, never PASS.
     It also reports a certified radius R: no feasible Z with ||PZ - M_K||_F < R beats DNC (Taylor + Mirsky
     on [0, r*], the sliced boxes above; R = 1.19 / 1.24 at (4, 2) and 0.51 / 0.78 at (5, 2) with the ci / thorough
     budgets); a better point must
     be farther away (the cross-polytope is at distance sqrt(3) for K = 4).

How the checks can fail.  (k3): the polynomial identities are compared exactly (sympy), the region
certificates must have no negative coefficient, and the implied bound is compared with (P_L) evaluated on
the explicit balanced factors of DNC (numerics.schatten, float64): a bound above that feasible value is a
broken bound and FAILS; random feasible matrices (n = 1, 2, not centred) must satisfy σ_1σ_2 >= n.
Negative control: the Cauchy-Binet scale 1 instead of 1/3 (|det[m_i, m_j]|² = 1/3 forgotten), which claims
σ_1σ_2 >= √3 and a bound above DNC's value.  (bound): B must lie below every feasible value it is compared
with (DNC's factors, the cross-polytope, random feasible points), else FAIL; negative control: the
objective scale L+1 of L-D.7's Σ||A_j||² without (P_L)'s ½, which puts B above DNC's feasible value.
The radius must stay below the distance of every known construction that beats DNC in the grid (the
cross-polytope where T3.1 says it wins), else FAIL.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from numerics.constructions import (
    cross_polytope_mean_logits,
    dnc_mean_logits,
    pl_value,
    singular_values_claimed,
)
from numerics.intervals import arb, ball_str, exact, working_precision
from numerics.lower_bounds import (
    centre_columns,
    dnc_optimality_radius,
    k3_cauchy_binet_identity,
    k3_margin_map,
    k3_region_certificates,
    min_column_margin,
    random_feasible_logits,
    relaxed_bound,
    sliced_relaxed_bound,
)
from numerics.schatten import balanced_factors, pl_objective, pl_value_of_logits, product

ARB_BITS = 128
FLOAT_REL_TOL = 1e-9        # float64 (P_L) values of feasible points are compared with this relative slack
RANDOM_POINTS = 40          # random feasible matrices per (K, n) for the sanity checks
BOX_BUDGET = {"ci": 20000, "thorough": 400000}          # (σ_1, σ_2) relaxation (converges in a few hundred)
SLICED_BOX_BUDGET = {"ci": 5000, "thorough": 30000}     # (ρ, σ_1..σ_{K-1}) relaxation (budget-limited)
RADIUS_BOX_BUDGET = {"ci": 4000, "thorough": 60000}      # the certified radius of optimality around DNC
BNB_TOLERANCE = Fraction(1, 10**6)


def _root_arb(x, q: int):
    """x^{1/q} for an exact rational x, as an arb ball."""
    return exact(Fraction(x)) ** (arb(1) / q)


def _rounded(x, digits: int, *, up: bool) -> str:
    """A decimal on the safe side of the ball x (down from its lower end, or up from its upper end)."""
    import math

    end = float(x.upper()) if up else float(x.lower())
    scaled = end * 10 ** digits
    q = math.ceil(scaled * (1 + 1e-15)) if up else math.floor(scaled * (1 - 1e-15) if scaled > 0 else scaled * (1 + 1e-15))
    return f"{q / 10 ** digits:.{digits}f}"


def _v_dnc_arb(K: int, L: int, n: int = 1):
    return pl_value(singular_values_claimed("dnc", K, n), L, _root_arb)


def _cross_polytopes(K: int) -> dict:
    if K % 2 == 0:
        return {"cross_polytope": cross_polytope_mean_logits(K)}
    return {f"cross_polytope_{sg}": cross_polytope_mean_logits(K, singleton=sg) for sg in ("plain", "centred")}


def _dnc_factor_value(K: int, L: int) -> float:
    """(P_L) objective ½ Σ ||F_j||² of DNC's explicit balanced factors (an independent feasible value)."""
    Zbar = dnc_mean_logits(K)
    factors = balanced_factors(Zbar, L)
    if min_column_margin(product(factors), np.arange(K)) < 1 - 1e-9:
        raise AssertionError("DNC's factors lost feasibility")  # a broken construction, not a finding
    return pl_objective(factors)


# --------------------------------------------------------------------------- (k3)
def k3_global_optimality(ctx: Context, minor_scale: str) -> Outcome:
    scale = Fraction(minor_scale)
    t0 = time.perf_counter()
    mm = k3_margin_map()
    u, v = mm["symbols"]
    margin_ok = mm["centred"] and all(
        {str(mm["margins"][(c, d)]) for d in range(3) if d != c} == {str(u[c]), str(v[c])} for c in range(3))
    if not margin_ok:
        return Outcome.refuted({"why": "the cone parametrisation does not have margins (u_c, v_c) or is not centred",
                                "margins": {f"{c}{d}": str(e) for (c, d), e in mm["margins"].items()}})
    ident = k3_cauchy_binet_identity(scale)
    if not ident["identity"]:
        return Outcome.refuted({"why": "Cauchy-Binet identity e_2(ZᵀZ) = scale · Σ x_c² is false",
                                "minor_scale": str(scale), "e2_at_dnc": str(ident["lhs_at_dnc"]),
                                "scale_times_sum_at_dnc": str(ident["rhs_at_dnc"]),
                                "nonzero_terms_of_difference": ident["difference_terms"]})
    target, regions = k3_region_certificates()
    region_rows = [{"signs": list(r.signs), "bad_index": r.bad_index, "monomials": r.terms,
                    "min_coefficient": str(r.min_coefficient), "certified": r.certified} for r in regions]
    t_symbolic = time.perf_counter() - t0
    if not all(r.certified for r in regions):
        return Outcome.undecided("a sign region has a negative coefficient: Σ x_c² >= F(1) not certified there",
                                 {"regions": region_rows})
    pdet_sq_bound = scale * Fraction(int(target.p), int(target.q))   # σ_1² σ_2² >= this (n = 1)
    # sanity on independent data: random feasible (uncentred) matrices, n = 1 and 2, float64 SVD
    rng = ctx.rng(3)
    worst = {}
    for n in (1, 2):
        ratios = []
        for _ in range(RANDOM_POINTS):
            Z, labels = random_feasible_logits(3, n, rng)
            s = np.linalg.svd(centre_columns(Z), compute_uv=False)
            ratios.append(float(s[0] * s[1] / n))
        worst[n] = min(ratios)
        if worst[n] < 1 - FLOAT_REL_TOL:
            return Outcome.refuted({"why": "a random feasible matrix has σ_1σ_2 < n", "n": n, "sigma1_sigma2_over_n": worst[n]})
    rows = []
    with working_precision(ARB_BITS):
        for i, L in enumerate(ctx.L):
            ctx.report(i / max(len(ctx.L), 1), f"X-OPEN k3 L={L}")
            # (P_L) >= ((L+1)/2) · 2 (σ_1σ_2)^{2/(L+1) / 2}, σ_1²σ_2² >= pdet_sq_bound
            bound = arb(L + 1) / 2 * 2 * _root_arb(pdet_sq_bound, 2 * (L + 1))
            v_dnc = _v_dnc_arb(3, L)
            feasible = _dnc_factor_value(3, L)
            row = {"L": L, "lower_bound": ball_str(bound), "V_DNC": ball_str(v_dnc), "dnc_factor_objective": feasible}
            rows.append(row)
            if bool(bound > arb(feasible) * (1 + FLOAT_REL_TOL)):
                return Outcome.refuted({"why": "the bound exceeds the (P_L) value of DNC's explicit factors (a feasible point): "
                                               "a broken bound", "L": L, "lower_bound": ball_str(bound),
                                        "dnc_factor_objective": feasible, "minor_scale": str(scale)},
                                       {"per_L": rows, "regions": region_rows})
            if not (pdet_sq_bound == 1 and bool(abs(bound - v_dnc) < arb(2) ** (-(ARB_BITS - 20)))):
                return Outcome.undecided(f"L={L}: bound {ball_str(bound)} is not V_DNC = {ball_str(v_dnc)}",
                                         {"per_L": rows})
    evidence = {"per_L": rows, "regions": region_rows, "pdet_squared_lower_bound_n1": str(pdet_sq_bound),
                "cauchy_binet_scale": str(scale), "sum_x_sq_certified_min": str(target),
                "random_feasible_min_sigma1_sigma2_over_n": worst, "random_points_per_n": RANDOM_POINTS,
                "symbolic_seconds": round(t_symbolic, 3), "arb_bits": ARB_BITS, "float_rel_tol": FLOAT_REL_TOL}
    return Outcome.held(evidence, note=f"K = 3: min (P_L) = V_DNC proved; the certificate is L-independent (ran L = {list(ctx.L)})")


# --------------------------------------------------------------------------- (bound)
def open_cases_lower_bound(ctx: Context, objective_scale: str) -> Outcome:
    """For each (K, L): certified B, sanity B <= feasible values, then held iff B >= V_DNC (else undecided, the gap)."""
    budget = BOX_BUDGET["thorough" if ctx.thorough else "ci"]
    sliced_budget = SLICED_BOX_BUDGET["thorough" if ctx.thorough else "ci"]
    radius_budget = RADIUS_BOX_BUDGET["thorough" if ctx.thorough else "ci"]
    rng = ctx.rng(11)
    rows, gaps = [], []
    pairs = ctx.KL_pairs()
    with working_precision(ARB_BITS):
        for i, (K, L) in enumerate(pairs):
            ctx.report(i / max(len(pairs), 1), f"X-OPEN bound K={K} L={L}")
            t0 = time.perf_counter()
            rb = relaxed_bound(K, L, nuclear_floor=Fraction(K - 1), max_boxes=budget, tolerance=BNB_TOLERANCE,
                               prec=ARB_BITS, report=lambda f, m: ctx.report((i + f) / len(pairs), m))
            t1 = time.perf_counter()
            sb = sliced_relaxed_bound(K, L, max_boxes=sliced_budget, prec=ARB_BITS,
                                      report=lambda f, m: ctx.report((i + f) / len(pairs), m))
            t2 = time.perf_counter()
            orad = dnc_optimality_radius(K, L, max_boxes=radius_budget, prec=ARB_BITS,
                                         report=lambda f, m: ctx.report((i + f) / len(pairs), m))
            seconds = {"sigma_relaxation": round(t1 - t0, 3), "sliced_relaxation": round(t2 - t1, 3),
                       "optimality_radius": round(time.perf_counter() - t2, 3)}
            scale = {"(L+1)/2": Fraction(L + 1, 2), "L+1": Fraction(L + 1)}[objective_scale]
            best_sum = rb.lower if bool(rb.lower >= sb.lower) else sb.lower   # both certified: keep the larger
            B = exact(scale) * best_sum
            V = _v_dnc_arb(K, L)
            feasible = {"DNC_factors": _dnc_factor_value(K, L)}
            for name, Zk in _cross_polytopes(K).items():
                feasible[name] = pl_value_of_logits(Zk, L)
            rand = []
            for _ in range(RANDOM_POINTS):
                Z, labels = random_feasible_logits(K, 1, rng)
                rand.append(pl_value_of_logits(Z, L))
            feasible["best_random_feasible"] = min(rand)
            # the radius must not reach any known feasible point that beats DNC (distance of its centred form)
            M = dnc_mean_logits(K)
            beating = [(name, float(np.linalg.norm(centre_columns(Zk) - M)))
                       for name, Zk in _cross_polytopes(K).items()
                       if pl_value_of_logits(Zk, L) < float(V.mid()) * (1 - FLOAT_REL_TOL)]
            for name, dist in beating:
                if dist < float(orad.radius) * (1 - FLOAT_REL_TOL):
                    return Outcome.refuted({"why": f"{name} beats DNC at distance {dist} < the certified radius: a broken radius",
                                            "K": K, "L": L, "radius": str(orad.radius), "distance": dist}, {"cells": rows})
            row = {"K": K, "L": L, "certified_lower_bound": ball_str(B), "V_DNC": ball_str(V),
                   "gap": ball_str(V - B), "relative_gap": ball_str((V - B) / V), "objective_scale": objective_scale,
                   "sigma_relaxation": {"lower_sum_sigma_p": ball_str(rb.lower), "finished": rb.finished,
                                        "boxes": rb.boxes_processed, "boxes_left": rb.boxes_left, "box_budget": budget,
                                        "tolerance": str(BNB_TOLERANCE), "sigma1_cut": str(rb.sigma1_max)},
                   "sliced_relaxation": {"lower_sum_sigma_p": ball_str(sb.lower), "boxes": sb.boxes_processed,
                                         "boxes_left": sb.boxes_left, "box_budget": sliced_budget,
                                         "rho_max": str(sb.rho_max), "rho_interval_of_lowest_box": sb.lowest_box_rho},
                   "optimality_radius": {"radius": str(orad.radius), "radius_float": float(orad.radius),
                                         "taylor_radius": str(orad.taylor_radius), "boxes": orad.boxes_processed,
                                         "box_budget": radius_budget, "budget_spent": orad.budget_spent,
                                         "known_better_points_at_distance": beating},
                   "feasible_values": feasible, "seconds": seconds}
            rows.append(row)
            for name, val in feasible.items():
                if bool(B > arb(val) * (1 + FLOAT_REL_TOL)):
                    return Outcome.refuted({"why": f"the certified bound exceeds a feasible (P_L) value ({name}): a broken bound",
                                            "K": K, "L": L, "lower_bound": ball_str(B), "feasible_value": val,
                                            "objective_scale": objective_scale}, {"cells": rows})
            if not bool(B >= V):
                gaps.append(f"K={K}, L={L}: certified lower bound {_rounded(B, 7, up=False)}, DNC value "
                            f"{V.mid().str(8, radius=False)}, gap <= {_rounded(V - B, 6, up=True)} "
                            f"(relative <= {_rounded((V - B) / V, 4, up=True)}); no feasible Z with "
                            f"||PZ - M_K||_F < {_rounded(exact(orad.radius), 4, up=False)} beats DNC")
    evidence = {"cells": rows, "arb_bits": ARB_BITS, "random_points_per_cell": RANDOM_POINTS,
                "float_rel_tol": FLOAT_REL_TOL}
    if gaps:
        return Outcome.undecided("DNC's global optimality is NOT proved; " + "; ".join(gaps), evidence)
    return Outcome.held(evidence, note="the certified bound reaches V_DNC")


CLAIM = Claim(
    id="X-OPEN",
    title="Beyond the paper: the open cases of T3.1 by certified lower bounds",
    statement=("(k3) For K = 3, every L >= 1 and every n >= 1, the global minimum of (P_L) equals V_DNC = ((L+1)/2)(K-1)n^{1/(L+1)}: "
               "DNC is globally optimal. (bound) For K >= 4, L >= 2 (n = 1), min (P_L) >= B(K, L), a certified lower bound "
               "(the larger of two relaxations over the singular values); "
               "at (K, L) = (4, 2), (5, 2) DNC's global optimality would need B = V_DNC, which this relaxation does not reach "
               "(reported as the certified gap)."),
    latex=(r"K=3:\ \sigma_1(Z)\sigma_2(Z)\ge n\ \Rightarrow\ \sum_i\sigma_i^{2/(L+1)}\ge 2n^{1/(L+1)};\quad "
           r"K\ge4:\ \min(P_L)\ge B(K,L)=\tfrac{L+1}{2}\min_{\sigma\in\mathcal R_K}\sum_i\sigma_i^{2/(L+1)}"),
    reference="Beyond the paper (Thm 3.1 leaves K = 3 and L = 2, K in {4, 5} undecided; Lemma D.7, Eq. 59; X-PD)",
    domain=Domain(K_min=3, L_min=1),
    parts=(Part("k3", "K = 3: DNC globally optimal for every L and n"),
           Part("bound", "K >= 4: a certified lower bound on min (P_L), and the gap to V_DNC")),
    depends_on=("L-D.7",),
    uncovered=("the Schatten identity (Lemma D.7) is used, checked as L-D.7; Mirsky's singular-value inequality is cited",),
    checks=(
        Check(
            name="k3_global_optimality", level=Level.SYMBOLIC, fn=k3_global_optimality,
            description=("n = 1 machine-checked, n > 1 by the written triple-summing argument (random n = 2 points "
                         "checked): sympy, exact: the cone parametrisation of centred feasible columns (margins u_c, v_c), the "
                         "Cauchy-Binet identity σ_1²σ_2² = (1/3) Σ x_c², and Σ x_c² >= 3 on all 8 sign regions (explicit "
                         "two-square term + non-negative coefficients); then per L the AM-GM bound in arb against V_DNC "
                         "and against (P_L) on DNC's explicit balanced factors; random feasible 3 x 3n matrices (n = 1, 2) "
                         "as an independent float check of σ_1σ_2 >= n"),
            precision=f"exact rationals (sympy); arb {ARB_BITS} bits; float64 sanity with relative slack {FLOAT_REL_TOL}",
            statement={"minor_scale": "1/3"},
            control={"minor_scale": "1"},
            control_description="Cauchy-Binet scale 1 instead of 1/3: claims σ_1σ_2 >= √3 and a bound above DNC's value",
            control_why=("|det[m_i, m_j]|² = (2/3 · sin 120°)² = 1/3 for the DNC columns is easy to drop when the "
                         "minors are written in the u, v coordinates; the resulting bound is above a feasible value"),
            K=(3,), L=(1, 2, 3, 5, 8), thorough_L=tuple(range(1, 33)),
            serves=Serves(K_min=3, K_max=3, what="K = 3 only (the certificate itself is L-independent)"),
            covers=("k3",), for_all="K = 3, all L >= 1, all n >= 1 (n > 1: the written counting step)", method="exact polynomial certificate + AM-GM",
        ),
        Check(
            name="open_cases_lower_bound", level=Level.CERTIFIED, fn=open_cases_lower_bound,
            description=("best-first branch and bound on exact rational boxes, (σ_1, σ_2) and (ρ, σ_1..σ_{K-1}), arb "
                         "enclosures of monotone box bounds; B (the larger) compared with (P_L) of DNC's explicit factors, the cross-polytope and random "
                         "feasible points (B above any of them FAILS); PASS only if B >= V_DNC, else INCONCLUSIVE with "
                         "the certified gap"),
            precision=(f"exact rational boxes, arb {ARB_BITS} bits; box budgets {BOX_BUDGET} (σ_1, σ_2) and "
                       f"{SLICED_BOX_BUDGET} (ρ, σ); (σ_1, σ_2) tolerance {BNB_TOLERANCE}"),
            statement={"objective_scale": "(L+1)/2"},
            control={"objective_scale": "L+1"},
            control_description="(P_L) = (L+1) Σ σ^p (L-D.7's Σ||A_j||² without the ½ of (P_L)): B above DNC's feasible value",
            control_why=("L-D.7 is stated for Σ ||A_j||², (P_L) carries ½ in front; carrying the identity over without "
                         "the ½ doubles every bound"),
            K=(4, 5), L=(2,), thorough_K=(4, 5, 6, 7), thorough_L=(2, 3, 4),
            serves=Serves(K_min=4, K_max=5, K_max_thorough=8, L_min=2, L_max=2, L_max_thorough=8,
                          cost="the sliced box budget per (K, L), in K dimensions", what="K >= 4, L >= 2, n = 1"),
            covers=("bound",), method="exact-box branch and bound (relaxation; a gap, not a proof)",
            open_problem=("whether DNC is the global optimum of (P_L) at (K, L) = (4, 2) and (5, 2) is open "
                          "(the paper leaves it open); the check certifies a lower bound and the gap to V_DNC"),
        ),
    ),
    notes=("Not a claim of the paper. The K = 3 proof closes the K = 3 case T3.1 leaves open; (4, 2) and (5, 2) remain open "
           "(X-PD's search suggests DNC is optimal there)."),
)
