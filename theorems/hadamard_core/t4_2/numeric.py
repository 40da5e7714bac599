"""T4.2 numerically: the full model's exact gradient (numerics.deep_ufm, no reduction) against
the reduced flow as the downstream checks implement it (numerics.reduced_flow), in float64 and
at 100 digits, and Eq. 6 itself (``reduced_rhs``) against the logit velocity of the full model.

Random configurations keep the logit singular values σ_k in [0.3, 4] whatever the depth
(``s_{l,k} = σ_k^{1/(L+1)}`` times a zero-mean jitter across layers when unbalanced), so large L
neither saturates the softmax nor freezes the flow.
"""

from __future__ import annotations

import mpmath
import numpy as np

from ncdepth.fuzzing import search, st
from ncdepth.registry import Context, Outcome
from numerics.hadamard import fwht
from numerics.deep_ufm import hadamard_bases, hadamard_init, logit_velocity, loss_gradient, random_orthogonal, to_mp
from numerics.reduced_flow import beta, layer_rhs, one_minus_psi, one_minus_psi_mp, reduced_rhs

# The statement's ψ is evaluated at λ; the negative control evaluates it at K λ,
# i.e. ψ = H softmax(H λ) without the 1/K (a plausible slip in Eq. 6).
PSI_ARGUMENT_SCALE = {"claim": lambda K: 1, "no_1_over_K": lambda K: K}

SIGMA_RANGE = (0.3, 4.0)  # logit singular values of the random starts
JITTER = 0.3  # unbalanced: log s_{l,k} varies by up to ± JITTER across layers (zero mean)


def _one_minus_psi_variant(variant: str, K: int):
    c = PSI_ARGUMENT_SCALE[variant](K)
    return lambda lam: one_minus_psi(c * lam)


def random_config(rng: np.random.Generator, K: int, L: int, n: int, d: int, balanced: bool, mp: bool):
    """Per-layer singular values (L+1, K) with σ_k = Π_l s_{l,k} in SIGMA_RANGE, and L random orthogonal Q's."""
    sigma = np.exp(rng.uniform(*np.log(SIGMA_RANGE), size=K))
    logs = np.tile(np.log(sigma) / (L + 1), (L + 1, 1))
    if not balanced:
        eps = rng.uniform(-JITTER, JITTER, size=(L + 1, K))
        logs = logs + eps - eps.mean(axis=0)
    s = np.exp(logs)
    Qs = [random_orthogonal(d, rng, mp=mp) for _ in range(L)]
    return (to_mp(s) if mp else s), Qs


def gradient_errors(s, n: int, d: int, Qs, variant: str, *, mp: bool = False) -> tuple[float, float]:
    """Largest abs and relative gap between -∂ℒ/∂F_j and the reduced prediction, over all factors."""
    K = s.shape[1]
    factors = hadamard_init(s, n, d, Qs, mp=mp)
    grads = loss_gradient(factors, K, n)
    if mp:
        c = PSI_ARGUMENT_SCALE[variant](K)
        s_dot = layer_rhs(s, n, one_minus_psi_fn=lambda lam: np.array(one_minus_psi_mp(list(c * lam)), dtype=object))
    else:
        s_dot = layer_rhs(s, n, one_minus_psi_fn=_one_minus_psi_variant(variant, K))
    # the velocity predicted for each factor is the same Hadamard-form matrix with ṡ in place of s
    predicted = hadamard_init(s_dot, n, d, Qs, mp=mp)
    abs_err = max(max(abs(x) for x in (-g - p).ravel()) for g, p in zip(grads, predicted))
    scale = max(max(abs(x) for x in p.ravel()) for p in predicted)
    if scale == 0:  # saturated margins: 1 - ψ underflowed, nothing moves; only an exact 0 agrees
        return abs_err, (0.0 if abs_err == 0 else float("inf"))
    return abs_err, abs_err / scale


def logit_velocity_error(s_row: np.ndarray, L: int, n: int, d: int, Qs, variant: str) -> float:
    """Balanced start: ``U^T Ż V`` against ``diag((L+1)√n (1-ψ) σ^{2L/(L+1)})`` (relative)."""
    K = s_row.size
    factors = hadamard_init(np.tile(s_row, (L + 1, 1)), n, d, Qs)
    U, V = hadamard_bases(K, n)
    measured = U.T @ logit_velocity(factors, K, n) @ V
    sigma = s_row ** (L + 1)
    omp = np.r_[0.0, _one_minus_psi_variant(variant, K)(sigma[1:] / np.sqrt(n))]
    predicted = np.diag((L + 1) * np.sqrt(n) * omp * sigma ** (2 * L / (L + 1)))
    return float(np.max(np.abs(measured - predicted)) / np.max(np.abs(predicted)))


FLOAT_CASES = ((1, 0, True), (3, 3, False), (2, 1, False))  # (n, d - K, balanced)


def float64_gradients(ctx: Context, variant: str, rtol: float = 1e-12) -> Outcome:
    worst_abs = worst_rel = worst_vel = 0.0
    seeds = []
    pairs = ctx.KL_pairs()
    for idx, (K, L) in enumerate(pairs):
        for n, extra, balanced in FLOAT_CASES:
            d = K + extra
            case_seed = [ctx.seed, 7, K, L, n, extra]  # one generator per case: reproducible alone
            s, Qs = random_config(np.random.default_rng(case_seed), K, L, n, d, balanced, mp=False)
            a, r = gradient_errors(s, n, d, Qs, variant)
            v = logit_velocity_error(s[0] if balanced else np.exp(np.log(s).mean(axis=0)), L, n, d, Qs, variant)
            worst_abs, worst_rel, worst_vel = max(worst_abs, a), max(worst_rel, r), max(worst_vel, v)
            seeds.append(case_seed)
            if r > rtol or v > rtol:
                return Outcome.refuted({"K": K, "L": L, "n": n, "d": d, "balanced": balanced,
                                        "rel_error_factor_velocity": r, "rel_error_logit_velocity": v,
                                        "init_rng_seed": case_seed},
                                       {"max_abs_error": worst_abs, "max_rel_error": worst_rel})
        ctx.report((idx + 1) / len(pairs), f"K={K}, L={L}")
    return Outcome.held({"max_abs_error": worst_abs, "max_rel_error": worst_rel, "max_rel_error_logit_velocity": worst_vel,
                         "cases": len(seeds), "tolerance": rtol, "init_rng_seeds": seeds,
                         "cases_per_pair_(n, d-K, balanced)": [list(c) for c in FLOAT_CASES],
                         "sigma_range": list(SIGMA_RANGE), "jitter": JITTER}, established=pairs_established(pairs))


def float_pair_rule(K: int, L: int, thorough: bool) -> bool:
    """~ (L+1) K^3 flops per case (O(L) products after the prefix/suffix chains); 1e8 is ~15 s here."""
    return (L + 1) * K**3 <= (1e9 if thorough else 1e8)


def eq6_pair_rule(K: int, L: int, thorough: bool) -> bool:
    """Half the work of :func:`float_pair_rule` per (K, L)."""
    return (L + 1) * K**3 <= (2e9 if thorough else 2e8)


def pairs_established(pairs) -> dict:
    """The (K, L) pairs a pair-rule check decided, for the scope: ``K``, ``L`` lists when they form a
    full product, else the pairs themselves (never the product of the grids when it is not)."""
    pairs = sorted(set(map(tuple, pairs)))
    Ks, Ls = sorted({k for k, _ in pairs}), sorted({l_ for _, l_ in pairs})
    if len(pairs) == len(Ks) * len(Ls):
        return {"K": Ks, "L": Ls}
    return {"(K, L)": "∈ {" + ", ".join(f"({K}, {L})" for K, L in pairs) + "}"}


def mp_gradients(ctx: Context, variant: str, dps: int = 100, rtol: str = "1e-30") -> Outcome:
    worst_abs = worst_rel = mpmath.mpf(0)
    seeds = []
    pairs = ctx.KL_pairs()
    n, extra = 2, 1
    with mpmath.workdps(dps):
        tol = mpmath.mpf(rtol)
        for idx, (K, L) in enumerate(pairs):
            d = K + extra
            case_seed = [ctx.seed, 8, K, L]
            s, Qs = random_config(np.random.default_rng(case_seed), K, L, n, d, balanced=False, mp=True)
            a, r = gradient_errors(s, n, d, Qs, variant, mp=True)
            worst_abs, worst_rel = max(worst_abs, a), max(worst_rel, r)
            seeds.append(case_seed)
            if r > tol:
                return Outcome.refuted({"K": K, "L": L, "n": n, "d": d, "rel_error": mpmath.nstr(r, 8), "init_rng_seed": case_seed},
                                       {"max_abs_error": mpmath.nstr(worst_abs, 5), "max_rel_error": mpmath.nstr(worst_rel, 5)})
            ctx.report((idx + 1) / len(pairs), f"K={K}, L={L}")
        return Outcome.held({"max_abs_error": mpmath.nstr(worst_abs, 5), "max_rel_error": mpmath.nstr(worst_rel, 5),
                             "dps": mpmath.mp.dps, "tolerance": rtol, "n": n, "d_minus_K": extra, "init_rng_seeds": seeds},
                            established=pairs_established(pairs))


def mp_pair_rule(K: int, L: int, thorough: bool) -> bool:
    """Object-array arithmetic at 100 digits: ~ (L+1) K^3 mpf operations."""
    return (L + 1) * K**3 <= (2e5 if thorough else 2e4)


def eq6_in_model_time(sigma: np.ndarray, L: int, n: int) -> np.ndarray:
    """σ̇ implied by Eq. 6: ``λ = σ/√n`` moves by ``reduced_rhs`` in time ``τ = (L+1) n^{β/2} t``."""
    return np.sqrt(n) * (L + 1) * n ** (beta(L) / 2) * reduced_rhs(sigma / np.sqrt(n), L)


EQ6_N = (1, 3)


def eq6_against_full_model(ctx: Context, depth_offset: int, rtol: float = 1e-12) -> Outcome:
    """Balanced starts: the diagonal of ``U^T Ż V`` (full model) against Eq. 6 as implemented downstream.

    This tests :func:`numerics.reduced_flow.reduced_rhs` itself (used by T4.3, T4.4, E-ODE),
    including its exponent β = 2L/(L+1) and the time rescaling.  The control evaluates
    Eq. 6 at depth L + 1, i.e. counting the L+1 factors instead of the L weight matrices.
    """
    worst = 0.0
    seeds = []
    pairs = ctx.KL_pairs()
    for idx, (K, L) in enumerate(pairs):
        for n in EQ6_N:
            case_seed = [ctx.seed, 10, K, L, n]
            rng = np.random.default_rng(case_seed)
            d = K + 1
            s, Qs = random_config(rng, K, L, n, d, balanced=True, mp=False)
            factors = hadamard_init(s, n, d, Qs)
            U, V = hadamard_bases(K, n)
            measured = np.diag(U.T @ logit_velocity(factors, K, n) @ V)[1:]
            sigma = np.prod(s, axis=0)[1:]
            predicted = eq6_in_model_time(sigma, L + depth_offset, n)
            err = float(np.max(np.abs(measured - predicted)) / np.max(np.abs(measured)))
            worst = max(worst, err)
            seeds.append(case_seed)
            if err > rtol:
                return Outcome.refuted({"K": K, "L": L, "n": n, "d": d, "rel_error": err, "init_rng_seed": case_seed},
                                       {"max_rel_error": worst})
        ctx.report((idx + 1) / len(pairs), f"K={K}, L={L}")
    return Outcome.held({"max_rel_error": worst, "tolerance": rtol, "n_values": list(EQ6_N), "init_rng_seeds": seeds,
                         "sigma_range": list(SIGMA_RANGE)}, established=pairs_established(pairs))


def fuzz_pair_rule(K: int, L: int, thorough: bool) -> bool:
    """Per example ~ (L+1) K³ flops, 40 (400 thorough) examples."""
    return (L + 1) * K**3 <= 4e6


def fuzz_gradients(ctx: Context, variant: str, rtol: float = 1e-11) -> Outcome:
    pairs = sorted(ctx.KL_pairs())

    @st.composite
    def draws(draw):
        K, L = draw(st.sampled_from(pairs))
        return (K, L, draw(st.integers(1, 3)),
                draw(st.integers(0, 3)), draw(st.booleans()), draw(st.integers(0, 2**31 - 1)))

    def prop(x):
        K, L, n, extra, balanced, seed = x
        rng = np.random.default_rng(seed)
        s, Qs = random_config(rng, K, L, n, K + extra, balanced, mp=False)
        _, rel = gradient_errors(s, n, K + extra, Qs, variant)
        ctx.check_budget(f"fuzzing K={K}, L={L}")
        return rel <= rtol, {"max_rel_error": rel}

    r = search(draws(), prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "KL_pairs_drawn_from": [list(p) for p in pairs], "tolerance": rtol}
    if r.holds:
        return Outcome.held(ev, established=pairs_established(pairs))
    K, L, n, extra, balanced, seed = r.counterexample
    return Outcome.refuted({"K": K, "L": L, "n": n, "d": K + extra, "balanced": balanced, "init_seed": seed, **r.detail}, ev)


# ======================================================================== large margins: float reduced flow vs exact model
MARGIN_RANGE = (20.0, 200.0)  # λ_k drawn here: margins 20..200, so 1 - ψ_k down to ~e^-200
GUARD_DIGITS = 40


def large_margin_flow(ctx: Context, variant: str, rtol: float = 1e-12) -> Outcome:
    """The float64 per-layer flow (numerics.reduced_flow.layer_rhs, the cancellation-free core form of
    1 - ψ) against the full model's gradient at high precision, mode by mode, where 1 - ψ_k ~ e^-a.

    At margins a the label probability is 1 - O(e^-a): the 100-digit comparison above cannot see
    these modes, and a float 1 - ψ formed by cancellation returns 0 or noise.  The precision of the
    reference is set from the largest margin (digits = a / ln 10 + 40), and every mode k >= 1 of
    every factor is compared relative to its own size.
    """
    worst, seeds, digits_used = 0.0, [], []
    pairs = ctx.KL_pairs()
    n = 1
    for idx, (K, L) in enumerate(pairs):
        d = K + 1
        case_seed = [ctx.seed, 11, K, L]
        rng = np.random.default_rng(case_seed)
        lam = rng.uniform(*MARGIN_RANGE, size=K)
        eps = rng.uniform(-JITTER, JITTER, size=(L + 1, K))
        s = np.exp(np.tile(np.log(lam * np.sqrt(n)) / (L + 1), (L + 1, 1)) + eps - eps.mean(axis=0))
        c = PSI_ARGUMENT_SCALE[variant](K)
        s_dot = layer_rhs(s, n, one_minus_psi_fn=lambda x: one_minus_psi(c * x))  # float64, the code under test
        lam_model = np.prod(s, axis=0) / np.sqrt(n)  # the λ the model has (products of the jittered s)
        profile = fwht(np.concatenate([[0.0], lam_model[1:]])) / K
        largest_margin = float(profile[0] - profile.min())  # e^-margin is the smallest probability to resolve
        dps = GUARD_DIGITS + int(largest_margin / np.log(10)) + 1
        digits_used.append(dps)
        with mpmath.workdps(dps):
            s_mp = to_mp(s)  # the same singular values, exactly
            Qs = [random_orthogonal(d, rng, mp=True) for _ in range(L)]
            grads = loss_gradient(hadamard_init(s_mp, n, d, Qs, mp=True), K, n)
            U, V = hadamard_bases(K, n, mp=True)
            lefts = [Qs[0]] + [Qs[j] for j in range(1, L)] + [U]
            rights = [V] + [Qs[j - 1] for j in range(1, L + 1)]
            for j in range(L + 1):
                D = lefts[j].T @ (-grads[j]) @ rights[j]
                for k in range(1, K):
                    ref = D[k, k]
                    if ref == 0:
                        return Outcome.undecided(f"reference mode {k} of factor {j} vanished at {dps} digits", {})
                    err = float(abs((mpmath.mpf(float(s_dot[j, k])) - ref) / ref))
                    worst = max(worst, err)
                    if err > rtol:
                        return Outcome.refuted({"K": K, "L": L, "n": n, "d": d, "factor": j, "mode": k,
                                                "float_sdot": float(s_dot[j, k]), "reference": mpmath.nstr(ref, 20),
                                                "rel_error": err, "lambda": lam.tolist(), "init_rng_seed": case_seed},
                                               {"max_rel_error": worst})
        seeds.append(case_seed)
        ctx.report((idx + 1) / len(pairs), f"K={K}, L={L}")
    return Outcome.held({"max_rel_error_per_mode": worst, "tolerance": rtol, "margin_range": list(MARGIN_RANGE),
                         "reference_digits": digits_used, "n": n, "init_rng_seeds": seeds},
                        established=pairs_established(pairs))
