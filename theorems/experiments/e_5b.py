"""E-5b (Fig. 5 middle, Sec. 4.4, App. E.1): the ETF alignment of the logit velocity persists.

Statement.  From the Gaussian start of Thm 4.5 (``W_l = s A_l``, ``H = s A_0``, entries of A i.i.d.
N(0, 1/d)), the Eq. (61) distance ``D = || Ż/||Ż||_F - M/||M||_F ||_F²`` (``Ż`` the logit velocity of
Eq. 56, ``M = M_K ⊗ 1_n^T``) — small at initialisation for large width (T4.5) — stays small after
the logit norm has grown tenfold, and falls with the width d.  ("By continuity of GF, the velocity
remains aligned for a nontrivial interval after initialization ... after brief training the logits
inherit this alignment.")

How it is checked.  K = 4, n = 2, L = 3, s = 0.3; widths d = 8, 32, 128, 512 (thorough: up to
1024, 8 seeds), 5 seeds each.  Fixed-step gradient descent (η = 0.02, explicit Euler) until each run's
``||Z||_F`` first reaches ten times its initial value; there ``Ż`` is computed from the factors with
numerics.deep_ufm.logit_velocity (the hand-written chain rule, not autograd) and D evaluated.
Test: one-sided permutation test of Spearman's ρ between log d and D (α = 0.01), the drop
``mean D(d_min) - mean D(d_max)`` with a bootstrap interval, and ``mean D(d_max) <= 0.1`` (its
interval recorded).  The initial D(0) is recorded beside it, and the log-log slope of D against d.

Control (placebo where the effect is absent by construction): the same pipeline and test with
every run at width 32 and the width labels 8 / 32 / 128 assigned to groups of seeds.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Serves
from numerics.deep_ufm import etf, logit_velocity

K, N_PER, L_DEPTH, SCALE, ETA, GROWTH = 4, 2, 3, 0.3, 0.02, 10.0
SMALL = 0.1


def eq61_distance(factors: list[np.ndarray], K: int, n: int) -> float:
    V = logit_velocity(factors, K, n)
    M = np.repeat(etf(K), n, axis=1)
    return float(np.sum((V / np.linalg.norm(V) - M / np.linalg.norm(M)) ** 2))


@lru_cache(maxsize=32)
def _runs_at_width(d: int, seeds: tuple[int, ...]) -> dict:
    from torch_check.trainer import gaussian_factors
    from torch_check.trajectories import run_trajectories

    init = [gaussian_factors(K, N_PER, d, L_DEPTH, SCALE, s) for s in seeds]
    rec = run_trajectories(init, K, N_PER, steps=5000, step="fixed", lr=ETA, norm_marks=(GROWTH,),
                           stop_at_last_norm_mark=True)
    out = []
    for seed, F0, tr in zip(seeds, init, rec.trajectories):
        row = {"seed": seed, "D_initial": eq61_distance(F0, K, N_PER), "stopped_by": tr.stopped_by}
        try:
            snap = tr.at(f"norm_mark={GROWTH:g}")
            row.update({"D_after_growth": eq61_distance(snap.factors, K, N_PER), "steps_to_growth": snap.step,
                        "model_time": snap.time})
        except KeyError:
            row["D_after_growth"] = None
        out.append(row)
    return {"runs": out, "wall_s": rec.wall_s}


def alignment_persists(ctx: Context, placebo: bool) -> Outcome:
    from torch_check.evidence import seeds_from
    from torch_check.inference import bootstrap_ci, trend_test

    widths = (8, 32, 128, 512, 1024) if ctx.thorough else (8, 32, 128, 512)
    per = 8 if ctx.thorough else 5
    levels, values, groups = [], [], {}
    for i, d in enumerate(widths if not placebo else widths[:3]):
        seeds = seeds_from(ctx, 5000 + i, per)
        data = _runs_at_width(32 if placebo else d, seeds)
        groups[d] = data["runs"]
        for r in data["runs"]:
            if r["D_after_growth"] is not None:
                levels.append(math.log(d))
                values.append(r["D_after_growth"])
        ctx.report((i + 1) / len(widths), f"E-5b width {d}" + (" (placebo: trained at 32)" if placebo else ""))
    missing = [(d, r["seed"]) for d, rs in groups.items() for r in rs if r["D_after_growth"] is None]
    used = list(groups)
    test = trend_test(levels, values, "falls", ctx.rng(9), n_perm=4000)
    first = np.array([r["D_after_growth"] for r in groups[used[0]] if r["D_after_growth"] is not None])
    last = np.array([r["D_after_growth"] for r in groups[used[-1]] if r["D_after_growth"] is not None])
    rng = ctx.rng(10)
    boots = [rng.choice(first, first.size).mean() - rng.choice(last, last.size).mean() for _ in range(4000)]
    drop = {"estimate": float(first.mean() - last.mean()),
            "interval": [float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))], "level": 0.95,
            "interval_kind": "percentile bootstrap, groups resampled independently, 4000 resamples"}
    last_ci = bootstrap_ci(last, np.mean, ctx.rng(11))
    means = {str(d): float(np.mean([r["D_after_growth"] for r in groups[d] if r["D_after_growth"] is not None]))
             for d in used}
    init_means = {str(d): float(np.mean([r["D_initial"] for r in groups[d]])) for d in used}
    slope = float(np.polyfit(np.log([float(d) for d in used]), np.log(list(means.values())), 1)[0])
    evidence = {"placebo (all runs at width 32)": placebo, "K": K, "n": N_PER, "L": L_DEPTH, "init_scale": SCALE,
                "step": f"fixed, η = {ETA}", "stop": f"||Z||_F >= {GROWTH} ||Z_0||_F", "seeds_per_width": per,
                "mean_D_after_growth": means, "mean_D_initial": init_means, "loglog_slope": slope,
                "trend": test, "drop_first_to_last_width": drop,
                "last_width_mean": last_ci, "small": SMALL,
                "runs": {str(d): rs for d, rs in groups.items()}}
    if missing:
        return Outcome.undecided(f"{len(missing)} run(s) never reached tenfold logit growth: {missing[:3]}", evidence)
    if test["significant"] and last_ci["estimate"] <= SMALL:
        return Outcome.held(evidence)
    if (not test["significant"]) or last_ci["interval"][0] > SMALL:
        return Outcome.refuted({"widths": list(used), "trained_at": 32 if placebo else "as labelled",
                                "mean_D_after_growth": means, "p_value": test["p_value"],
                                "last_width_mean_interval": last_ci["interval"]}, evidence)
    return Outcome.undecided(f"the trend holds but mean D at d = {used[-1]} is {last_ci['estimate']:.3g} with "
                             f"interval {last_ci['interval']} around {SMALL}", evidence)


CLAIM = Claim(
    id="E-5b",
    title="Fig. 5 (middle): the logit velocity stays aligned with the ETF after tenfold norm growth",
    statement=("From the Gaussian start of Thm 4.5 at large width, the Eq. (61) distance of the normalised logit velocity "
               "to the normalised ETF direction M_K ⊗ 1ᵀ stays small after the logit norm has grown tenfold, and falls "
               "with the width."),
    latex=r"\Big\|\tfrac{\dot Z}{\|\dot Z\|}-\tfrac{M_K\otimes 1^\top}{\|M_K\otimes 1^\top\|}\Big\|_F^2\ \text{at}\ \|Z\|=10\|Z_0\|\ \searrow\ \text{in } d",
    reference="Fig. 5 (middle), Sec. 4.4; App. E.1 ('after the logit norm has increased by a factor of ten'); Eq. (56), (61)",
    domain=Domain(K_min=2, L_min=1),
    depends_on=("T4.5",),
    checks=(
        Check(
            name="alignment_persists", level=Level.EMPIRICAL, fn=alignment_persists,
            description=(f"K = {K}, n = {N_PER}, L = {L_DEPTH}, Gaussian start s = {SCALE}, widths 8/32/128/512, 5 seeds "
                         f"each; fixed-step GD (η = {ETA}) until ||Z|| = {GROWTH:g} ||Z_0||; Eq. 61 distance of the "
                         "velocity (numerics.deep_ufm chain rule) there; permutation test of Spearman's ρ(log d, D), "
                         f"α = 0.01; mean D at the widest <= {SMALL}"),
            precision="float64; bootstrap intervals (4000 resamples); the drop and the log-log slope recorded",
            statement={"placebo": False},
            control={"placebo": True},
            control_description="placebo: every run at width 32, the width labels 8/32/128 given to groups of seeds",
            control_why=("a fixed-width run carries no width effect by construction; a pipeline whose 'trend' came from "
                         "seed-to-seed noise or from the labels would show it here too"),
            K=(4,), L=(3,),
            serves=Serves(K_min=4, K_max=4, L_min=3, L_max=3, what="the Fig. 5 setting fixed at K = 4, L = 3 (widths swept)",
                          cost="width² per layer and step; d = 512 dominates"),
            method="training to tenfold norm growth, permutation test",
        ),
    ),
    notes=("Fig. 5's (K, L, n, s) did not survive the text. D(0) (T4.5's quantity) is recorded next to D after growth: "
           "D roughly doubles during the growth but keeps falling with the width (slope ~ -0.7 in log-log)."),
)
