"""T3.1, step 1: the constructions (App. D.1, Eq. 10-16) built as actual balanced factors; fuzz over (K, L, n)."""

from __future__ import annotations

import math

import numpy as np

from ncdepth.fuzzing import search, st
from ncdepth.registry import Context, Outcome
from numerics.certificates import exact_margins
from numerics.constructions import cp_beats_dnc_exact, dnc_mean_logits, gauged_balanced_factors, logits_of, singular_values_claimed
from numerics.deep_ufm import class_labels
from numerics.schatten import pl_objective, product

from ._common import _closed_form, _cp_kind, _cp_mean_logits, _fuzz_grid

def _check_construction(kind: str, Zbar_exact: np.ndarray, K: int, L: int, n: int, pair: float,
                        rng: np.random.Generator) -> dict:
    labels = class_labels(K, n)
    Zq = logits_of(Zbar_exact, n)
    ms = exact_margins(Zq, labels)
    Z = Zq.astype(float)
    d = K + 1  # wider than the rank: the padding must not change anything
    F = gauged_balanced_factors(Z, L, d, rng)
    prod_err = float(np.max(np.abs(product(F) - Z)))
    obj = pl_objective(F)
    claimed_sq = singular_values_claimed(kind, K, n, pair_sigma_sq_per_n=pair)
    claimed = np.sort(np.concatenate([[math.sqrt(float(s))] * m for s, m in claimed_sq]))[::-1]
    s = np.linalg.svd(Z, compute_uv=False)
    s = s[s > 1e-9]
    sv_err = float(np.max(np.abs(s - claimed))) if s.shape == claimed.shape else float("inf")
    # every factor balanced: the same non-zero singular values σ^{1/(L+1)}
    fac_sv = [np.sort(np.linalg.svd(Fj, compute_uv=False))[::-1][: len(s)] for Fj in F]
    balance_err = float(max(np.max(np.abs(fs - s ** (1.0 / (L + 1)))) for fs in fac_sv))
    closed = _closed_form(kind, K, L, n, pair)
    return {"min_margin": str(min(ms)), "all_margins_ge_1": all(m >= 1 for m in ms),
            "tight": min(ms) == 1, "product_err": prod_err, "sv_err": sv_err, "balance_err": balance_err,
            "objective_on_factors": obj, "closed_form": closed, "objective_rel_err": abs(obj - closed) / closed}


def constructions_on_factors(ctx: Context, pair_sigma_sq_per_n: int) -> Outcome:
    """Build DNC and cross-polytope factors; margins exact, objective vs the closed forms."""
    rng = ctx.rng(31)
    by_K_L: dict[str, dict] = {}
    worst = {"product_err": 0.0, "sv_err": 0.0, "balance_err": 0.0, "objective_rel_err": 0.0}
    tol = 1e-11
    ns = (1, 2, 3)
    total = len(ctx.K) * len(ctx.L)
    for a, K in enumerate(ctx.K):
        for b, L in enumerate(ctx.L):
            ctx.report((a * len(ctx.L) + b) / total, f"K={K}, L={L}")
            rows = {}
            kinds = [("dnc", dnc_mean_logits(K, exact_arith=True))]
            if K % 2 == 0:
                kinds.append(("cp_even", _cp_mean_logits(K, "plain", True)))
            else:
                kinds += [("cp_odd_plain", _cp_mean_logits(K, "plain", True)),
                          ("cp_odd_centred", _cp_mean_logits(K, "centred", True))]
            for n in ns:
                for kind, Zbar in kinds:
                    r = _check_construction(kind, Zbar, K, L, n, pair_sigma_sq_per_n, rng)
                    rows[(kind, n)] = r
                    for key in worst:
                        worst[key] = max(worst[key], r[key])
                    bad = (not r["all_margins_ge_1"]) or (not r["tight"]) or r["product_err"] > tol \
                        or r["sv_err"] > tol or r["balance_err"] > tol or r["objective_rel_err"] > tol
                    if bad:
                        return Outcome(False, {"worst": worst, "by_K_L": by_K_L},
                                       counterexample={"K": K, "L": L, "n": n, "construction": kind, **r})
            dnc = rows[("dnc", 1)]["objective_on_factors"]
            cps = {kind: rows[(kind, 1)]["objective_on_factors"] for kind, _ in kinds[1:]}
            cp_best = min(cps.values())
            by_K_L[f"{K},{L}"] = {
                "K": K, "L": L, "n": 1, "dnc_objective": dnc, "cp_objective": cp_best,
                "cp_construction": min(cps, key=cps.get), "cp_objectives": cps,
                "dnc_suboptimal": bool(cp_best < dnc * (1 - 1e-12)),
                "dnc_suboptimal_exact": cp_beats_dnc_exact(K, L, "centred") if K >= 3 else False,
            }
            if K >= 3 and by_K_L[f"{K},{L}"]["dnc_suboptimal"] != by_K_L[f"{K},{L}"]["dnc_suboptimal_exact"]:
                return Outcome(False, {"by_K_L": by_K_L}, counterexample={"K": K, "L": L, "why": "float comparison "
                               "of the factor objectives disagrees with the exact threshold"})
    ev = {"worst": worst, "tolerance": tol, "n_values": list(ns), "width_d": "K + 1", "by_K_L": by_K_L}
    return Outcome(True, ev)


# --------------------------------------------------------------------------- 7. fuzz (K, L, n)
FUZZ_SMALL_K, FUZZ_SMALL_L = tuple(range(3, 17)), tuple(range(1, 13))  # factors are built: small K



def fuzz_constructions(ctx: Context, pair_sigma_sq_per_n: int) -> Outcome:
    """hypothesis over (K, L, n): factors built, objective vs closed form, winner vs the exact threshold."""
    Ks, Ls = _fuzz_grid(ctx.K, 3, FUZZ_SMALL_K), _fuzz_grid(ctx.L, 1, FUZZ_SMALL_L)
    strategy = st.tuples(st.sampled_from(Ks), st.sampled_from(Ls), st.integers(1, 6), st.integers(0, 2**32 - 1),
                         st.sampled_from(("plain", "centred")))

    def prop(x):
        K, L, n, seed, singleton = x
        rng = np.random.default_rng(seed)
        kind = _cp_kind(K, singleton)
        rd = _check_construction("dnc", dnc_mean_logits(K, exact_arith=True), K, L, n, pair_sigma_sq_per_n, rng)
        rc = _check_construction(kind, _cp_mean_logits(K, singleton, True), K, L, n, pair_sigma_sq_per_n, rng)
        ok_c = all(r["all_margins_ge_1"] and r["tight"] and r["objective_rel_err"] < 1e-11 and r["sv_err"] < 1e-11
                   for r in (rd, rc))
        gap = rd["objective_on_factors"] - rc["objective_on_factors"]
        exact_win = cp_beats_dnc_exact(K, L, singleton)
        ok_w = (abs(gap) < 1e-9 * rd["objective_on_factors"]) or ((gap > 0) == exact_win)
        return ok_c and ok_w, {"dnc": rd, "cp": rc, "cp_beats_dnc_exact": exact_win}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_range": [min(Ks), max(Ks)], "K_values": len(Ks),
          "L_range": [min(Ls), max(Ls)], "L_values": len(Ls), "n_range": [1, 6]}
    if r.holds:
        return Outcome(True, ev)
    K, L, n, seed, singleton = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": L, "n": n, "seed": seed, "singleton": singleton,
                                             "detail": r.detail})

