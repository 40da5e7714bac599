"""E-6 (Sec. 5, Fig. 6, App. E.1): real networks — head depth lowers the effective rank, width raises it.

Statement (Sec. 5).  Training a feature extractor with a fully connected ReLU head from random
initialisation, without regularisation, into the terminal phase: the effective rank (Eq. 60) of the
mean logit matrix at convergence decreases with head depth and increases with head width; and
lower effective rank goes with poorer generalisation ("the relationship is not absolute").  The
paper: ResNet-20 on MNIST (5000 examples per class, 4000 epochs) and CIFAR-10 (5000 epochs), batch
10000, head depth 1-8, width 50-200, five models per setting (``torch_check.realnet.PAPER_CONFIG``;
the GPU configuration, ``python -m torch_check.realnet --dataset mnist --data-dir DIR --model resnet20``).

On this CPU.  scikit-learn's bundled handwritten digits (10 classes, 8x8, nothing downloaded),
30 training examples per class (300; the other 1497 are the test set), standardised; an MLP
extractor (64 -> 32, ReLU) and the ReLU head, full-batch gradient descent on the summed
cross-entropy with the step normalised by the loss (ρ = 0.01, 400 steps), float64, 5 seeds per
setting trained as one batch (torch_check.realnet).  Thorough: 100 per class, 1000 steps, depth
1..8, width 50/100/150/200.  Convergence: 100% training accuracy and the effective rank moved by at
most 0.3 over the last 20% of the steps, in every run.

Tests.  One-sided permutation test of Spearman's ρ (setting vs effective rank, α = 0.01) with the
first-minus-last-setting difference and a bootstrap interval; accuracy: Spearman's ρ between
effective rank and test accuracy over all runs of both sweeps, one-sided (positive), α = 0.01.
Controls (placebos where the effect is absent by construction): the same pipeline with every run
at one depth (width) and the depth (width) labels assigned to groups of seeds; for accuracy, the
same test against accuracies on randomly permuted test labels.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves

ERANK_STABLE = 0.3


def _settings(ctx: Context) -> dict:
    if ctx.thorough:
        return {"per_class": 100, "steps": 1000, "depths": (1, 2, 3, 4, 5, 6, 7, 8), "widths": (50, 100, 150, 200),
                "fixed_width": 64, "fixed_depth": 4, "extractor": (64,), "seeds": 5}
    return {"per_class": 30, "steps": 400, "depths": (1, 3, 6), "widths": (16, 32, 64), "fixed_width": 32,
            "fixed_depth": 4, "extractor": (32,), "seeds": 5}


@lru_cache(maxsize=64)
def _train(per_class: int, depth: int, width: int, extractor: tuple, steps: int, seeds: tuple) -> dict:
    from torch_check.realnet import RunConfig, load_dataset, train_mlp_batch

    data = load_dataset("digits", per_class=per_class, seed=0)
    r = train_mlp_batch(data, RunConfig(depth=depth, width=width, extractor=extractor, steps=steps, lr=0.01), seeds)
    r["y_test"] = data.y_test
    r["data"] = data.info
    return r


def _sweep(ctx: Context, kind: str, placebo: bool) -> tuple[list[dict], list[float], list[float], dict]:
    from torch_check.evidence import seeds_from

    S = _settings(ctx)
    levels = S["depths"] if kind == "depth" else S["widths"]
    runs, xs, ys = [], [], []
    for i, lev in enumerate(levels):
        seeds = seeds_from(ctx, (1300 if kind == "depth" else 1400) + i + (50 if placebo else 0), S["seeds"])
        depth = (S["depths"][len(levels) // 2] if placebo else lev) if kind == "depth" else S["fixed_depth"]
        width = S["fixed_width"] if kind == "depth" else (S["widths"][len(levels) // 2] if placebo else lev)
        r = _train(S["per_class"], depth, width, S["extractor"], S["steps"], seeds)
        for b, s in enumerate(seeds):
            runs.append({"label": lev, "trained_depth": depth, "trained_width": width, "seed": s,
                         "erank": r["erank"][b], "erank_checkpoint": r["erank_checkpoint"][b],
                         "train_accuracy": r["train_accuracy"][b], "test_accuracy": r["test_accuracy"][b],
                         "final_log_loss": r["final_log_loss"][b]})
            xs.append(float(lev))
            ys.append(float(r["erank"][b]))
        ctx.report((i + 1) / len(levels), f"E-6 {kind} {lev}" + (" (placebo)" if placebo else ""))
    info = {"data": r["data"], "settings": S, "training": "full-batch GD, step ρ ||θ||/||∇ log ℒ|| (ρ = 0.01), float64"}
    return runs, xs, ys, info


def _converged(runs: list[dict]) -> list[dict]:
    return [r for r in runs if r["train_accuracy"] < 1.0 or abs(r["erank"] - r["erank_checkpoint"]) > ERANK_STABLE]


def trend(ctx: Context, kind: str, placebo: bool) -> Outcome:
    from torch_check.inference import trend_test

    runs, xs, ys, info = _sweep(ctx, kind, placebo)
    direction = "falls" if kind == "depth" else "rises"
    test = trend_test(xs, ys, direction, ctx.rng(13), n_perm=4000)
    levels = sorted(set(xs))
    g0 = np.array([y for x, y in zip(xs, ys) if x == levels[0]])
    g1 = np.array([y for x, y in zip(xs, ys) if x == levels[-1]])
    rng = ctx.rng(14)
    boots = [rng.choice(g0, g0.size).mean() - rng.choice(g1, g1.size).mean() for _ in range(4000)]
    diff = {"estimate": float(g0.mean() - g1.mean()), "interval": [float(np.quantile(boots, 0.025)),
                                                                   float(np.quantile(boots, 0.975))],
            "what": f"mean erank at {kind} {levels[0]:g} minus at {levels[-1]:g}", "level": 0.95}
    means = {f"{lv:g}": float(np.mean([y for x, y in zip(xs, ys) if x == lv])) for lv in levels}
    acc = {f"{lv:g}": float(np.mean([r["test_accuracy"] for r in runs if r["label"] == lv])) for lv in levels}
    evidence = {"sweep": kind, "placebo": placebo, "mean_erank": means, "mean_test_accuracy": acc, "trend": test,
                "first_minus_last": diff, "runs": runs, **info,
                "convergence": f"100% training accuracy and |erank(end) - erank(80%)| <= {ERANK_STABLE}"}
    bad = _converged(runs)
    if bad:
        return Outcome.undecided(f"{len(bad)} run(s) not converged (e.g. {kind} {bad[0]['label']}, seed {bad[0]['seed']}: "
                                 f"train acc {bad[0]['train_accuracy']:.3f}, erank {bad[0]['erank_checkpoint']:.2f} -> "
                                 f"{bad[0]['erank']:.2f})", evidence)
    if test["significant"]:
        return Outcome.held(evidence)
    sign = -1 if direction == "falls" else 1
    if test["p_value"] > 0.2 or sign * test["spearman_rho"] <= 0:
        return Outcome.refuted({"sweep": kind, "placebo": placebo, "mean_erank": means, "spearman_rho": test["spearman_rho"],
                                "p_value": test["p_value"], "levels": levels}, evidence)
    return Outcome.undecided(f"trend in the predicted direction but p = {test['p_value']:.3g} > 0.01", evidence)


def depth_lowers_rank(ctx: Context, placebo: bool) -> Outcome:
    return trend(ctx, "depth", placebo)


def width_raises_rank(ctx: Context, placebo: bool) -> Outcome:
    return trend(ctx, "width", placebo)


def accuracy_tracks_rank(ctx: Context, permute_test_labels: bool) -> Outcome:
    from torch_check.inference import spearman, trend_test

    S = _settings(ctx)
    rows = []
    for kind in ("depth", "width"):
        runs, _, _, info = _sweep(ctx, kind, False)
        rows += [dict(r, sweep=kind) for r in runs]
    if permute_test_labels:  # accuracies recomputed against randomly permuted test labels
        rng = ctx.rng(15)
        from torch_check.evidence import seeds_from

        for kind in ("depth", "width"):
            levels = S["depths"] if kind == "depth" else S["widths"]
            for i, lev in enumerate(levels):
                seeds = seeds_from(ctx, (1300 if kind == "depth" else 1400) + i, S["seeds"])
                depth = lev if kind == "depth" else S["fixed_depth"]
                width = S["fixed_width"] if kind == "depth" else lev
                r = _train(S["per_class"], depth, width, S["extractor"], S["steps"], seeds)
                yperm = rng.permutation(r["y_test"])
                for b, s in enumerate(seeds):
                    row = next(x for x in rows if x["sweep"] == kind and x["label"] == lev and x["seed"] == s)
                    row["test_accuracy"] = float(np.mean(r["test_logits"][b].argmax(1) == yperm))
    er = [r["erank"] for r in rows]
    acc = [r["test_accuracy"] for r in rows]
    test = trend_test(er, acc, "rises", ctx.rng(16), n_perm=4000)
    evidence = {"permuted_test_labels": permute_test_labels, "runs": len(rows), "spearman_rho": spearman(er, acc),
                "test": test, "erank_range": [min(er), max(er)], "accuracy_range": [min(acc), max(acc)],
                "pairs": [[r["sweep"], r["label"], r["seed"], r["erank"], r["test_accuracy"]] for r in rows], **info}
    bad = _converged(rows)
    if bad:
        return Outcome.undecided(f"{len(bad)} run(s) not converged", evidence)
    if test["significant"]:
        return Outcome.held(evidence)
    if test["p_value"] > 0.2 or test["spearman_rho"] <= 0:
        return Outcome.refuted({"spearman_rho": test["spearman_rho"], "p_value": test["p_value"], "runs": len(rows),
                                "permuted_test_labels": permute_test_labels}, evidence)
    return Outcome.undecided(f"positive association but p = {test['p_value']:.3g} > 0.01", evidence)


PARTS = (
    Part("depth", "the effective rank of the mean logit matrix at convergence falls with head depth"),
    Part("width", "it rises with head width"),
    Part("accuracy", "lower effective rank goes with lower test accuracy"),
)


CLAIM = Claim(
    id="E-6",
    title="Fig. 6: real networks — head depth lowers the effective rank, width raises it, accuracy follows",
    statement=("A feature extractor with a fully connected ReLU head trained from random initialisation without "
               "regularisation: the effective rank of the mean logit matrix at convergence falls with head depth and "
               "rises with head width; lower effective rank goes with poorer generalisation."),
    latex=r"\mathrm{erank}(\bar Z_\infty)\searrow\ \text{in head depth},\ \nearrow\ \text{in width};\ \mathrm{acc}_{test}\sim\mathrm{erank}",
    reference="Sec. 5, Fig. 6; App. E.1 (ResNet-20, MNIST / CIFAR-10; here: sklearn digits + MLP extractor on the CPU)",
    domain=Domain(uses_K=False, uses_L=False),
    parts=PARTS,
    uncovered=("the paper's setting (ResNet-20 on MNIST / CIFAR-10, 5000 per class, 4000-5000 epochs, batch 10000) is "
               "the GPU configuration of torch_check.realnet, not run by these checks",
               "the paper's head is 'fully connected ReLU' (Sec. 5, App. E.1), the UFM's is linear; the checks use ReLU"),
    checks=(
        Check(
            name="depth_lowers_rank", level=Level.EMPIRICAL, fn=depth_lowers_rank,
            description=("digits, 30/class, MLP extractor 64->32 + ReLU head of depth 1/3/6 (width 32), 5 seeds each, "
                         "400 full-batch normalised GD steps; Spearman permutation test (α = 0.01)"),
            precision="float64; convergence required (100% train accuracy, erank stable to 0.3 over the last 20%)",
            statement={"placebo": False},
            control={"placebo": True},
            control_description="placebo: every run at depth 3, the depth labels 1/3/6 given to groups of seeds",
            control_why=("a fixed-depth sweep carries no depth effect by construction; seed noise or a label artefact "
                         "would show up here as a 'trend'"),
            serves=Serves(what="CPU digits sweep (fixed configuration)", cost="3 x 5 networks x 400 full-batch steps"),
            covers=("depth",), method="digits + MLP/ReLU head, permutation test",
        ),
        Check(
            name="width_raises_rank", level=Level.EMPIRICAL, fn=width_raises_rank,
            description=("digits, 30/class, MLP extractor 64->32 + ReLU head of depth 4 and width 16/32/64, 5 seeds each, "
                         "400 full-batch normalised GD steps; Spearman permutation test (α = 0.01)"),
            precision="float64; convergence required as for the depth sweep",
            statement={"placebo": False},
            control={"placebo": True},
            control_description="placebo: every run at width 32, the width labels 16/32/64 given to groups of seeds",
            control_why="a fixed-width sweep carries no width effect by construction",
            serves=Serves(what="CPU digits sweep (fixed configuration)", cost="3 x 5 networks x 400 full-batch steps"),
            covers=("width",), method="digits + MLP/ReLU head, permutation test",
        ),
        Check(
            name="accuracy_tracks_rank", level=Level.EMPIRICAL, fn=accuracy_tracks_rank,
            description=("the 30 runs of both sweeps: Spearman's ρ between effective rank and test accuracy, one-sided "
                         "permutation test (α = 0.01)"),
            precision="float64; test set = the 1497 digits not used for training",
            statement={"permute_test_labels": False},
            control={"permute_test_labels": True},
            control_description="placebo: the same test against accuracies on randomly permuted test labels",
            control_why=("with permuted labels every network is at chance by construction, so any 'association' would "
                         "come from the pipeline (e.g. a shared ordering of runs), not from generalisation"),
            serves=Serves(what="CPU digits sweep (fixed configuration)", cost="reuses the two sweeps"),
            covers=("accuracy",), method="rank correlation over runs",
        ),
    ),
    notes=("CPU-sized substitute for Fig. 6; the digits effect is weaker than the paper's MNIST effect (erank 8.5 -> 7.0 "
           "from depth 1 to 6). Fixed width/depth of each sweep and the learning rate did not survive the text."),
)
