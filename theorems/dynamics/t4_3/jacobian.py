"""T4.3, the linearisation the threshold checks of (i) and (ii) rest on: the JVP of the reduced flow at generic λ.

The numeric threshold checks evaluate Jacobian-vector products only on the special subspaces
(λ ≡ a, λ = a v), where many slips in a JVP cancel (all tail softmax weights equal, half the
modes zero).  This check compares the float64 JVP (:func:`numerics.reduced_jacobian.scaled_rhs_jvp`,
fast transform, scaled by e^{-ℓ*}), the mpmath chain rule (:func:`~numerics.reduced_jacobian.rhs_jvp_mp`)
the arb tangent JVP (:func:`~numerics.reduced_jacobian.tangent_jvp_arb`, K <= 256)
and :func:`~numerics.reduced_jacobian.psi_jvp` against central differences of the flow itself
(:func:`~numerics.reduced_jacobian.rhs_jvp_fd_mp`, which uses no chain rule) at *generic* λ: random,
positive, log-normally spread around a random scale from 10^-3 to 2K, with random directions.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ncdepth.registry import Context, Outcome
from numerics.hadamard import fwht
from numerics.reduced_flow import beta, one_minus_psi_mp
from numerics.intervals import working_precision
from numerics.reduced_jacobian import (psi_jvp, rhs_jvp_fd_mp, rhs_jvp_mp, scaled_rhs_jvp, scaled_tail_weights,
                                       tangent_jvp_arb)

#: settings of the comparison (recorded in the evidence from these values)
SAMPLES_PER_K = 6
MP_DPS = 40
FD_STEP = "1e-13"
SPREAD = 0.7  # log-normal spread of λ around its scale
TOL_FD_VS_CHAIN_MP = 1e-20
TOL_FLOAT = 1e-9
PSI_JVP_MAX_SCALE = 50.0  # psi_jvp is unscaled float64: only where e^{-λ} does not underflow
ARB_MAX_K = 256  # the arb tangent JVP (used by the certified sign checks) is compared up to this K
ARB_BITS = 160
TOL_ARB = 1e-20


def _jvp_without_normalisation(lam: np.ndarray, w: np.ndarray, L: int) -> tuple[np.ndarray, float]:
    """A plausible wrong JVP (the control): the softmax Jacobian taken as diag(g), forgetting -g g^T."""
    t, _, ell = scaled_tail_weights(lam)
    K = lam.size + 1
    b = beta(L)
    df = fwht(np.concatenate([[0.0], w])) / K
    x = t * df
    d_omp = (np.sum(x) - fwht(x))[1:]
    omp = (np.sum(t) - fwht(t))[1:]
    return d_omp * np.power(lam, b) + omp * b * np.power(lam, b - 1.0) * w, ell


JVPS = {"chain_rule": scaled_rhs_jvp, "no_normalisation": _jvp_without_normalisation}


def jvp_generic(ctx: Context, jvp: str) -> Outcome:
    """At generic positive λ: float64 scaled JVP and mpmath chain rule vs mpmath central differences of the flow."""
    rng = ctx.rng(4301)
    records: dict = {}
    worst = {"fd_vs_chain_mp": 0.0, "float_vs_mp": 0.0, "psi_jvp_vs_fd": 0.0}
    Ls = list(ctx.L) or [1]
    n = 0
    with mpmath.workdps(MP_DPS):
        h = mpmath.mpf(FD_STEP)
        for K in ctx.K:
            for i in range(SAMPLES_PER_K):
                ctx.report(n / (SAMPLES_PER_K * len(ctx.K)), f"K={K}, sample {i}")
                n += 1
                L = Ls[(i + n) % len(Ls)]
                scale = 10.0 ** rng.uniform(-3.0, math.log10(2.0 * K))
                lam = scale * np.exp(SPREAD * rng.standard_normal(K - 1))
                z = rng.standard_normal(K - 1)
                w = lam * z / np.linalg.norm(z)  # λ ± h w stays positive
                lam_mp = [mpmath.mpf(float(x)) for x in lam]
                w_mp = [mpmath.mpf(float(x)) for x in w]
                _, jw_chain = rhs_jvp_mp(lam_mp, w_mp, L)
                jw_fd = rhs_jvp_fd_mp(lam_mp, w_mp, L, h=h)
                norm = mpmath.sqrt(mpmath.fsum(x * x for x in jw_fd))
                e_mp = mpmath.sqrt(mpmath.fsum((x - y) ** 2 for x, y in zip(jw_chain, jw_fd))) / norm
                jw_f, ell = JVPS[jvp](lam, w, L)
                ref = np.array([float(x * mpmath.exp(-ell)) for x in jw_fd])  # same scaling e^{-ℓ*}
                e_f = float(np.linalg.norm(jw_f - ref) / np.linalg.norm(ref))
                rec = {"K": K, "L": L, "scale": scale, "rel_err_mp_chain_rule_vs_differences": mpmath.nstr(e_mp, 5),
                       "rel_err_float64_vs_differences": e_f}
                worst["fd_vs_chain_mp"] = max(worst["fd_vs_chain_mp"], float(e_mp))
                worst["float_vs_mp"] = max(worst["float_vs_mp"], e_f)
                if float(np.max(lam)) <= PSI_JVP_MAX_SCALE:
                    # ψ_k = 1 - (1 - ψ_k): differences of the core form, against the float64 chain rule for ψ
                    plus = one_minus_psi_mp([x + h * y for x, y in zip(lam_mp, w_mp)])
                    minus = one_minus_psi_mp([x - h * y for x, y in zip(lam_mp, w_mp)])
                    dpsi = np.array([float(-(p - m) / (2 * h)) for p, m in zip(plus, minus)])
                    e_psi = float(np.linalg.norm(psi_jvp(lam, w) - dpsi) / np.linalg.norm(dpsi))
                    rec["rel_err_psi_jvp_vs_differences"] = e_psi
                    worst["psi_jvp_vs_fd"] = max(worst["psi_jvp_vs_fd"], e_psi)
                else:
                    e_psi = 0.0
                e_arb = 0.0
                if K <= ARB_MAX_K:
                    # the arb tangent JVP G w = P_u J w - (<u, F>/r) w against the same formula built from the differences
                    F_mp, _ = rhs_jvp_mp(lam_mp, w_mp, L)
                    r = mpmath.sqrt(mpmath.fsum(x * x for x in lam_mp))
                    u = [x / r for x in lam_mp]
                    uJ = mpmath.fsum(a * b for a, b in zip(u, jw_fd))
                    uF = mpmath.fsum(a * b for a, b in zip(u, F_mp))
                    # tangent part of w, as the arb routine expects a tangent direction's formula
                    Gw_ref = [jv - uJ * ui - (uF / r) * wi for jv, ui, wi in zip(jw_fd, u, w_mp)]
                    with working_precision(ARB_BITS):
                        Gw_arb, _ = tangent_jvp_arb([float(x) for x in lam], [float(x) for x in w], L)
                    nref = mpmath.sqrt(mpmath.fsum(x * x for x in Gw_ref))
                    e_arb = float(mpmath.sqrt(mpmath.fsum((mpmath.mpf(g.mid().str(40, radius=False)) - x) ** 2
                                                          for g, x in zip(Gw_arb, Gw_ref))) / nref)
                    rec["rel_err_arb_tangent_jvp_vs_differences"] = e_arb
                    worst["arb_vs_fd"] = max(worst.get("arb_vs_fd", 0.0), e_arb)
                records[f"K={K},sample={i}"] = rec
                if e_mp > TOL_FD_VS_CHAIN_MP or e_f > TOL_FLOAT or e_psi > TOL_FLOAT or e_arb > TOL_ARB:
                    return Outcome.refuted({**rec, "lambda": f"{scale:.17g} * exp({SPREAD} * N(0,1))", "seed": ctx.seed,
                                            "salt": 4301, "sample_index": n - 1},
                                           {"per_sample": records, "worst": worst})
    ev = {"per_sample": records, "worst": worst, "mp_dps": MP_DPS, "finite_difference_step": FD_STEP,
          "samples_per_K": SAMPLES_PER_K, "lambda": f"10^U(-3, log10 2K) x exp({SPREAD} N(0,1)), w = λ ⊙ z/||z||",
          "tolerances": {"mp chain rule vs differences": TOL_FD_VS_CHAIN_MP, "float64 vs differences": TOL_FLOAT,
                         "psi_jvp vs differences": TOL_FLOAT, f"arb tangent JVP vs differences (K <= {ARB_MAX_K})": TOL_ARB},
          "arb_bits": ARB_BITS}
    return Outcome.held(ev)
