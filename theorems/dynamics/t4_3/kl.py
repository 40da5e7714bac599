"""T4.3 (iii): the KL divergence to DNC; alternating orbits (L >= 2) and the Lyapunov property (L = 1)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ncdepth.fuzzing import search, st
from ncdepth.registry import Context, Outcome
from numerics.ode import integrate_orbit, kl_rate, kl_to_dnc
from numerics.reduced_jacobian import scaled_rhs
from reports.figures import render

from .common import KL_EXPONENTS, Ls

# --------------------------------------------------------------------------- (iii) KL
def kl_ratio_conditions(ctx: Context, exponent: str) -> Outcome:
    """sympy: exact sign condition for d(a/b)/dt from L-D.8, the sufficient one implies it, KL increasing in a/b."""
    K, L, a, b, r, c, Q = sp.symbols("K L a b r c Q", positive=True)  # c = β - 1 = (L-1)/(L+1), Q = K/(K-2)
    x, y = sp.symbols("x y", positive=True)  # x = e^{-a/2}, y = e^{-b/2}
    D = 1 + x**2 + (K - 2) * x * y
    omp_odd = 2 * (x**2 + (K / 2 - 1) * x * y) / D
    omp_even = K * x * y / D
    dlog_ratio = omp_odd * a**c - omp_even * b**c
    positive_factor = x * y * b**c / D
    exact_form = (a / b) ** c * (K - 2 + 2 * x / y) - K  # e^{-(a-b)/2} = x / y
    id_residual = sp.simplify(sp.expand(sp.powsimp(sp.expand(dlog_ratio - positive_factor * exact_form), force=True)))
    # sufficient: r > Q^e  =>  r^c (K-2) > K  iff  Q^{e c} = Q, i.e. e c = 1
    e = KL_EXPONENTS[exponent].subs(Ls, L)
    # (Q^e)^c = Q^{e c} (Q > 0): the sufficient condition is r^c (K-2) > K exactly when e c = 1
    ec = sp.simplify(e * (L - 1) / (L + 1))
    suff_residual = sp.simplify(ec - 1)
    at_threshold = Q**ec
    spot = float((at_threshold - Q).subs({Q: sp.Rational(8, 6), L: 2}))
    exact_form = exact_form.subs({x: sp.exp(-a / 2), y: sp.exp(-b / 2), c: (L - 1) / (L + 1)})
    # KL of the alternating vector as a function of r = a/b
    KL = -sp.log(K - 1) - (K / 2) / (K - 1) * sp.log(r) + sp.log((K / 2) * r + K / 2 - 1)
    dKL = sp.simplify(sp.diff(KL, r))
    dKL_form = sp.simplify(dKL - (K / 2) * (K / 2 - 1) * (r - 1) / ((K - 1) * r * ((K / 2) * r + K / 2 - 1)))
    ev = {"dlog(a/b)/dt = positive factor x": str(exact_form), "identity_residual": str(id_residual),
          "e*(L-1)/(L+1) - 1": str(suff_residual), "spot_value_K8_L2": spot,
          "dKL/dr": str(dKL), "dKL/dr_matches_(K/2)(K/2-1)(r-1)/(...)": dKL_form == 0}
    if id_residual != 0 or suff_residual != 0 or abs(spot) > 1e-15 or dKL_form != 0:
        return Outcome(False, ev, counterexample={"K": 8, "L": 2, "threshold^((L-1)/(L+1)) - K/(K-2)": spot})
    return Outcome(True, ev)


def _alt(K: int, a: float, b: float) -> np.ndarray:
    return np.where(np.arange(1, K) % 2 == 1, a, b)


def _dlog_ratio(K: int, L: int, a: float, b: float) -> float:
    """d log(a/b)/dt from the full flow (fast transform, scaled by e^{-ℓ*} > 0)."""
    F, _ = scaled_rhs(_alt(K, a, b), L)
    return F[0] / a - F[1] / b


def kl_alternating_trajectories(ctx: Context, exponent: str) -> Outcome:
    """Full K-1 mode orbits from a/b = r_s(1+1e-3) at scales b0 in {0.01, 1, K/2}: a/b, KL rise; λ/||λ|| -> v/||v||."""
    records = {}
    curves = {}
    for K in ctx.K:
        v = (np.arange(1, K) % 2 == 1).astype(float)
        v /= np.linalg.norm(v)
        for L in [l for l in ctx.L if l >= 2]:
            r_s = (K / (K - 2)) ** float(KL_EXPONENTS[exponent].subs(Ls, L))
            for b0 in (0.01, 1.0, K / 2.0):
                lam0 = _alt(K, r_s * (1 + 1e-3) * b0, b0)
                tau, Y = integrate_orbit(lam0, L, tau_max=5.0, n_out=41, rtol=1e-10, atol=1e-14)
                ratio = Y[:, 0] / Y[:, 1]
                kl = kl_to_dnc(Y)
                dist = np.linalg.norm(Y / np.linalg.norm(Y, axis=1, keepdims=True) - v, axis=1)
                rates = np.array([_dlog_ratio(K, L, y[0], y[1]) for y in Y])
                rec = {"kl_ratio_threshold": r_s, "b0": b0, "ratio_start": float(ratio[0]), "ratio_end": float(ratio[-1]),
                       "kl_start": float(kl[0]), "kl_end": float(kl[-1]), "dist_to_v_start": float(dist[0]),
                       "dist_to_v_end": float(dist[-1]), "min_dlog_ratio_rate_scaled": float(rates.min())}
                records[f"K={K},L={L},b0={b0:g}"] = rec
                if (K, L) == (16, 3) or (K == min(ctx.K) and L == min(l for l in ctx.L if l >= 2)):
                    curves[f"K={K}, L={L}, b0={b0:g}"] = (tau, kl)
                monotone = (np.all(np.diff(ratio) > 0) and np.all(np.diff(kl) > 0) and np.all(np.diff(dist) < 0)
                            and rates.min() > 0)
                if not monotone:
                    i = int(np.argmin(rates))
                    return Outcome(False, {"per_K_L": records},
                                   counterexample={"K": K, "L": L, "a0": float(lam0[0]), "b0": b0,
                                                   "ratio_threshold_tested": r_s, "first_bad_tau": float(tau[i]),
                                                   "d log(a/b)/dt (scaled) there": float(rates[i])})
    fig = render("KL to DNC along alternating orbits (L >= 2)", lambda fig: _draw_kl(fig, curves),
                 "Full K-1 mode reduced flow from a/b just above (K/(K-2))^{(L+1)/(L-1)}; time rescaled (orbit only). KL rises monotonically.")
    return Outcome(True, {"per_K_L": records, "integration": "DOP853 rtol 1e-11 atol 1e-14, orbit time τ in [0, 30]"},
                   figures=[fig])


def _draw_kl(fig, curves: dict) -> None:
    ax = fig.add_subplot(111)
    for label, (tau, kl) in curves.items():
        ax.plot(tau, kl, label=label)
    ax.set_xlabel("orbit time τ (||λ|| = e^τ ||λ(0)||)")
    ax.set_ylabel("KL(λ) to DNC")
    ax.legend(fontsize=7)


def kl_non_monotone(ctx: Context, depth: str) -> Outcome:
    """Find orbits along which KL first rises then falls (L >= 2): alternating starts with a/b slightly above 1.

    ``depth="L>=2"`` (the claim: such orbits exist for every L >= 2 of the grid) vs
    ``depth="L=1"`` (control: for L = 1 KL is monotone, so none is found).
    """
    found = {}
    curves = {}
    Ls_used = [l for l in ctx.L if l >= 2] if depth == "L>=2" else [1]
    for K in ctx.K:
        for L in Ls_used:
            hit = None
            for r0 in (1.01, 1.001, 1.0001):
                for b0 in (0.1, 1.0):
                    tau, Y = integrate_orbit(_alt(K, r0 * b0, b0), L, tau_max=8.0, n_out=81, rtol=1e-10, atol=1e-16)
                    kl = kl_to_dnc(Y)
                    # a rise of more than 1% above the start, then a fall of more than 1% below the peak
                    if kl.max() > 1.01 * kl[0] and kl[-1] < 0.99 * kl.max() and np.argmax(kl) > 0:
                        i_peak = int(np.argmax(kl))
                        hit = {"r0": r0, "b0": b0, "tau_peak": float(tau[i_peak]), "kl_start": float(kl[0]),
                               "kl_peak": float(kl[i_peak]), "kl_end": float(kl[-1]),
                               "a_at_peak": float(Y[i_peak, 0]), "b_at_peak": float(Y[i_peak, 1])}
                        curves[f"K={K}, L={L}, a/b={r0}, b0={b0:g}"] = (tau, kl)
                        break
                if hit:
                    break
            found[f"K={K},L={L}"] = hit
            if hit is None:
                return Outcome(False, {"examples": found},
                               counterexample={"K": K, "L": L, "searched": "r0 in {1.01, 1.001, 1.0001}, b0 in {0.1, 1}, τ <= 8",
                                               "result": "KL monotone on every orbit tried"})
    fig = render("Non-monotone KL (L >= 2)", lambda fig: _draw_kl(fig, dict(list(curves.items())[:4])),
                 "Alternating starts with a/b slightly above 1 at small scale: rich-get-richer raises KL first; once "
                 "a exceeds K(L-1)/(L+1) DNC is stable and KL falls.")
    return Outcome(True, {"examples": found}, figures=[fig])


def kl_lyapunov_l1(ctx: Context, depth: int) -> Outcome:
    """hypothesis: dKL/dt <= 0 at random positive λ (any scale) for the given depth; the claim is depth 1."""
    strategy = st.tuples(st.sampled_from(sorted(ctx.K)), st.floats(-3.0, 3.0), st.floats(0.0, 3.0),
                         st.integers(0, 2**31 - 1))

    def prop(x):
        K, log_scale, spread, s = x
        rng = np.random.default_rng(s)
        lam = 10.0**log_scale * np.exp(spread * rng.standard_normal(K - 1))
        F, _ = scaled_rhs(lam, depth)
        rate = kl_rate(lam, F)
        size = float(np.mean(np.abs(F / lam)))
        return rate <= 1e-12 * size, {"dKL_dt_scaled": rate, "mean_rate_scaled": size}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": sorted(ctx.K), "depth": depth}
    if r.holds:
        return Outcome(True, ev)
    K, log_scale, spread, s = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": depth, "lambda": f"10**{log_scale} * exp({spread} * "
                                              f"np.random.default_rng({s}).standard_normal({K - 1}))", **r.detail})


def kl_l1_trajectories(ctx: Context, depth: int) -> Outcome:
    """Tight-tolerance orbits from random positive starts: KL non-increasing at every output point (L = 1)."""
    rng = ctx.rng(431)
    records = {}
    curves = {}
    for K in ctx.K:
        for j, scale in enumerate((0.01, 1.0, 5.0)):
            lam0 = scale * np.exp(rng.standard_normal(K - 1))
            tau, Y = integrate_orbit(lam0, depth, tau_max=6.0, n_out=61, rtol=1e-10, atol=1e-14)
            kl = kl_to_dnc(Y)
            rates, sizes = [], []
            for y in Y:
                F = scaled_rhs(y, depth)[0]
                rates.append(kl_rate(y, F))
                sizes.append(float(np.mean(np.abs(F / y))))
            rates = np.array(rates) / np.array(sizes)  # dKL/dt relative to the mean log-rate: rounding level ~1e-16
            rec = {"kl_start": float(kl[0]), "kl_end": float(kl[-1]), "max_increment": float(np.max(np.diff(kl))),
                   "max_dKL_dt_relative": float(rates.max())}
            records[f"K={K},scale={scale:g}"] = rec
            if K == min(ctx.K) or j == 0:
                curves[f"K={K}, scale={scale:g}"] = (tau, kl)
            if np.max(np.diff(kl)) > 1e-10 * max(1.0, kl[0]) or rates.max() > 1e-12:
                return Outcome(False, {"per_start": records},
                               counterexample={"K": K, "L": depth, "scale": scale, "seed": ctx.seed, "salt": 431, **rec})
    fig = render(f"KL to DNC along random orbits, L = {depth}", lambda fig: _draw_kl(fig, dict(list(curves.items())[:6])),
                 "Random positive starts; KL decreases monotonically for L = 1 (Lyapunov function).")
    return Outcome(True, {"per_start": records, "integration": "DOP853 rtol 1e-11 atol 1e-14"}, figures=[fig])


def kl_ratio_fuzz(ctx: Context, exponent: str) -> Outcome:
    """hypothesis over K, L >= 2, the scale b and a/b above the sufficient threshold: d(a/b)/dt > 0 (full flow);
    and at random a/b the exact condition predicts the sign."""
    Lpool = sorted(l for l in ctx.L if l >= 2) or [2]
    strategy = st.tuples(st.sampled_from(sorted(ctx.K)), st.sampled_from(Lpool), st.floats(-3.0, 0.0),
                         st.floats(1e-6, 1.0), st.floats(0.0, 1.0))

    def prop(x):
        K, L, log_b_rel, excess, u = x
        b = K * 10.0 ** (log_b_rel * 2)  # b from K/100 .. K ... down to 1e-6 K
        r_s = (K / (K - 2)) ** float(KL_EXPONENTS[exponent].subs(Ls, L))
        r = r_s * (1 + excess)
        rate = _dlog_ratio(K, L, r * b, b)
        if not rate > 0:
            return False, {"b": b, "a_over_b": r, "d_log_ratio_scaled": rate, "kl_ratio_threshold": r_s}
        # exact condition at an arbitrary ratio in (1, 2 r_s]
        r2 = 1 + u * 2 * r_s
        beta1 = (L - 1) / (L + 1)
        margin = r2**beta1 * (K - 2 + 2 * math.exp(-(r2 - 1) * b / 2)) - K
        rate2 = _dlog_ratio(K, L, r2 * b, b)
        if abs(margin) > 1e-9 * K and (margin > 0) != (rate2 > 0):
            return False, {"b": b, "a_over_b": r2, "exact_margin": margin, "d_log_ratio_scaled": rate2}
        return True, None

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": sorted(ctx.K), "L_drawn_from": Lpool,
          "kl_ratio_threshold": {f"K={K},L={L}": (K / (K - 2)) ** float(KL_EXPONENTS[exponent].subs(Ls, L))
                                 for K in sorted(ctx.K) for L in Lpool}}
    if r.holds:
        return Outcome(True, ev)
    K, L, lb, excess, u = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "L": L, **r.detail})


