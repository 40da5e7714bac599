"""X-SC (beyond the paper): are the rank-r optima of (P_L) the r-dimensional softmax codes?

Paper, Sec. 3.3 ("Connection to softmax codes"): Theorem 3.2 shows that as L → ∞ the optimum is the
2-dimensional softmax code (the K-gon; Jiang et al. 2023); Figure 3 (right) "suggests this connection
extends beyond the limit: the normalized margin achieved by GF on a depth-L network that converges to a
rank-r logit matrix closely matches that of a single-layer network with width r, suggesting these
alternative optima are softmax codes more generally" (empirical evidence only in the paper).

Definitions used here (n = 1).  A *width-r softmax code* is an optimum of the single-layer UFM with
width r trained to max margin, i.e. of

    V_1^{(r)}(K) = min { ||Zbar||_* : rank Zbar <= r, Zbar[c,c] - Zbar[c',c] >= 1 }

(½(||W||² + ||H||²) over W (K x r), H (r x K) is the nuclear norm of Zbar = W H at its best
factorisation).  The stored best point Zbar_L of cell (K, L) (X-PD, theorems/beyond/x_pd_grid.json), of
rank r, *is* a width-r softmax code iff ``||Zbar_L||_* = V_1^{(r)}(K)``; since Zbar_L is itself feasible
of rank r, ``||Zbar_L||_* >= V_1^{(r)}(K)`` always, and the question is equality.  V_1^{(r)}(K) is the
best value of a multi-start search (numerics.pl_search at L = 1, rank fixed to r, from the stored
points, the structured families truncated to rank r and random rank-r starts): best known, not proved.

What is reported per cell: r, ||Zbar_L||_*, V_1^{(r)}(K), whether they coincide (relative 1e-6), the
min angle between the class-mean feature directions of Zbar_L (columns of S^{1/2} V^T of its SVD,
normalised) and of the softmax code, and the best known spherical code's min angle in R^r (R^2: the
K-gon, 360/K degrees; R^3: the Tammes problem's published optima, see TAMMES_DEGREES).

Finding (thorough run, all 100 cells).  They coincide (relative 1e-6) wherever the optimum is a K-gon,
a cross-polytope, DNC, the square antiprism (K = 8) or the icosahedron (K = 12), and at K = 10, L = 3;
they do NOT at K = 7 (L = 3, 4), K = 9 (L = 3..6), K = 10 (L = 4..6), K = 11 (L = 3..7), K = 12 (L = 3):
there ||Zbar_L||_* exceeds V_1^{(r)} by 1e-5..3e-4 relative and the code's (P_L) value exceeds the
optimum's, so the finite-depth optimum is a slightly deformed softmax code that moves with L (its
nuclear norm grows with L), not the code itself.  Both are numerical (best found) statements.

Checks.  ``rank_r_optima_are_softmax_codes`` states the paper's suggestion for every stored cell of
the grid and is refuted by any cell where the rank-r optimum is not a width-r softmax code (the
counterexample gives both matrices' values).  ``tammes_codes_reach_published_angles`` checks that the
spherical codes used as starts (numerics.pl_search.tammes_code) reach the published Tammes optima.
"""

from __future__ import annotations

import json
import math

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Serves
from numerics.landscape import _clean, known_constructions, schatten_pl_value
from numerics.pl_search import numerical_rank, polish_lowrank, polyhedral_configurations, gram_logits, tammes_code
from theorems.beyond.x_pd import GRID_FILE, _exact_cell

COINCIDE_RTOL = 1e-6

# Tammes problem: the largest possible min angle (degrees) of K points on the sphere S^2, as tabulated by
# N. J. A. Sloane (with R. H. Hardin, W. D. Smith), "Spherical codes: packings in 3 dimensions",
# http://neilsloane.com/packings/dim3/ ; optimality proofs: Fejes Tóth (1943) K = 3, 4, 6, 12;
# Schütte & van der Waerden (1951) K = 5, 7, 8, 9; Danzer (1963/1986) K = 10, 11; Böröczky (1983) K = 11.
# The closed forms: 4: arccos(-1/3); 5, 6: 90; 9: arccos(1/3); 11, 12: arctan(2) = arccos(1/√5).
TAMMES_DEGREES = {3: 120.0, 4: math.degrees(math.acos(-1 / 3)), 5: 90.0, 6: 90.0, 7: 77.8695421, 8: 74.8584922,
                  9: math.degrees(math.acos(1 / 3)), 10: 66.1468220, 11: math.degrees(math.atan(2.0)),
                  12: math.degrees(math.atan(2.0))}
TAMMES_TOL_DEG = 1e-4


def feature_directions(Z: np.ndarray) -> np.ndarray:
    """Unit class-mean feature directions of Zbar: the columns of S^{1/2} V^T (rank r), normalised."""
    U, s, Vt = np.linalg.svd(Z)
    r = numerical_rank(Z)
    H = np.sqrt(s[:r])[:, None] * Vt[:r]
    return H / np.linalg.norm(H, axis=0, keepdims=True)


def min_angle_degrees(X: np.ndarray) -> float:
    G = np.clip(X.T @ X, -1.0, 1.0)
    np.fill_diagonal(G, -1.0)
    return math.degrees(math.acos(float(np.max(G))))


def best_known_code_angle(K: int, r: int) -> float | None:
    """Best known min angle of K points in R^r where it is tabulated here (r = 2: 360/K; r = 3: Tammes);
    None otherwise.  For K <= r + 1 the regular simplex, arccos(-1/(K-1))."""
    if K <= r + 1:
        return math.degrees(math.acos(-1.0 / (K - 1)))
    if r == 2:
        return 360.0 / K
    if r == 3:
        return TAMMES_DEGREES.get(K)
    return None


def _rank_r_starts(K: int, r: int, rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    """Structured starts truncated to rank r, plus random rank-r matrices."""
    cand = list(known_constructions(K).items())
    for name, G in polyhedral_configurations(K).items():
        try:
            cand.append((name, gram_logits(G)))
        except ValueError:
            pass
    out = []
    for name, Z in cand:
        U, s, Vt = np.linalg.svd(Z)
        out.append((name, (U[:, :r] * s[:r]) @ Vt[:r]))
    for i in range(3):
        out.append((f"random{i}", rng.standard_normal((K, r)) @ rng.standard_normal((r, K))))
    return out


def width_r_softmax_code(K: int, r: int, extra: list[tuple[str, np.ndarray]], rng: np.random.Generator):
    """(V_1^{(r)}(K) found, its Zbar, start): min nuclear norm over margin-feasible Zbar of rank <= r.

    For r >= K - 1 the rank bound is inactive (DNC has rank K - 1) and DNC is the global optimum of the
    convex problem (T3.1 at L = 1, certified by LP duality there; X-PD tests it): it is returned directly."""
    if r >= K - 1:
        Z = known_constructions(K)["DNC"]
        return float(np.sum(np.linalg.svd(Z, compute_uv=False))), Z, "DNC (rank bound inactive: convex optimum)"
    best = (math.inf, None, "")
    for name, Z0 in list(extra) + _rank_r_starts(K, r, rng):
        for Z in (Z0, polish_lowrank(Z0, 1, r)):
            v, Zc = _clean(Z, 1, 2.0)  # at L = 1 the objective ((L+1)/2)Σσ is the nuclear norm
            if Zc is not None and numerical_rank(Zc) <= r and v < best[0]:
                best = (v, Zc, name)
    return best


def rank_r_optima_are_softmax_codes(ctx: Context, code_dimension_offset: int) -> Outcome:
    """For every stored cell (K, L) with K in the grid: ||Zbar_L||_* against V_1^{(r + offset)}(K)."""
    grid = json.loads(GRID_FILE.read_text())["cells"]
    cells = [c for c in grid if c["K"] in ctx.K and c["L"] in ctx.L]
    if not cells:
        return Outcome.undecided("no stored cell in the requested grid")
    # Where the optimum has rank r >= K - 1 the rank bound is inactive for r and r + 1 alike (both codes are DNC),
    # so the control cannot differ there; a request made only of such cells gets the witness cell (8, 4) (the
    # square antiprism, rank 3) added to both runs, named in the evidence.
    witness = None
    if all(c["rank"] >= c["K"] - 1 for c in cells):
        witness = (8, 4)
        cells += [c for c in grid if (c["K"], c["L"]) == witness]
    rng = ctx.rng(2023)
    stored = {}
    for c in cells:
        A, B = _exact_cell(c)
        Z = np.array([[float(sum(A[i][k] * B[k][j] for k in range(len(B)))) for j in range(c["K"])]
                      for i in range(c["K"])])
        stored[(c["K"], c["L"])] = (c, Z)
    codes = {}
    rows, differ = [], []
    for i, ((K, L), (c, Z)) in enumerate(sorted(stored.items())):
        r = numerical_rank(Z)
        d = r + code_dimension_offset
        if (K, d) not in codes:
            same_rank = [(f"stored(K={K},L={LL})", ZZ) for (KK, LL), (_, ZZ) in stored.items()
                         if KK == K and numerical_rank(ZZ) <= d]
            codes[(K, d)] = width_r_softmax_code(K, d, same_rank, rng)
        v1, Zcode, start = codes[(K, d)]
        nuc = float(np.sum(np.linalg.svd(Z, compute_uv=False)))
        coincide = nuc <= v1 * (1 + COINCIDE_RTOL)
        row = {"K": K, "L": L, "rank": r, "code_dimension": d, "family": c["family"], "nuclear_norm_of_optimum": nuc,
               "softmax_code_nuclear_norm": v1, "softmax_code_found_from": start, "coincide": bool(coincide),
               "pl_value_of_optimum": c["objective_float"], "pl_value_of_softmax_code": schatten_pl_value(Zcode, L),
               "min_angle_optimum_deg": min_angle_degrees(feature_directions(Z)),
               "min_angle_softmax_code_deg": min_angle_degrees(feature_directions(Zcode)),
               "best_known_spherical_code_angle_deg": best_known_code_angle(K, d)}
        rows.append(row)
        if not coincide:
            differ.append(row)
        ctx.report((i + 1) / len(stored), f"X-SC K={K} L={L}: r={r} ||Z||_*={nuc:.6g} vs code {v1:.6g}")
    evidence = {"cells": rows, "coincide_at": [(r["K"], r["L"]) for r in rows if r["coincide"]],
                "differ_at": [(r["K"], r["L"]) for r in differ], "relative_tolerance": COINCIDE_RTOL,
                "evidence_kind": "numerical: V_1^(r) is the best value found by a multi-start search",
                "witness_cell_added": witness}
    if differ:
        return Outcome.refuted({**differ[0], "why": "the rank-r optimum of (P_L) has a larger nuclear norm than a "
                                "margin-feasible rank-r matrix found: it is not a width-r softmax code",
                                "all_cells_that_differ": evidence["differ_at"]}, evidence)
    return Outcome.held(evidence)


def tammes_codes_reach_published_angles(ctx: Context, table_offset: int) -> Outcome:
    """numerics.pl_search.tammes_code in R^3 reaches the published Tammes angle of K (table row K + offset)."""
    rng = ctx.rng(1943)
    starts = 8 if ctx.thorough else 4
    rows = []
    def neighbour(K: int) -> int:  # the off-by-one row: K + 1, or K - 1 at the table's end
        return K + 1 if K + 1 in TAMMES_DEGREES else K - 1

    Ks = [K for K in ctx.K if K in TAMMES_DEGREES]
    # where a row's neighbour has the same angle (5/6, 11/12) the off-by-one cannot show: a request made only of
    # such K gets the witness K = 8 added to both runs (named in the evidence)
    witness = None
    if Ks and all(abs(TAMMES_DEGREES[neighbour(K)] - TAMMES_DEGREES[K]) <= TAMMES_TOL_DEG for K in Ks):
        witness = 8
        Ks.append(witness)
    for K in Ks:
        row_K = neighbour(K) if table_offset else K
        ang, _ = tammes_code(K, 3, rng, starts)
        pub = TAMMES_DEGREES[row_K]
        row = {"K": K, "table_row": row_K, "found_deg": ang, "published_deg": pub, "difference_deg": ang - pub}
        rows.append(row)
        if ang > pub + TAMMES_TOL_DEG:
            return Outcome.refuted({**row, "why": "found a code above the published optimum"}, {"cases": rows})
        if ang < pub - TAMMES_TOL_DEG:
            return Outcome.refuted({**row, "why": "the search does not reach the published optimum"}, {"cases": rows})
    if not rows:
        return Outcome.undecided("no K of the table (3..12) in the grid")
    return Outcome.held({"cases": rows, "tolerance_deg": TAMMES_TOL_DEG, "starts": starts, "witness_added_K": witness})


CLAIM = Claim(
    id="X-SC",
    title="Beyond the paper: rank-r optima of (P_L) versus r-dimensional softmax codes",
    statement=("For every cell K = 3..12, L = 1..10 of the X-PD grid, the best (P_L) point (n = 1), of rank r, is a "
               "width-r softmax code: its nuclear norm equals the least nuclear norm of a margin-feasible Zbar of rank "
               "<= r (the max-margin of a width-r single-layer UFM). Reported with min angles against the best known "
               "spherical codes in R^r."),
    latex=r"\|\bar Z_L\|_* \overset{?}{=} \min\{\|\bar Z\|_*:\ \operatorname{rank}\bar Z\le r,\ \bar Z_{cc}-\bar Z_{c'c}\ge 1\}",
    reference="Beyond the paper (Sec. 3.3 'Connection to softmax codes', Fig. 3 right; Jiang et al. 2023)",
    domain=Domain(K_min=3, L_min=1),
    checks=(
        Check(
            name="rank_r_optima_are_softmax_codes", level=Level.NUMERIC, fn=rank_r_optima_are_softmax_codes,
            description=("per stored X-PD cell: rank r of the best point, its nuclear norm against V_1^(r)(K) found by a "
                         "rank-r multi-start search at L = 1 (stored points, structured families truncated to rank r, "
                         "random rank-r starts), min angles against the best known spherical code in R^r"),
            precision="float64; coincide when ||Zbar_L||_* <= V_1^(r) (1 + 1e-6)",
            statement={"code_dimension_offset": 0},
            control={"code_dimension_offset": 1},
            control_description="compared with the softmax code of one dimension more (r + 1)",
            control_why="the rank of the logits and the dimension of the features' span are easily confused "
                        "(centred codes in R^r have logit rank up to r + 1)",
            K=(7,), L=(3, 5), thorough_K=tuple(range(3, 13)), thorough_L=tuple(range(1, 11)), splittable=True,
            serves=Serves(K_min=3, K_max=12, L_min=1, L_max=10,
                          cost="a rank-r multi-start search at L = 1 per cell (cached per K and r)",
                          what="cells of X-PD's stored grid, K = 3..12, L = 1..10"),
            finding=("the rank-r optimum is NOT exactly the width-r softmax code at K = 7 (L = 3, 4), 9 (L = 3..6), "
                     "10 (L = 4..6), 11 (L = 3..7), 12 (L = 3): its nuclear norm exceeds the code's by 1e-5..3e-4 "
                     "relative, and the code's own (P_L) value exceeds the optimum's, so the optimum is a deformed "
                     "softmax code that moves with L; they coincide where the code is highly symmetric (K-gons, "
                     "cross-polytopes, DNC, the square antiprism at K = 8, the icosahedron at K = 12)"),
        ),
        Check(
            name="tammes_codes_reach_published_angles", level=Level.NUMERIC, fn=tammes_codes_reach_published_angles,
            description="the R^3 spherical codes used as starts reach the published Tammes optima (Sloane's table)",
            precision="float64 SLSQP; tolerance 1e-4 degrees",
            statement={"table_offset": 0},
            control={"table_offset": 1},
            control_description="compared with the neighbouring table row (K + 1; K - 1 at the table's end)",
            control_why="an off-by-one in a table indexed by the number of points",
            K=(5, 8, 12), L=(1,), thorough_K=tuple(range(4, 13)), splittable=True,
            serves=Serves(K_min=4, K_max=12, cost="one SLSQP min-angle search on the sphere per K",
                          what="the rows K = 4..12 of the published table of Tammes optima in R^3"),
        ),
    ),
    notes="Not a claim of the paper; the paper offers Fig. 3 (right) as empirical evidence. Depends on X-PD's stored grid.",
)
