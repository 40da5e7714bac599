"""The torch_check trainer on tiny sizes: loss, gradients, batching, errors, devices, logs."""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
import torch

from numerics.deep_ufm import class_labels, etf, loss as numpy_loss, loss_gradient
from numerics.hadamard import HadamardDomainError
from numerics.reduced_flow import mean_logits as reduced_mean_logits
from torch_check import metrics
from torch_check.inits import alternating_lambda, random_lambda, uniform_lambda
from torch_check.trainer import (
    TrainConfig,
    TrainingDiverged,
    balanced_hadamard_s,
    batched_log_loss,
    batched_logits,
    batched_loss,
    factors_from_logits,
    gaussian_factors,
    hadamard_factors,
    pick_device,
    train,
    unstack,
)


def _tensors(factors):
    return [torch.tensor(f[None], requires_grad=True) for f in factors]


# ----------------------------------------------------------------------------- loss and gradient
@pytest.mark.parametrize("K,n,d,L", [(3, 2, 4, 1), (4, 1, 5, 3), (5, 2, 3, 2)])
def test_autograd_gradient_equals_hand_derived_gradient(K, n, d, L):
    """Independent routes: torch autograd vs the chain rule of numerics.deep_ufm."""
    factors = gaussian_factors(K, n, d, L, 1.3, seed=K * 10 + L)
    P = _tensors(factors)
    loss = batched_loss(batched_logits(P), torch.as_tensor(class_labels(K, n)))
    grads = torch.autograd.grad(loss.sum(), P)
    assert float(loss.detach()) == pytest.approx(numpy_loss(factors, K, n), rel=1e-13)
    for g_torch, g_hand in zip(grads, loss_gradient(factors, K, n)):
        np.testing.assert_allclose(g_torch[0].numpy(), g_hand, rtol=1e-11, atol=1e-13)


def test_loss_matches_torch_cross_entropy_and_log_loss_is_its_log():
    rng = np.random.default_rng(0)
    K, n = 4, 3
    labels = torch.as_tensor(class_labels(K, n))
    Z = torch.tensor(rng.standard_normal((2, K, K * n)) * 3)
    ref = torch.stack([torch.nn.functional.cross_entropy(Z[b].T, labels, reduction="sum") for b in range(2)])
    torch.testing.assert_close(batched_loss(Z, labels), ref, rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(batched_log_loss(Z, labels), torch.log(ref), rtol=1e-12, atol=1e-12)


def test_log_loss_accurate_where_the_loss_underflows():
    """Margins of 1000: ℒ ~ e^{-1000} underflows in float64; log ℒ is compared with mpmath."""
    K, n = 3, 1
    Z = np.array([[1000.0, -2.0, 0.0], [0.0, 1001.5, 0.0], [-1.0, 0.0, 1003.0]])
    got = float(batched_log_loss(torch.tensor(Z[None]), torch.as_tensor(class_labels(K, n)))[0])
    mpmath.mp.dps = 50
    exact = mpmath.log(mpmath.fsum(
        mpmath.log1p(mpmath.fsum(mpmath.exp(mpmath.mpf(Z[c2, c]) - mpmath.mpf(Z[c, c])) for c2 in range(K) if c2 != c))
        for c in range(K)))
    assert got == pytest.approx(float(exact), rel=1e-13)


# ----------------------------------------------------------------------------------- training
def test_loss_decreases_under_small_fixed_steps():
    K, n, d, L = 4, 2, 5, 2
    init = [gaussian_factors(K, n, d, L, 1.0, s) for s in range(3)]
    r = train(TrainConfig(K=K, n=n, d=d, L=L, steps=200, lr=1e-2, log_every=20), init, with_metrics=False)
    assert np.all(np.diff(r.loss, axis=0) < 0)
    np.testing.assert_allclose(r.time[-1], 200 * 1e-2, rtol=1e-12)


def test_adaptive_steps_reach_tiny_losses_and_keep_decreasing():
    K, n, d, L = 4, 1, 6, 3
    init = [gaussian_factors(K, n, d, L, 0.7, s) for s in range(2)]
    r = train(TrainConfig(K=K, n=n, d=d, L=L, steps=3000, step="adaptive", lr=3e-3, log_every=100,
                          log_loss_floor=-500.0), init)
    assert np.all(np.diff(r.log_loss, axis=0) < 0)
    assert np.all(r.log_loss[-1] < -500.0)
    assert np.all(r.log_time[0] == -np.inf)  # t = 0
    assert np.all(np.isfinite(r.log_time[1:])) and np.all(np.diff(r.log_time[1:], axis=0) > 0)
    assert np.all(r.metrics["normalised_margin"][-1] > 0)


def test_batched_run_equals_sequential_runs():
    K, n, d, L = 4, 1, 6, 3
    inits = [gaussian_factors(K, n, d, L, 0.8, s) for s in range(3)]
    for rule, lr in (("fixed", 5e-2), ("adaptive", 5e-3)):
        cfg = TrainConfig(K=K, n=n, d=d, L=L, steps=150, step=rule, lr=lr, log_every=50)
        batched = train(cfg, inits, with_metrics=False)
        for b, init in enumerate(inits):
            single = train(cfg, [init], with_metrics=False)
            np.testing.assert_allclose(batched.logits[:, b], single.logits[:, 0], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(batched.log_time[:, b], single.log_time[:, 0], rtol=1e-10)


def test_deterministic_given_seed():
    a = gaussian_factors(4, 2, 5, 2, 0.5, seed=7)
    b = gaussian_factors(4, 2, 5, 2, 0.5, seed=7)
    c = gaussian_factors(4, 2, 5, 2, 0.5, seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    cfg = TrainConfig(K=4, n=2, d=5, L=2, steps=50, step="adaptive", lr=1e-2)
    r1, r2 = train(cfg, [a], with_metrics=False), train(cfg, [b], with_metrics=False)
    assert np.array_equal(r1.logits, r2.logits)


def test_gaussian_init_has_the_stated_variance():
    F = gaussian_factors(4, 1, 400, 2, 2.0, seed=1)
    assert np.var(F[1]) == pytest.approx(4.0 / 400, rel=0.02)


def test_hadamard_start_keeps_hadamard_structure_and_reads_back_lambda():
    K, n, d, L = 8, 2, 10, 2
    lam = uniform_lambda(K, 1.0, 0.3, np.random.default_rng(0))
    F = hadamard_factors(balanced_hadamard_s(lam, L, n), n, d, seed=3)
    Zbar = metrics.mean_logits(batched_logits([torch.tensor(f[None]) for f in F])[0].numpy(), K, n)
    np.testing.assert_allclose(metrics.hadamard_modes(Zbar), lam, rtol=1e-12)
    # Zbar = H diag(0, λ) H / K up to the inert mode-0 shift of every column
    np.testing.assert_allclose(metrics.centred(Zbar), metrics.centred(reduced_mean_logits(lam)), atol=1e-12)
    r = train(TrainConfig(K=K, n=n, d=d, L=L, steps=100, lr=2e-2), [F], with_metrics=False)
    Zb = metrics.mean_logits(r.logits[-1, 0], K, n)
    lam_t = metrics.hadamard_modes(Zb)
    np.testing.assert_allclose(metrics.centred(Zb), metrics.centred(reduced_mean_logits(lam_t)), atol=1e-10)


def test_factors_from_logits_reproduce_the_logits():
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 10))
    F = factors_from_logits(Z, L=3, d=4, seed=0)
    np.testing.assert_allclose(batched_logits([torch.tensor(f[None]) for f in F])[0].numpy(), Z, atol=1e-12)
    norms = [np.linalg.norm(f) for f in F]
    np.testing.assert_allclose(norms, norms[0], rtol=1e-10)  # balanced


def test_unstack_inverts_batching():
    inits = [gaussian_factors(3, 1, 4, 2, 1.0, s) for s in range(2)]
    r = train(TrainConfig(K=3, n=1, d=4, L=2, steps=1, lr=1e-12), inits, with_metrics=False, keep_factors=True)
    back = unstack(r.final_factors)
    assert all(np.allclose(x, y) for x, y in zip(back[1], inits[1]))


# ------------------------------------------------------------------------------------- errors
def test_clear_errors_on_bad_configurations():
    with pytest.raises(ValueError, match="d >= K"):
        hadamard_factors(np.ones((3, 8)), 1, 4, seed=0)
    with pytest.raises(HadamardDomainError, match="power of two"):
        hadamard_factors(np.ones((3, 6)), 1, 8, seed=0)
    with pytest.raises(ValueError, match="L must be"):
        TrainConfig(K=4, n=1, d=4, L=0)
    with pytest.raises(ValueError, match="K must be"):
        TrainConfig(K=1, n=1, d=4, L=2)
    with pytest.raises(ValueError, match="step must be"):
        TrainConfig(K=4, n=1, d=4, L=2, step="newton")
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(K=4, n=1, d=4, L=2, lr=float("nan"))
    with pytest.raises(ValueError, match="dtype"):
        TrainConfig(K=4, n=1, d=4, L=2, dtype="float16")
    bad = gaussian_factors(4, 1, 4, 2, 1.0, 0)
    bad[1][0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        train(TrainConfig(K=4, n=1, d=4, L=2, steps=2), [bad])
    with pytest.raises(ValueError, match="shapes"):
        train(TrainConfig(K=4, n=1, d=5, L=2, steps=2), [gaussian_factors(4, 1, 4, 2, 1.0, 0)])
    with pytest.raises(ValueError, match="alternating"):
        alternating_lambda(8, 1.0, 0.0)
    with pytest.raises(HadamardDomainError):
        random_lambda(12, 1.0, np.random.default_rng(0))


def test_diverging_step_size_stops_with_a_message_not_nans():
    init = [gaussian_factors(4, 1, 6, 3, 3.0, 0)]
    with pytest.raises(TrainingDiverged, match="lower the step size|too large"):
        train(TrainConfig(K=4, n=1, d=6, L=3, steps=200, lr=50.0), init)


# ------------------------------------------------------------------------------------ devices
def test_device_selection():
    assert pick_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")
        with pytest.raises(ValueError, match="CUDA is not available"):
            train(TrainConfig(K=3, n=1, d=3, L=1, steps=1, device="cuda"), [gaussian_factors(3, 1, 3, 1, 1.0, 0)])


# ------------------------------------------------------------------------------- metrics, logs
def test_metrics_on_known_structures():
    K = 8
    M = etf(K)
    assert metrics.effective_rank(metrics.singular_values(M)) == pytest.approx(K - 1, rel=1e-12)
    assert metrics.kl_to_dnc(metrics.singular_values(M), K) == pytest.approx(0.0, abs=1e-12)
    assert metrics.distance_to_etf(3.0 * M) == pytest.approx(0.0, abs=1e-12)
    assert metrics.normalised_margin(M, K, 1) == pytest.approx(1 / math.sqrt(K - 1), rel=1e-12)
    partner = np.arange(K) ^ 1
    CP = metrics.cross_polytope_logits(partner)
    assert metrics.distance_to_cross_polytope(CP) == pytest.approx(0.0, abs=1e-12)
    assert metrics.distance_to_cross_polytope(M) > 0.3
    assert metrics.effective_rank(metrics.singular_values(metrics.centred(CP))) == pytest.approx(K / 2, rel=1e-12)
    angles = 2 * np.pi * np.arange(K) / K
    G = np.stack([np.cos(angles), np.sin(angles)])
    a, res = metrics.feature_angles(G.T @ G)
    assert res < 1e-12
    np.testing.assert_allclose(metrics.circular_gaps(a), 2 * np.pi / K, atol=1e-12)
    with pytest.raises(ValueError):
        metrics.effective_rank(np.zeros(3))


def test_results_saved_with_configuration(tmp_path):
    cfg = TrainConfig(K=3, n=1, d=3, L=2, steps=5, lr=1e-2, progress=True)
    r = train(cfg, [gaussian_factors(3, 1, 3, 2, 1.0, 0)], seeds=[0])
    npz, js = r.save(tmp_path / "run", extra={"note": "tiny"})
    meta = json.loads(js.read_text())
    assert meta["config"]["L"] == 2 and meta["seeds"] == [0] and meta["note"] == "tiny"
    data = np.load(npz)
    assert data["logits"].shape == (2, 1, 3, 3) and "metric_effective_rank" in data
    assert np.all(np.isfinite(data["loss"]))


# ------------------------------------------------------------------- log-loss marks (trainer)
def test_log_loss_marks_record_the_first_crossing():
    K, n, d, L = 4, 1, 6, 2
    init = [gaussian_factors(K, n, d, L, 0.8, s) for s in range(3)]
    cfg = TrainConfig(K=K, n=n, d=d, L=L, steps=400, step="adaptive", lr=5e-3, log_every=1,
                      log_loss_marks=(-5.0, 1e9))
    r = train(cfg, init, with_metrics=False)
    m = r.at_mark(-5.0)
    for b in range(3):
        k = int(np.argmax(r.log_loss[:, b] < -5.0))  # log_every=1: every step is a snapshot
        assert m["step"][b] == r.steps[k]
        np.testing.assert_array_equal(m["logits"][b], r.logits[k, b])
        assert m["log_loss"][b] == r.log_loss[k, b]
    assert np.all(r.at_mark(1e9)["step"] == 0)  # already below at the start
    with pytest.raises(KeyError, match="not requested"):
        r.at_mark(-7.0)
    never = train(TrainConfig(K=K, n=n, d=d, L=L, steps=5, lr=1e-6, log_loss_marks=(-50.0,)), init, with_metrics=False)
    assert np.all(never.at_mark(-50.0)["step"] == -1) and np.all(np.isnan(never.at_mark(-50.0)["logits"]))


# ------------------------------------------------------------------------------ statistics
from torch_check import stats  # noqa: E402
from torch_check.convergence import Convergence, assess, train_converged  # noqa: E402


def test_binomial_intervals_against_closed_forms():
    # k = 0: the Clopper-Pearson upper bound is 1 - (α/2)^{1/n}; k = n: the lower bound is (α/2)^{1/n}
    lo, hi = stats.clopper_pearson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** 0.1, rel=1e-12)
    lo, hi = stats.clopper_pearson(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** 0.1, rel=1e-12)
    # Wilson at k = n/2: symmetric about 1/2, half-width z sqrt(1/(4n) + z²/(4n²)) / (1 + z²/n)
    z = 1.959963984540054
    lo, hi = stats.wilson(5, 10)
    half = z * math.sqrt(0.25 / 10 + z * z / 400) / (1 + z * z / 10)
    assert lo == pytest.approx(0.5 - half, rel=1e-9) and hi == pytest.approx(0.5 + half, rel=1e-9)
    p = stats.proportion(3, 8)
    assert p["fraction"] == 3 / 8 and p["interval"][0] < 3 / 8 < p["interval"][1]
    with pytest.raises(ValueError):
        stats.clopper_pearson(5, 4)


def test_two_sample_permutation_test_is_exact_on_small_groups():
    rng = np.random.default_rng(0)
    a, b = [3.0, 4.0, 5.0], [0.0, 1.0, 2.0]
    r = stats.two_sample_test(a, b, rng, alternative="greater")
    assert r["n_splits"] == 20 and r["p_value"] == pytest.approx(1 / 20)  # only the observed split is as extreme
    r2 = stats.two_sample_test(a, b, rng, alternative="two-sided")
    assert r2["p_value"] == pytest.approx(2 / 20)
    r3 = stats.two_sample_test(b, a, rng, alternative="greater")
    assert r3["p_value"] == pytest.approx(1.0) and not r3["significant"]


def test_trend_test_finds_a_trend_and_not_its_absence():
    rng = np.random.default_rng(1)
    levels = np.repeat([1, 2, 4, 6], 6)
    falling = 7.0 - levels + 0.3 * rng.standard_normal(levels.size)
    r = stats.trend_test(levels, falling, "falls", rng, n_perm=5000)
    assert r["significant"] and r["spearman_rho"] < -0.9 and r["p_value"] == pytest.approx(1 / 5001)
    assert r["effect_interval"][0] > 4.0
    assert not stats.trend_test(levels, falling, "rises", rng, n_perm=5000)["significant"]
    null_p = [stats.trend_test(levels, rng.standard_normal(levels.size), "falls", rng, n_perm=400)["p_value"]
              for _ in range(60)]
    assert 0.2 < np.mean(null_p) < 0.8  # p-values of the null spread over (0, 1)
    assert stats.interval_meets_band([3.9, 4.3], 4.0, 0.5) and not stats.interval_meets_band([2.9, 3.2], 4.0, 0.5)


# ----------------------------------------------------------------------------- convergence
def test_assess_flags_each_condition():
    K, n = 3, 1
    crit = Convergence(log_loss_floor=-10.0, window_start=-1.0, margin_rtol=0.05, stat_atol=0.1, stat_name="erank")
    Z = 5.0 * etf(K)
    Zmoved = 5.0 * (etf(K) + 0.3 * np.diag([1.0, -1.0, 0.0]))
    rep = assess(crit, np.stack([Z, Z, Zmoved, Z]), np.stack([Z, Zmoved, Z, np.full_like(Z, np.nan)]),
                 np.array([-20.0, -20.0, -20.0, -20.0]), K, n)
    flags = [r["converged"] for r in rep["runs"]]
    assert flags == [True, False, False, False] and rep["converged"] == 1 and not rep["all_converged"]
    rep2 = assess(crit, np.stack([Z]), np.stack([Z]), np.array([-5.0]), K, n)
    assert not rep2["runs"][0]["reached_floor"] and not rep2["all_converged"]
    bad = np.array([[-1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])  # class 0 misclassified
    assert not assess(crit, bad[None], bad[None], np.array([-20.0]), K, n)["runs"][0]["positive_margin"]
    with pytest.raises(ValueError, match="window"):
        Convergence(log_loss_floor=-10.0, window_start=-20.0, margin_rtol=0.05)
    with pytest.raises(ValueError, match="unknown statistic"):
        Convergence(log_loss_floor=-10.0, window_start=-1.0, margin_rtol=0.05, stat_atol=0.1, stat_name="nope")


def test_assess_reads_the_gap_angles_only_on_rank_two():
    from torch_check.convergence import rank_at_most_two

    K, n = 6, 1
    crit = Convergence(log_loss_floor=-10.0, window_start=-1.0, margin_rtol=0.05, stat_atol=0.1, stat_name="erank",
                       extra_stats=(("max_gap_deviation", 0.05),))
    theta = 2 * np.pi * np.arange(K) / K
    hexagon = 10.0 * np.stack([np.cos(theta), np.sin(theta)]).T @ np.stack([np.cos(theta), np.sin(theta)])
    bent = theta + 0.1 * np.cos(3 * theta)  # rank 2, gaps alternate 2π/K ± 0.2
    moved = 10.0 * np.stack([np.cos(bent), np.sin(bent)]).T @ np.stack([np.cos(bent), np.sin(bent)])
    # a rank-3 matrix with two nearly equal singular values: its rank-2 angles rotate under a tiny change
    rng = np.random.default_rng(0)
    P = np.eye(K) - np.ones((K, K)) / K
    U = np.linalg.qr(P @ rng.standard_normal((K, 3)))[0]  # orthonormal, orthogonal to the ones vector
    base = U @ np.diag([10.0, 9.99, 9.98]) @ U.T
    nudged = U @ np.diag([9.98, 9.99, 10.0]) @ U.T  # a 0.2 % change of the spectrum swaps the top-two plane
    assert rank_at_most_two(hexagon, K, n) and not rank_at_most_two(base, K, n)
    assert abs(convergence_stat("max_gap_deviation", base) - convergence_stat("max_gap_deviation", nudged)) > 0.05
    rep = assess(crit, np.stack([hexagon, moved, nudged, hexagon]), np.stack([hexagon, hexagon, base, base]),
                 np.full(4, -20.0), K, n)
    rows = rep["runs"]
    assert [r["max_gap_deviation_read"] for r in rows] == ["both", "both", "neither", "one end"]
    assert [r["converged"] for r in rows][1:] == [False, True, False]
    assert rows[2]["max_gap_deviation_change"] is None and rows[1]["max_gap_deviation_change"] > 0.15
    with pytest.raises(ValueError, match="quiet_decades"):
        Convergence(log_loss_floor=-10.0, window_start=-1.0, margin_rtol=0.05, quiet_decades=2)
    with pytest.raises(ValueError, match="float64"):
        Convergence(log_loss_floor=-10.0, window_start=-1.0, margin_rtol=0.05, extra_decades=16)


def convergence_stat(name: str, Z: np.ndarray) -> float:
    from torch_check.convergence import STATISTICS

    return STATISTICS[name](Z, Z.shape[0], 1)


def test_train_converged_trains_only_the_unconverged_on():
    K, n, d, L = 4, 1, 6, 2
    init = [gaussian_factors(K, n, d, L, 1.0, s) for s in range(3)]
    crit = Convergence(log_loss_floor=-20.0, window_start=-2.0, margin_rtol=1e-6, stat_atol=0.1, stat_name="erank",
                       extra_decades=2, lazy_rho=1e-2, stage_steps=300)
    cfg = TrainConfig(K=K, n=n, d=d, L=L, steps=2000, step="adaptive", lr=3e-3)
    t = train_converged(cfg, init, list(range(3)), crit)
    rep = t["convergence"]
    assert len(rep["stages"]) == 3 and rep["stages"][0]["floor"] == -20.0 and rep["stages"][2]["floor"] == -2000.0
    assert rep["stages"][1]["train_config"]["lr"] == 1e-2 and rep["stages"][1]["train_config"]["log_loss_floor"] == -200.0
    # a margin tolerance of 1e-6 per decade is not met: every run is reported unconverged, none silently passes
    assert rep["converged"] == 0 and not rep["all_converged"]
    loose = Convergence(log_loss_floor=-20.0, window_start=-2.0, margin_rtol=0.2, extra_decades=2, stage_steps=300)
    t2 = train_converged(cfg, init, list(range(3)), loose)
    assert t2["convergence"]["all_converged"] and np.all(t2["final_log_loss"] < -20.0)


# ------------------------------------------------------------------------------ metric pins
from torch_check import pins  # noqa: E402


def test_every_metric_matches_its_exact_pins():
    rows = pins.pin_table("paper")
    assert rows and all(r["match"] for r in rows), [r for r in rows if not r["match"]]
    assert {r["metric"] for r in rows} == set(pins.METRICS)


def test_pins_tell_every_wrong_definition_apart():
    rows = pins.pin_table("variant")
    told_apart = {r["metric"] for r in rows if not r["match"]}
    assert told_apart == set(pins.METRICS)


def test_pins_catch_planted_metric_bugs(monkeypatch):
    """Plausible slips in the metrics, each caught by require_pinned (independent sympy values)."""
    def sq_erank(s, rel_floor=1e-12):
        s = np.asarray(s, float)
        s = s[s > rel_floor * s.max()] ** 2
        p = s / s.sum()
        return float(np.exp(-np.sum(p * np.log(p))))

    bugs = {
        "effective_rank": ("effective_rank", sq_erank),
        "normalised_margin": ("normalised_margin",
                              lambda Z, K, n: metrics.min_margin(np.asarray(Z) / np.linalg.norm(metrics.mean_logits(Z, K, n)),
                                                                 class_labels(K, n))),
        "kl_to_dnc": ("kl_to_dnc", lambda s, K: float(np.sum((lambda p: p * np.log((K - 1) * p))(
            np.sort(s)[::-1][:K - 1] / np.sort(s)[::-1][:K - 1].sum())))),
        "distance_to_etf": ("distance_to_etf",
                            lambda Zb: float(np.linalg.norm(Zb / np.linalg.norm(Zb) - etf(Zb.shape[0]) / np.linalg.norm(etf(Zb.shape[0]))))),
        "hadamard_modes": ("hadamard_modes", lambda Zb: np.diagonal(
            metrics.fwht(metrics.fwht(Zb, axis=-2), axis=-1), axis1=-2, axis2=-1)[..., 1:] / np.sqrt(Zb.shape[-1])),
        "mean_logits": ("mean_logits", lambda Z, K, n: np.asarray(Z, float).reshape(
            np.shape(Z)[:-1] + (n, K)).mean(axis=-2)),
        "centred": ("centred", lambda Zb: Zb),
    }
    for name, (attr, fake) in bugs.items():
        with monkeypatch.context() as mp:
            mp.setattr(metrics, attr, fake)
            with pytest.raises(pins.MetricPinFailed):
                pins.require_pinned(pins.METRICS)


# ---------------------------------------------------------------------------- trend sweeps
from torch_check.sweeps import trend_sweep  # noqa: E402


def _fake_level(effect: float, converged: bool = True):
    """A stand-in for training: value = 10 - effect * level + seed noise; convergence as given."""
    def train_level(level, seeds):
        noise = np.array([np.random.default_rng(s).normal(0, 0.3) for s in seeds])
        rep = {"converged": len(seeds) if converged else len(seeds) - 1, "total": len(seeds),
               "all_converged": converged, "largest_margin_change": 0.0, "largest_stat_change": 0.0,
               "criterion": {"rule": "fake"}}
        return {"effective_rank": 10 - effect * level + noise, "convergence": rep}
    return train_level


def test_trend_sweep_sees_the_effect_and_not_the_placebo():
    rng = np.random.default_rng(3)
    seeds = list(range(20))
    kw = dict(levels=(1, 2, 4, 6), seeds=seeds, seeds_per_level=5, direction="falls", placebo_level=4)
    real = trend_sweep(train_level=_fake_level(1.0), design="sweep", rng=rng, **kw)
    assert real["holds"] and real["test"]["p_value"] < 0.01 and real["test"]["effect_interval"][0] > 0
    placebo = trend_sweep(train_level=_fake_level(1.0), design="placebo", rng=rng, **kw)
    assert placebo["holds"] is False and all(v["trained_at"] == 4 for v in placebo["per_label"].values())
    flat = trend_sweep(train_level=_fake_level(0.0), design="sweep", rng=rng, **kw)
    assert flat["holds"] is False
    und = trend_sweep(train_level=_fake_level(1.0, converged=False), design="sweep", rng=rng, **kw)
    assert und["holds"] is None and "convergence criterion" in und["undecided"]
    with pytest.raises(ValueError):
        trend_sweep(train_level=_fake_level(1.0), design="sweep", rng=rng, **dict(kw, seeds=seeds[:7]))


def _fake_level_one_unconverged(effect: float, bad_level: float):
    """As _fake_level, with the first run at ``bad_level`` reported unconverged."""
    def train_level(level, seeds):
        noise = np.array([np.random.default_rng(s).normal(0, 0.3) for s in seeds])
        runs = [{"converged": not (i == 0 and level == bad_level)} for i in range(len(seeds))]
        n_ok = sum(r["converged"] for r in runs)
        rep = {"converged": n_ok, "total": len(seeds), "all_converged": n_ok == len(seeds), "runs": runs,
               "largest_margin_change": 0.0, "largest_stat_change": 0.0, "criterion": {"rule": "fake"}}
        return {"effective_rank": 10 - effect * level + noise, "convergence": rep}
    return train_level


def test_trend_sweep_decides_over_every_limit_of_an_unconverged_run():
    seeds = list(range(20))
    kw = dict(levels=(1, 2, 4, 6), seeds=seeds, seeds_per_level=5, direction="falls", placebo_level=4)
    # strong trend, one unconverged middle run: any value in [0, 20] leaves the trend -> decided PASS
    r = trend_sweep(train_level=_fake_level_one_unconverged(1.0, 2), design="sweep", rng=np.random.default_rng(3),
                    value_range=(0.0, 20.0), **kw)
    assert r["holds"] is True and r["worst_case"]["imputed_runs"] == [5] and "decided_over_unconverged" in r
    # without a range the same sweep stays undecided
    r0 = trend_sweep(train_level=_fake_level_one_unconverged(1.0, 2), design="sweep", rng=np.random.default_rng(3), **kw)
    assert r0["holds"] is None and r0["unconverged_runs"][0]["run"] == 5
    # no trend at all: a flat sweep fails for every value of the unconverged run
    flat = trend_sweep(train_level=_fake_level_one_unconverged(0.0, 6), design="sweep", rng=np.random.default_rng(3),
                       value_range=(0.0, 20.0), **kw)
    assert flat["holds"] is False


def test_worst_case_verdict_is_undecided_when_the_unconverged_run_decides():
    from torch_check.sweeps import worst_case_verdict

    labels = [1, 1, 1, 2, 2, 2, 3, 3, 3]
    # a weak trend carried by the last level: run 8 at the top of the range would erase the effect
    values = [3.0, 2.9, 3.1, 2.6, 2.8, 2.7, 2.5, 2.4, 2.45]
    wc = worst_case_verdict(labels, values, [8], (0.0, 100.0), "falls", 0.05, lambda: np.random.default_rng(1))
    assert wc["holds"] is None
    assert wc["unfavourable_end_values"] == [100.0] and wc["favourable_end_values"] == [0.0]
    # every order of two imputed runs is tried: the weakest order puts them against the trend
    wc2 = worst_case_verdict(labels, values, [0, 8], (0.0, 100.0), "falls", 0.05, lambda: np.random.default_rng(1))
    assert wc2["weakest_order_values"][0] < min(values) and wc2["weakest_order_values"][1] > max(values)
    with pytest.raises(ValueError):
        worst_case_verdict(labels, values, [0, 1, 2], (0.0, 1.0), "falls", 0.05, lambda: np.random.default_rng(1))


def test_structure_summary_labels():
    K = 6
    angles = 2 * np.pi * np.arange(K) / K
    G = np.stack([np.cos(angles), np.sin(angles)])
    s = metrics.structure_summary(G.T @ G)
    assert s["rank"] == 2 and s["label"] == metrics.STRUCTURES[0] and s["max_gap_deviation_rad"] < 1e-12
    skew = np.concatenate([angles[:3], angles[3:] + 0.3])
    G2 = np.stack([np.cos(skew), np.sin(skew)])
    G2 -= G2.mean(axis=1, keepdims=True)
    assert metrics.structure_summary(G2.T @ G2)["label"] == metrics.STRUCTURES[1]
    assert metrics.structure_summary(etf(K))["label"] == metrics.STRUCTURES[3]


def test_e3_a_converged_counterexample_is_not_undone_by_unconverged_runs():
    from theorems.experiments.e_3 import MIN_RANK2, _decide

    def row(seed, rank, label, converged):
        return {"seed": seed, "rank": rank, "label": label, "converged": converged, "angle_spread_rad": 0.0,
                "gaps_over_2pi_by_K": [1.0] * 6, "max_gap_deviation_rad": 0.0 if label == metrics.STRUCTURES[0] else 0.5}

    kgons = [row(s, 2, metrics.STRUCTURES[0], True) for s in range(MIN_RANK2)]
    bent_unconverged = row(90, 2, metrics.STRUCTURES[1], False)
    bent_converged = row(91, 2, metrics.STRUCTURES[1], True)
    # an unconverged non-K-gon is no counterexample, and leaves the case undecided
    assert "undecided" in _decide(6, 6, kgons + [bent_unconverged], "converged")
    # a converged non-K-gon refutes whatever the unconverged run becomes
    case = _decide(6, 6, kgons + [bent_unconverged, bent_converged], "converged")
    assert case["holds"] is False and case["counterexample"]["seed"] == 91 and case["unconverged_runs"] == 1
    assert _decide(6, 6, kgons, "converged")["holds"] is True


def test_trend_sweep_a_weak_trend_in_the_predicted_direction_is_undecided_not_refuted():
    # E-5 at K = 5, L = 3: p = 0.0498 > α with the effect's interval above 0 was reported FAIL
    from torch_check import sweeps

    kw = dict(levels=(1, 2, 4, 6), seeds=list(range(20)), seeds_per_level=5, direction="falls", placebo_level=4)
    fake = {"test": "fake", "alpha": 0.01, "spearman_rho": -0.4, "p_value": 0.05, "significant": False,
            "effect": 0.7, "effect_interval": [0.2, 1.2]}
    real_test = sweeps.stats.trend_test
    try:
        sweeps.stats.trend_test = lambda *a, **k: dict(fake)
        weak = trend_sweep(train_level=_fake_level(1.0), design="sweep", rng=np.random.default_rng(3), **kw)
        sweeps.stats.trend_test = lambda *a, **k: dict(fake, effect_interval=[-0.1, 1.2])
        none = trend_sweep(train_level=_fake_level(1.0), design="sweep", rng=np.random.default_rng(3), **kw)
    finally:
        sweeps.stats.trend_test = real_test
    assert weak["holds"] is None and "not significant" in weak["undecided"]
    assert none["holds"] is False
