"""T3.1, step 5: at L = 1 the problem is a convex nuclear-norm program and DNC is its global optimum."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import sympy as sp

from ncdepth.registry import BudgetExhausted, Context, Outcome
from numerics.symbolic_zero import zero_or_witness
from numerics.certificates import exact_margins, nuclear_norm_ball, nuclear_norm_bracket
from numerics.constructions import cross_polytope_mean_logits, dnc_mean_logits, logits_of, pl_value, singular_values_claimed
from numerics.deep_ufm import class_labels
from numerics.intervals import arb, exact, working_precision

from ._common import _cp_kind


CLARABEL_SETTINGS = {"solver": "CLARABEL", "tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12}
MAX_DENOMINATOR = 10**8  # multipliers and primal rounded to fractions with denominators up to this
CERT_PREC = 200  # bits


def _solve_l1(K: int, n: int):
    import cvxpy as cp

    N = K * n
    labels = class_labels(K, n)
    Y = np.zeros((K, N))
    Y[labels, np.arange(N)] = 1.0
    Z = cp.Variable((K, N))
    own = cp.sum(cp.multiply(Y, Z), axis=0)
    con = cp.multiply(1 - Y, cp.reshape(own, (1, N), order="C") - Z) >= 1 - Y
    prob = cp.Problem(cp.Minimize(cp.normNuc(Z)), [con])
    prob.solve(**CLARABEL_SETTINGS)
    if prob.status != "optimal":
        raise BudgetExhausted(f"CLARABEL ended with status {prob.status!r} at K={K}, n={n} (not 'optimal')")
    return Z.value, con.dual_value, float(prob.value), labels


def l1_nuclear_norm_certificate(ctx: Context, claimed_optimum: str) -> Outcome:
    """L = 1: CLARABEL + rigorous bracket; the claimed optimal construction's value must lie in it."""
    rows = []
    ns = (1, 2)
    for a, K in enumerate(ctx.K):
        for n in ns:
            ctx.report(a / len(ctx.K), f"K={K}, n={n}")
            t0 = time.perf_counter()
            Zs, mu, val, labels = _solve_l1(K, n)
            t_solve = time.perf_counter() - t0
            br = nuclear_norm_bracket(Zs, mu, labels, max_denominator=MAX_DENOMINATOR, prec=CERT_PREC)
            t_cert = time.perf_counter() - t0 - t_solve
            Zbar = dnc_mean_logits(K) if claimed_optimum == "dnc" else cross_polytope_mean_logits(K)
            kind = "dnc" if claimed_optimum == "dnc" else _cp_kind(K, "plain")
            with working_precision(CERT_PREC):
                claimed = arb(1) * pl_value(singular_values_claimed(kind, K, n), 1,
                                            root=lambda x, q: exact(Fraction(x)).sqrt())
                # certainly inside [lower end of the lower-bound ball, upper end of the upper-bound ball]
                inside = bool(claimed >= br["lower"].lower()) and bool(claimed <= br["upper"].upper())
                width = br["upper"].upper() - br["lower"].lower()
                # DNC itself is exactly feasible (margins 1, checked in fractions); its nuclear norm enclosed
                # rigorously (charpoly roots of the exact Gram n M_K): a second rigorous upper bound
                dnc_exact = logits_of(dnc_mean_logits(K, exact_arith=True), n)
                dnc_feasible = min(exact_margins(dnc_exact, labels)) >= 1
                v_dnc = nuclear_norm_ball(dnc_exact, CERT_PREC)
                gap_dnc = v_dnc - br["lower"]
            Zc = logits_of(Zbar, n)
            shape_err = float(np.linalg.norm(Zs - Zc) / np.linalg.norm(Zc))
            row = {"K": K, "n": n, "solver_value": val, "claimed_value": claimed.mid().str(17),
                   "certified_lower": br["lower"].lower().str(17), "certified_upper": br["upper"].upper().str(17),
                   "bracket_width": float(width.upper()), "repair_factor": str(br["repair_factor"]),
                   "V_DNC_minus_certified_lower": float(gap_dnc.upper()), "dnc_exactly_feasible": dnc_feasible,
                   "distinct_rounded_multipliers": br["distinct_multipliers"],
                   "solver_Z_vs_claimed_shape_rel": shape_err, "solve_s": round(t_solve, 3), "certify_s": round(t_cert, 3)}
            rows.append(row)
            if not inside or shape_err > 1e-5 or float(width.upper()) > 1e-7 or float(gap_dnc.upper()) > 1e-9 \
                    or not dnc_feasible:
                return Outcome(False, {"rows": rows}, counterexample={"K": K, "n": n, "L": 1,
                                                                      "claimed": claimed_optimum, **row})
    return Outcome.held({"rows": rows, "solver": dict(CLARABEL_SETTINGS), "max_denominator": MAX_DENOMINATOR,
                         "precision_bits": CERT_PREC,
                         "certificate": "rounded multipliers + repaired primal, flint charpoly roots"},
                        established={"K": list(ctx.K), "L": [1], "n": list(ns)})


def l1_uniform_dual_all_K(ctx: Context, claimed_optimum: str) -> Outcome:
    """sympy, K and n symbolic: uniform multipliers μ = 1/(K sqrt n) certify V_DNC = (K-1) sqrt(n) at L = 1.

    Matrices are polynomials in J = 1 1^T (K x K) reduced with J² = K J.  Column i of
    ``G = Σ μ ∇a`` is ``μ Σ_{c' != c} (e_c - e_c') = μ (K e_c - 1)``, i.e. ``G = μ (K I - J) ⊗ 1_n^T``;
    ``G G^T = n μ² (K I - J)²`` must reduce to the projector ``M_K = I - J/K`` (so ||G||_op = 1 for K >= 2),
    and weak duality gives ``||Z||_* >= Σ μ = μ K n (K - 1)`` for every feasible Z.
    """
    K, n = sp.symbols("K n", positive=True)
    J, I = sp.symbols("J I")  # I the identity (commuting symbols: every matrix here is a polynomial in J)
    mu = 1 / (K * sp.sqrt(n))

    def reduce(expr):  # reduce modulo J^2 = K J, then I * anything = anything
        poly = sp.Poly(sp.expand(expr.subs(I, 1)), J)
        return sp.simplify(sp.rem(poly.as_expr(), J ** 2 - K * J, J))

    G_core = mu * (K * I - J)
    gram = reduce(n * G_core ** 2)
    projector = reduce(1 - J / K)
    is_projector = sp.simplify(reduce(projector ** 2) - projector) == 0
    dual_value = sp.simplify(mu * K * n * (K - 1))
    kind = "dnc" if claimed_optimum == "dnc" else "cp_even"
    claimed = sp.simplify(pl_value(singular_values_claimed(kind, K, n), 1, lambda x, q: sp.sqrt(x)))
    ev = {"G G^T": str(gram), "M_K": str(projector), "G G^T - M_K": str(sp.simplify(gram - projector)),
          "M_K^2 = M_K": bool(is_projector), "dual bound sum(mu)": str(dual_value),
          "claimed optimum value": str(claimed), "claimed - dual bound": str(sp.simplify(claimed - dual_value))}
    certificate = zero_or_witness(gram - projector)[0] is True and is_projector
    same, witness = zero_or_witness(claimed - dual_value)
    if certificate and same is True:
        ev["conclusion"] = ("for every K >= 2, n >= 1: ||Z||_* >= (K-1) sqrt(n) on the feasible set, attained by DNC: "
                            "DNC is the global optimum at L = 1")
        return Outcome(True, ev)
    if certificate and same is False:  # the certified optimum differs from the claimed value at an explicit (K, n)
        return Outcome(False, ev, counterexample={"claimed": str(claimed), "certified optimum": str(dual_value),
                                                 "claimed_minus_certified_at": witness})
    return Outcome.undecided("not shown: sympy did not reduce " + ("the certificate (G G^T = M_K, M_K² = M_K)"
                             if not certificate else "the claimed value minus the dual bound") + " to 0", ev)

