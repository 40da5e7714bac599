"""L1-SADDLE (Sec. 2, citing Ji et al. 2022): at L = 1 the critical points other than DNC are saddles.

Statement.  For the shallow max-margin problem (P_1) (Eq. 3 with L = 1: minimise ½(||W||² + ||H||²)
subject to every margin >= 1) DNC is the global minimum and every other critical (KKT) point is a
saddle: not a local minimum.

What is shown here.  (1) For every feasible point θ* = (W*, H*) with objective V* above V_DNC
(= (K-1)√n·... the DNC value) there is an explicit continuous feasible curve θ(t), θ(0) = θ*, along
which the objective falls strictly:

    θ(t) = ( [√(1-t) W*, √t W_D],  [√(1-t) H*; √t H_D] )      (the two factorisations side by side)

with (W_D, H_D) a balanced DNC factorisation.  Its product is (1-t) Z* + t Z_DNC, feasible because
margins are linear in Z; its objective is exactly (1-t) V* + t V_DNC < V* for t ∈ (0, 1].  It needs
width d >= rank(Z*) + K - 1 (room for the DNC block; gauge θ* into its first rank(Z*) coordinates);
for symmetric PSD Z* (all structures below but the odd cross-polytope) the curve
``W = H = ((1-t) Z* + t M_K)^{1/2}`` does the same at width d = K.  So at L = 1 no feasible point
other than those of value V_DNC is a local minimum.  (2) The structures the paper discusses are
critical points (KKT residual 0, numerics.kkt) with V* > V_DNC: the equal-block sub-simplices
blockdiag of (k/(k-1)) M_k over K/k groups (k = 2 is the cross-polytope), the K-gon circle codes
of T3.2 and the centred odd cross-polytope (K >= 5; at K = 3 it is not critical).  Hence each is a saddle.  (The plain odd
cross-polytope is not a critical point: residual ~0.15; it is not listed.)

Why depth matters (the controls).  At depth L the same side-by-side curve has objective
``(1-t)^{2/(L+1)} V* + t^{2/(L+1)} V_DNC``, which RISES for small t once L >= 2 (t^{2/3} >> t): the
new DNC directions cost more than they return.  That is the mechanism by which depth makes
low-rank critical points local minima (T3.1: the cross-polytope beats DNC at depth).

Not covered: that these classes exhaust the critical points of (P_1) is Ji et al.'s theorem.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from numerics.constructions import (cross_polytope_mean_logits, dnc_mean_logits, gauged_balanced_factors, logits_of)
from numerics.intervals import arb, working_precision
from numerics.kkt import kkt_residual
from numerics.landscape import pd_kgon_mean_logits

_t = sp.Symbol("t", positive=True)


def side_by_side_symbolic(ctx: Context, depth: int) -> Outcome:
    """Block algebra of the side-by-side curve at depth L (sympy BlockMatrix), and its objective near t = 0."""
    L = depth
    a, b = sp.symbols("a b", positive=True)
    K, N, d1, d2 = sp.symbols("K N d1 d2", positive=True, integer=True)
    Fs = [sp.MatrixSymbol(f"S{j}", K if j == L else d1, N if j == 0 else d1) for j in range(L + 1)]
    Fd = [sp.MatrixSymbol(f"D{j}", K if j == L else d2, N if j == 0 else d2) for j in range(L + 1)]
    blocks = []
    for j in range(L + 1):
        if j == 0:
            blocks.append(sp.BlockMatrix([[a * Fs[0]], [b * Fd[0]]]))
        elif j == L:
            blocks.append(sp.BlockMatrix([[a * Fs[L], b * Fd[L]]]))
        else:
            blocks.append(sp.BlockMatrix([[a * Fs[j], sp.ZeroMatrix(d1, d2)], [sp.ZeroMatrix(d2, d1), b * Fd[j]]]))
    prod = blocks[0]
    for B in blocks[1:]:
        prod = sp.block_collapse(B * prod)
    Zs, Zd = Fs[0], Fd[0]
    for j in range(1, L + 1):
        Zs, Zd = Fs[j] * Zs, Fd[j] * Zd
    expected = a ** (L + 1) * Zs + b ** (L + 1) * Zd
    diff = sp.simplify(sp.block_collapse(prod) - expected)
    product_identity = diff == sp.ZeroMatrix(K, N) or getattr(diff, "is_ZeroMatrix", False)
    Vs, Vd = sp.symbols("V_s V_D", positive=True)
    J = (1 - _t) ** sp.Rational(2, L + 1) * Vs + _t ** sp.Rational(2, L + 1) * Vd  # a², b² with a^{L+1} = 1-t
    slope = sp.limit((J - Vs) / _t, _t, 0, "+")
    evidence = {"depth": L, "product of the side-by-side factors": str(sp.block_collapse(prod)),
                "product identity (a^{L+1} Z* + b^{L+1} Z_DNC)": bool(product_identity),
                "objective along the curve": str(J), "right derivative at t = 0": str(slope),
                "margins": "linear in Z, so the margins of (1-t) Z* + t Z_DNC are >= 1 when both are feasible"}
    if not product_identity:
        raise AssertionError(f"block product does not collapse to the expected sum: {diff}")
    if slope == -(Vs - Vd) or sp.simplify(slope + Vs - Vd) == 0:
        return Outcome.held(evidence, established={"K": "all", "n": "all", "width": "d >= rank Z* + K - 1"})
    # depth >= 2: the objective rises; an explicit instance (the cross-polytope at K = 4, n = 1)
    with working_precision(128):
        p = L + 1
        Vcp = arb(p) / 2 * 2 * arb(4) ** (arb(1) / p)
        Vdn = arb(p) / 2 * 3
        tt = arb(1) / 1000
        Jt = (1 - tt) ** (arb(2) / p) * Vcp + tt ** (arb(2) / p) * Vdn
        rises = bool(Jt > Vcp)
    if slope == sp.oo and rises:
        return Outcome.refuted({"depth": L, "right derivative at t = 0": "+oo",
                                "instance": "cross-polytope, K = 4, n = 1", "t": "1/1000",
                                "objective at t": Jt.str(12, radius=True), "objective at 0": Vcp.str(12, radius=True)},
                               evidence)
    return Outcome.undecided(f"right derivative {slope} is neither -(V* - V_D) nor +oo", evidence)


# ------------------------------------------------------------------------ concrete critical points
def equal_blocks(K: int, k: int) -> np.ndarray:
    """blockdiag of (k/(k-1)) M_k over K/k groups of k classes: every cross-group margin exactly 1."""
    Z = np.zeros((K, K), dtype=object)
    for g in range(K // k):
        for i in range(k):
            for j in range(k):
                Z[g * k + i, g * k + j] = Fraction(k, k - 1) * (Fraction(int(i == j)) - Fraction(1, k))
    for i in range(K):
        for j in range(K):
            if Z[i, j] == 0:
                Z[i, j] = Fraction(0)
    return Z


def critical_points(K: int) -> list[tuple[str, np.ndarray, bool]]:
    """(name, mean logits, exact rational?) of the non-DNC critical points constructed for this K."""
    out = []
    for k in range(2, K):
        if K % k == 0:
            out.append((f"{K // k} blocks of {k}" + (" (cross-polytope)" if k == 2 else ""), equal_blocks(K, k), True))
    if K >= 4:
        exact = K in (4, 6)
        Zk = pd_kgon_mean_logits(K)
        if exact:  # cos(2πm/K) is rational for K = 4, 6
            Zk = np.array([[Fraction(x).limit_denominator(12) for x in row] for row in Zk], dtype=object)
        out.append((f"{K}-gon circle code", Zk, exact))
    if K % 2 == 1 and K >= 5:  # at K = 3 it is not a critical point (KKT residual 0.52)
        out.append(("centred odd cross-polytope", cross_polytope_mean_logits(K, singleton="centred", exact_arith=True), True))
    return out


def _pl_value_arb(name: str, K: int, L: int):
    """(P_L) value ((L+1)/2) Σ σ^{2/(L+1)} (n = 1) of a listed structure from its singular values, in arb.

    Blocks of k: σ = k/(k-1), multiplicity (K/k)(k-1); K-gon: σ = K r²/2 twice with r² = 1/(1 - cos 2π/K);
    centred odd cross-polytope: σ = 2 ((K-1)/2 times) and sqrt((K-1)/K) (numerics.constructions, checked in T3.1).
    """
    from numerics.constructions import pl_value, singular_values_claimed

    p = L + 1

    def root(x, q):
        x = Fraction(x) if not isinstance(x, type(arb(1))) else x
        if isinstance(x, Fraction):
            x = arb(x.numerator) / x.denominator
        return x ** (arb(1) / q)

    if name.startswith(f"{K}-gon"):
        r2 = 1 / (1 - (2 * arb.pi() / K).cos())
        return arb(p) / 2 * 2 * (K * r2 / 2) ** (arb(2) / p)
    if name.startswith("centred odd"):
        return pl_value(singular_values_claimed("cp_odd_centred", K, 1), L, root)
    k = K // int(name.split()[0])
    sigma = arb(k) / (k - 1)
    return arb(p) / 2 * ((K // k) * (k - 1)) * sigma ** (arb(2) / p)


def _singular_values_agree(name: str, Z: np.ndarray, K: int) -> float:
    """Largest gap between the float64 singular values of Z and the ones _pl_value_arb assumes."""
    s = np.sort(np.linalg.svd(np.array(Z, dtype=float), compute_uv=False))[::-1]
    if name.startswith(f"{K}-gon"):
        r2 = 1 / (1 - np.cos(2 * np.pi / K))
        claim = [K * r2 / 2] * 2
    elif name.startswith("centred odd"):
        claim = [2.0] * ((K - 1) // 2) + [np.sqrt((K - 1) / K)]
    else:
        k = K // int(name.split()[0])
        claim = [k / (k - 1)] * ((K // k) * (k - 1))
    claim = claim + [0.0] * (K - len(claim))
    return float(np.max(np.abs(s - np.array(claim))))


def critical_points_certified(ctx: Context, depth: int) -> Outcome:
    rows = []
    rng = ctx.rng(61)
    for i, K in enumerate(ctx.K):
        for name, Z, exact in critical_points(K):
            Zf = np.array(Z, dtype=float)
            F = gauged_balanced_factors(logits_of(Zf, 1), depth, 2 * K, rng)
            kkt = kkt_residual(F, K, 1)
            with working_precision(128):
                p = depth + 1
                Vs = _pl_value_arb(name, K, depth)
                sv_gap = _singular_values_agree(name, Z, K)
                Vd = arb(p) / 2 * (K - 1)  # DNC: K - 1 singular values 1 (n = 1)
                above = bool(Vs > Vd)
                ts = [Fraction(1, 1000), Fraction(1, 100), Fraction(1, 10), Fraction(1, 2)]
                J = [(1 - arb(t.numerator) / t.denominator) ** (arb(2) / p) * Vs
                     + (arb(t.numerator) / t.denominator) ** (arb(2) / p) * Vd for t in ts]
                descends = [bool(j < Vs) for j in J]
            # feasibility of the segment, exactly for rational constructions
            if exact:
                M = dnc_mean_logits(K, exact_arith=True)
                seg_margin = min(min((1 - t) * Z[c][c] + t * M[c][c] - ((1 - t) * Z[cp][c] + t * M[cp][c])
                                     for c in range(K) for cp in range(K) if cp != c) for t in ts)
                feasible = seg_margin >= 1
                margin_note = f"exact: smallest margin along the segment {seg_margin}"
            else:
                off = Zf.copy()
                off[np.arange(K), np.arange(K)] = -np.inf
                m = float(np.min(np.diag(Zf) - off.max(axis=0)))
                feasible = m >= 1 - 1e-12
                margin_note = f"float64: smallest margin of Z* {m:.15f} (exactly 1 by T3.2's construction); segment by linearity"
            rows.append({"K": K, "structure": name, "exact_rational": exact, "kkt_residual": kkt.residual,
                         "singular_values_gap": sv_gap,
                         "active_constraints": kkt.active, "V_star": Vs.str(12, radius=True),
                         "V_DNC": Vd.str(12, radius=True), "V_star_above_V_DNC": above, "t": [str(t) for t in ts],
                         "objective_along_curve": [j.str(12, radius=True) for j in J], "descends_at_t": descends,
                         "segment_feasible": bool(feasible), "margins": margin_note})
        ctx.report((i + 1) / len(ctx.K), f"L1-SADDLE K={K}")
    evidence = {"depth": depth, "points": rows, "kkt_tolerance": 1e-10, "precision": "arb 128 bits, exact Fractions"}
    bad_input = [r for r in rows if r["kkt_residual"] > 1e-10 or not r["segment_feasible"] or r["singular_values_gap"] > 1e-9
                 or (depth == 1 and not r["V_star_above_V_DNC"])]
    if bad_input:
        raise AssertionError(f"a listed structure is not a feasible non-global critical point: {bad_input[0]}")
    not_descending = [r for r in rows if not all(r["descends_at_t"])]
    if not not_descending:
        return Outcome.held(evidence, established={"K": sorted({r["K"] for r in rows}), "structures": sorted({r["structure"].split(" (")[0] for r in rows})})
    r = not_descending[0]
    return Outcome.refuted({"depth": depth, "K": r["K"], "structure": r["structure"], "t": r["t"],
                            "objective_along_curve": r["objective_along_curve"], "V_star": r["V_star"]}, evidence)


PARTS = (
    Part("no_other_minimum", "at L = 1 every feasible point with objective above V_DNC (so every critical point other "
                             "than the global optimum) has a feasible descent curve: it is not a local minimum"),
    Part("critical_points", "the equal-block sub-simplices (incl. the cross-polytope), the K-gon circle codes and the "
                            "centred odd cross-polytope are critical points of (P_1) above V_DNC, hence saddles"),
)

CLAIM = Claim(
    id="L1-SADDLE",
    title="At L = 1 every critical point other than DNC is a saddle",
    statement=("For L = 1 every critical point of (P_1) other than the global optimum (DNC) is a saddle, not a local "
               "minimum (Ji et al. 2022)."),
    latex=r"L=1:\ \nabla_\theta\mathcal{L}_{\mu}(\theta^*)=0,\ V(\theta^*)>V_{DNC}\ \Rightarrow\ \theta^*\ \text{not a local min}",
    reference="Sec. 2 (Background), citing Ji et al. (2022); Eq. (3) with L = 1",
    domain=Domain(K_min=3, uses_L=False),
    parts=PARTS,
    depends_on=("T3.1",),
    uncovered=("that the constructed classes exhaust the critical points of (P_1) is Ji et al.'s theorem (cited)",
               "the side-by-side curve needs width d >= rank Z* + K - 1 for non-symmetric points (d = K suffices for "
               "symmetric PSD ones)"),
    checks=(
        Check(
            name="side_by_side_symbolic", level=Level.SYMBOLIC, fn=side_by_side_symbolic,
            description=("sympy BlockMatrix algebra (symbolic sizes): the side-by-side factors multiply to "
                         "(1-t) Z* + t Z_DNC; their objective is (1-t)^{2/(L+1)} V* + t^{2/(L+1)} V_DNC; at L = 1 its "
                         "right derivative at t = 0 is -(V* - V_DNC) < 0 whenever V* > V_DNC (margins are linear in Z)"),
            precision="exact (sympy); the control's instance in arb, 128 bits",
            statement={"depth": 1},
            control={"depth": 2},
            control_description="the same curve is a descent curve at depth L = 2 (the shallow argument assumed to carry over)",
            control_why=("the benign shallow landscape is often assumed to persist with depth; at L = 2 the DNC block "
                         "enters with t^{2/3} >> t and the objective rises: the right derivative is +∞ (instance: the "
                         "cross-polytope at K = 4)"),
            serves=Serves(what="symbolic proof (one for all K, n)"),
            covers=("no_other_minimum",), for_all="all K >= 3, n (width d >= rank Z* + K - 1)",
            method="sympy block algebra",
        ),
        Check(
            name="critical_points_certified", level=Level.CERTIFIED, fn=critical_points_certified,
            description=("for each K: the equal-block sub-simplices, the K-gon (K >= 4) and the centred odd cross-polytope "
                         "as balanced factors (random gauges, width 2K): KKT residual of (P_1) <= 1e-10 (NNLS, "
                         "numerics.kkt); V* > V_DNC and the objective along the side-by-side curve below V* at "
                         "t = 1/1000, 1/100, 1/10, 1/2 in arb; the segment's margins >= 1 exactly (rational structures)"),
            precision="KKT float64 (1e-10); values arb 128 bits; margins exact Fractions where rational",
            statement={"depth": 1},
            control={"depth": 2},
            control_description="the same certificate at depth L = 2: the listed critical points are saddles there too",
            control_why=("the structures are critical points at every depth (same KKT residual 0), so one may expect "
                         "the shallow descent to persist; at L = 2 the objective along the curve exceeds V* at small t"),
            K=(4, 5, 6, 8, 9), thorough_K=tuple(range(4, 17)),
            serves=Serves(K_min=4, K_max=32, what="KKT by NNLS with K(K-1) multipliers; arb eigenvalues of a K x K Gram",
                          cost="K² constraints x (2K)² parameters"),
            covers=("critical_points",), method="NNLS KKT + arb descent values",
        ),
    ),
    notes=("The plain odd cross-polytope (singleton column e_K) is not a KKT point of (P_L) at any depth tried "
           "(residual ~0.15, numerics.kkt); the centred one is."),
)
