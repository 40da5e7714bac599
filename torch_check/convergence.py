"""When a training run counts as converged, stated once and applied to every empirical claim.

Gradient flow on the cross-entropy never stops: the loss falls to 0 and the parameters
grow without bound, while the *direction* (the normalised logits) converges, slowly.
A run stopped by a loss floor or by its step cap is therefore not converged just
because it stopped.  :class:`Convergence` is the criterion a run must meet:

1. its log-loss ended below ``log_loss_floor`` (a run stopped by the step cap fails);
2. every sample is classified with a positive margin at the end;
3. over the last window — from the first step at which its log-loss fell below
   ``window_start`` to the end — the normalised margin (App. E.1) changed by at most
   ``margin_rtol`` relative to its final value, and, when given, the claim's measured
   statistic (effective rank, angle spread ...) changed by at most ``stat_atol``.

The window is measured in log-loss, not in steps: in the lazy phase the loss falls
geometrically in the step count, so "the last decade of log ℒ" is the same stretch of the
trajectory for every run, depth and step size.  The trainer records each member's logits
when it first crosses ``window_start`` (``TrainConfig.log_loss_marks``); :func:`assess`
compares them with the final logits.  A check whose runs did not all converge returns
``Outcome.undecided`` with :func:`undecided_message` (never PASS).

Directional convergence is slow (the effective rank of a depth-2 run still drifts by
0.3 per decade of log ℒ at log ℒ = -1e4, K = 8, d = 32), so :func:`train_converged`
trains in stages: first to ``log_loss_floor`` with the configured step; then a member
that has not converged is trained on, one decade of log ℒ at a time (floors
``10 · floor``, ``100 · floor`` ...; at most ``extra_decades`` more), optionally with a
larger relative step ``lazy_rho`` (the direction moves slowly there), and is assessed on
its last decade; converged members leave the batch.  A member still unconverged after
the last stage stays unconverged: the check is undecided.  With ``quiet_decades = q`` a
member must meet the change tolerances over each of q consecutive decades (one decade can
be a plateau of a slow transition: at K = 6, L = 6, d = 6, seed 2043554486 moved its
normalised margin by < 2 % from log ℒ = -10 to -100 with relative spectrum (1, 0.97, 0.15),
then by 12 % in the next decade on its way to (1, 0.98, 0.25); at K = 8, L = 2, d = 32, seed
2123594423 sat at effective rank 4.74 for two decades, then fell to 4.0 in the next).

Measured statistics are looked up by name in :data:`STATISTICS` (``"erank"``,
``"max_gap_deviation"``, ``"distance_to_cross_polytope"``, ``"normalised_margin"``);
:func:`register_statistic` adds one.  A statistic may have a *domain*
(:data:`DOMAINS`): the matrices on which it is a well-posed read-off.  Its change is
required to be small only for a run that lies in the domain at the start or the end of
its last decade; a run outside it at both ends is not judged on it (recorded as
``<name>_read: False``), a run inside at one end only is in transition and not converged.
``"max_gap_deviation"`` (the rank-2 Gram-factor angles) is read only on matrices of rank
<= 2 (relative singular values above :data:`RANK_READ_TOL`): for a rank-3 limit its
top-two singular vectors are fixed only up to the splitting of nearly equal singular
values, so the read-off jumps while the matrix is at rest.  Measured at K = 6, L = 6,
d = 6 (E-3's generic starts, seeds 93402947 and 60211325): over 16 decades of log ℒ the
relative spectra stayed at (1, 0.99, 0.98) and (1, 0.99, 0.25), the normalised margin at
0.281 ± 0.002 and 0.186 ± 0.002, the effective rank within 0.01, while the "gap deviation"
jumped between 0.2 and 1.0 rad from decade to decade.  Before this rule these runs could
never converge, and E-3 / E-3b were INCONCLUSIVE on some machines; the claim reads the
angles of rank-2 runs only.

Discretisation.  The lazy stages take relative steps ``lazy_rho``; near the max-margin
direction a step of relative size ρ makes the normalised margin zig-zag by a few ρ/γ.
Measured at K = 8, L = 6, d = 32 (E-2's deepest runs): with ρ = 1e-2 the margin
of a run at rest (effective rank 2.000) jumped by 2-7 % between decades and sat ~10 %
below its ρ = 3e-3 value (0.043-0.046 vs 0.049-0.050); with ρ = 3e-3 it moved 1-3 %.  A
lazy step is therefore chosen so that this jitter is well inside ``margin_rtol``.

float64 range.  The floors may not go below :data:`LOG_LOSS_LIMIT` (-1e16): beyond it the
logits (~|log ℒ|) have a float64 spacing of order 1 and the step no longer follows the flow
(measured: a rank-3 run at rest since log ℒ = -1e3 lost 14 % of its normalised margin in
the decade to -1e17).

Robustness (measured on one 2-core machine, December 2026).  With every Gaussian start
perturbed by 1e-15 relative noise, E-2 (PASS), E-3's generic starts (PASS) and E-3b's
generic starts (FAIL, the finding) gave the same verdicts, every E-3 run the same rank and
structure with margins within 1 %, and the same single slow E-2 run (K = 8, L = 2, seed
2123594423) needed the most decades; ``threads=2`` gave bit-identical runs.  ``require`` names end conditions in
:data:`PREDICATES` (``"spectrum_resolved"``: no relative singular value strictly between 2 %
and 50 %, so that a rank read-off is not taken in the middle of a slow transition).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Callable, Sequence

import numpy as np

from . import metrics

__all__ = ["Convergence", "assess", "undecided_message", "erank_statistic", "STATISTICS", "register_statistic",
           "train_converged"]

Statistic = Callable[[np.ndarray, int, int], float]
STATISTICS: dict[str, Statistic] = {}
PREDICATES: dict[str, Callable[[np.ndarray, int, int], bool]] = {}
DOMAINS: dict[str, Callable[[np.ndarray, int, int], bool]] = {}  # statistic name -> "is it read on this matrix"
RANK_READ_TOL = 0.02  # relative singular value above which a direction counts in the rank (E-3's RANK_TOL)
LOG_LOSS_LIMIT = -1e16  # the lowest allowed stage floor (float64 range, see the module docstring)


def register_statistic(name: str) -> Callable[[Statistic], Statistic]:
    """Decorator: make ``fn(Z, K, n) -> float`` available to :class:`Convergence` as ``stat_name=name``."""
    def deco(fn: Statistic) -> Statistic:
        STATISTICS[name] = fn
        return fn
    return deco


@dataclass(frozen=True)
class Convergence:
    """The convergence criterion (see the module docstring).  Hashable: it keys the run caches."""

    log_loss_floor: float
    window_start: float
    margin_rtol: float
    stat_atol: float | None = None
    stat_name: str = ""
    extra_decades: int = 0
    lazy_rho: float | None = None
    stage_steps: int = 3000
    extra_stats: tuple[tuple[str, float], ...] = ()  # more (statistic name, atol) pairs, all required
    require: tuple[str, ...] = ()  # names in PREDICATES that must hold at the end (e.g. "spectrum_resolved")
    quiet_decades: int = 1  # consecutive decades that must each meet the change tolerances (train_converged)

    def __post_init__(self) -> None:
        if not self.window_start > self.log_loss_floor:
            raise ValueError("the window must start above the floor (window_start > log_loss_floor)")
        if not self.log_loss_floor < 0:
            raise ValueError("log_loss_floor must be < 0 (the decades are 10x, 100x ... the floor)")
        if not self.margin_rtol > 0:
            raise ValueError("margin_rtol must be > 0")
        if self.stat_atol is not None and self.stat_name not in STATISTICS:
            raise ValueError(f"unknown statistic {self.stat_name!r}; known: {sorted(STATISTICS)}")
        unknown = [name for name, _ in self.extra_stats if name not in STATISTICS]
        unknown += [name for name in self.require if name not in PREDICATES]
        if unknown:
            raise ValueError(f"unknown statistic(s) {unknown}; known: {sorted(STATISTICS)}")
        if self.quiet_decades < 1 or self.quiet_decades > self.extra_decades + 1:
            raise ValueError("quiet_decades must be between 1 and extra_decades + 1")
        if self.extra_decades < 0 or self.stage_steps < 1:
            raise ValueError("extra_decades must be >= 0 and stage_steps >= 1")
        if min(self.floors()) < LOG_LOSS_LIMIT:
            raise ValueError(f"the last stage floor {min(self.floors()):g} is below {LOG_LOSS_LIMIT:g}, where float64 "
                             "no longer resolves the logits (fewer extra_decades)")

    @property
    def statistic(self) -> Statistic | None:
        return STATISTICS[self.stat_name] if self.stat_atol is not None else None

    def floors(self) -> tuple[float, ...]:
        """The stage floors: the floor, then one more decade per extra stage."""
        return tuple(self.log_loss_floor * 10.0 ** j for j in range(self.extra_decades + 1))

    @property
    def marks(self) -> tuple[float, ...]:
        return (float(self.window_start),)

    def describe(self) -> dict:
        d = asdict(self)
        d["stage_floors"] = list(self.floors())
        d["rule"] = ("converged: log-loss below the stage floor, all margins > 0, and over the last decade of "
                     "log-loss (from window_start to log_loss_floor at the first stage, from one floor to the next "
                     "after it) |Δ normalised margin| <= margin_rtol * |final margin|"
                     + (f" and |Δ {self.stat_name}| <= stat_atol" if self.stat_atol is not None else "")
                     + "".join(f" and |Δ {name}| <= {tol}" for name, tol in self.extra_stats)
                     + "".join(f" ({name} judged only where it is read: "
                                 f"{DOMAINS[name].__doc__.strip().replace('RANK_READ_TOL', f'{RANK_READ_TOL:g}')})"
                               for name in [self.stat_name if self.stat_atol is not None else None]
                               + [n for n, _ in self.extra_stats] if name in DOMAINS)
                     + "".join(f" and {name} at the end" for name in self.require)
                     + (f"; these changes within tolerance over each of the last {self.quiet_decades} "
                        "consecutive decades" if self.quiet_decades > 1 else "")
                     + (f"; up to {self.extra_decades} further decades for runs not yet converged"
                        if self.extra_decades else ""))
        return d


@register_statistic("erank")
def erank_statistic(Z: np.ndarray, K: int, n: int) -> float:
    """Effective rank (Eq. 60) of the centred mean logits of one logit matrix."""
    return metrics.effective_rank(metrics.singular_values(metrics.centred(metrics.mean_logits(Z, K, n))))


@register_statistic("max_gap_deviation")
def max_gap_deviation(Z: np.ndarray, K: int, n: int) -> float:
    """Largest |adjacent angle - 2π/K| (radians) of the rank-2 Gram factor of the mean logits."""
    angles, _ = metrics.feature_angles(metrics.mean_logits(Z, K, n), rank=2)
    return float(np.max(np.abs(metrics.circular_gaps(angles) - 2 * np.pi / K)))


def rank_at_most_two(Z: np.ndarray, K: int, n: int) -> bool:
    """rank <= 2 (relative singular values of the centred mean logits above RANK_READ_TOL)"""
    s = metrics.singular_values(metrics.centred(metrics.mean_logits(Z, K, n)))
    return bool(np.sum(s > RANK_READ_TOL * s.max()) <= 2)


DOMAINS["max_gap_deviation"] = rank_at_most_two


@register_statistic("distance_to_cross_polytope")
def cross_polytope_distance(Z: np.ndarray, K: int, n: int) -> float:
    return metrics.distance_to_cross_polytope(metrics.mean_logits(Z, K, n))


def spectrum_resolved(Z: np.ndarray, K: int, n: int, rank_tol: float = 0.02, resolved: float = 0.5) -> bool:
    """No singular value of the centred mean logits strictly between ``rank_tol`` and ``resolved`` of
    the largest: the rank read-off is not caught in a slow transition (a mode still decaying or
    growing in the lazy phase)."""
    s = metrics.singular_values(metrics.centred(metrics.mean_logits(Z, K, n)))
    rel = s / s.max()
    return bool(not np.any((rel > rank_tol) & (rel < resolved)))


PREDICATES["spectrum_resolved"] = spectrum_resolved


@register_statistic("normalised_margin")
def margin_statistic(Z: np.ndarray, K: int, n: int) -> float:
    return metrics.normalised_margin(Z, K, n)


def _change(name: str, fn: Statistic, Zf: np.ndarray, Zw: np.ndarray, K: int, n: int) -> tuple[float | None, str]:
    """|fn(final) - fn(window)| and where the statistic is read: "both" ends, "neither" (change None),
    or "one end" (the run crossed the edge of the statistic's domain during the decade)."""
    domain = DOMAINS.get(name)
    inside = (True, True) if domain is None else (domain(Zw, K, n), domain(Zf, K, n))
    if not any(inside):
        return None, "neither"
    return abs(fn(Zf, K, n) - fn(Zw, K, n)), ("both" if all(inside) else "one end")


def _change_ok(change: float | None, read: str, tol: float) -> bool:
    if read == "neither":
        return True  # not a read-off of this run (e.g. rank-2 angles of a rank-3 limit)
    return bool(read == "both" and change <= tol)


def assess(criterion: Convergence, final_logits: np.ndarray, window_logits: np.ndarray,
           final_log_loss: np.ndarray, K: int, n: int,
           statistic: Callable[[np.ndarray, int, int], float] | None = None) -> dict:
    """Per-run convergence flags and the numbers behind them.

    ``final_logits``/``window_logits``: (B, K, N); ``final_log_loss``: (B,).  A run whose
    window logits are NaN (it never reached ``window_start``) is not converged.
    """
    B = final_logits.shape[0]
    runs = []
    for b in range(B):
        Zf, Zw, ll = final_logits[b], window_logits[b], float(final_log_loss[b])
        row: dict = {"final_log_loss": ll, "reached_floor": bool(ll < criterion.log_loss_floor)}
        gf = metrics.normalised_margin(Zf, K, n)
        row["final_normalised_margin"] = gf
        row["positive_margin"] = bool(gf > 0)
        if not np.all(np.isfinite(Zw)):
            row.update(window_reached=False, converged=False)
            runs.append(row)
            continue
        gw = metrics.normalised_margin(Zw, K, n)
        dm = abs(gf - gw)
        row.update(window_reached=True, margin_change=dm, margin_ok=bool(dm <= criterion.margin_rtol * abs(gf)))
        ok = row["reached_floor"] and row["positive_margin"] and row["margin_ok"]
        if criterion.stat_atol is not None:
            fn = statistic or criterion.statistic
            ds, read = _change(criterion.stat_name, fn, Zf, Zw, K, n)
            row.update(stat_change=ds, stat_ok=_change_ok(ds, read, criterion.stat_atol))
            if criterion.stat_name in DOMAINS:
                row["stat_read"] = read
            ok = ok and row["stat_ok"]
        for name, tol in criterion.extra_stats:
            ds, read = _change(name, STATISTICS[name], Zf, Zw, K, n)
            row[f"{name}_change"] = ds
            if name in DOMAINS:
                row[f"{name}_read"] = read
            ok = ok and _change_ok(ds, read, tol)
        for name in criterion.require:
            row[name] = bool(PREDICATES[name](Zf, K, n))
            ok = ok and row[name]
        row["converged"] = bool(ok)
        runs.append(row)
    n_conv = sum(r["converged"] for r in runs)
    return {"criterion": criterion.describe(), "runs": runs, "converged": int(n_conv), "total": B,
            "all_converged": bool(n_conv == B),
            "largest_margin_change": max((r.get("margin_change", np.inf) for r in runs), default=0.0),
            "largest_stat_change": max((r.get("stat_change") or 0.0 for r in runs), default=0.0)}


def undecided_message(reports: list[tuple[str, dict]]) -> str:
    """'3 of 40 runs did not meet the convergence criterion (L=6: 2 of 8; ...)'."""
    bad = [(label, r) for label, r in reports if not r["all_converged"]]
    total = sum(r["total"] for _, r in reports)
    conv = sum(r["converged"] for _, r in reports)
    parts = "; ".join(f"{label}: {r['converged']} of {r['total']} converged" for label, r in bad)
    return (f"only {conv} of {total} runs met the convergence criterion ({parts}); "
            "raise the step budget (or use --profile thorough)")


def train_converged(cfg, init: Sequence[Sequence[np.ndarray]], seeds: Sequence, criterion: Convergence) -> dict:
    """Train ``init`` (B members) under ``cfg`` until each meets ``criterion`` or the last stage ends.

    ``cfg.log_loss_floor`` and ``cfg.log_loss_marks`` are set from the criterion.  Returns
    ``final_logits`` (B, K, N) and ``final_log_loss`` (B,) of each member's last stage, the
    stage at which it converged (-1: never), the per-member :func:`assess` rows, the
    configurations of every stage (``dataclasses.asdict``) and the steps each stage ran.
    """
    from .trainer import train, unstack  # torch on first use

    K, n = cfg.K, cfg.n
    B = len(init)
    floors = criterion.floors()
    final_logits = np.full((B, K, K * n), np.nan)
    window_logits = np.full((B, K, K * n), np.nan)
    final_ll = np.full(B, np.nan)
    stage_of = np.full(B, -1)
    quiet = np.zeros(B, dtype=int)  # consecutive decades (up to the current stage) that met the tolerances
    rows: list[dict | None] = [None] * B
    stages = []
    current = [list(m) for m in init]
    todo = list(range(B))
    wall = 0.0
    for j, floor in enumerate(floors):
        if not todo:
            break
        if j == 0:
            c = replace(cfg, log_loss_floor=floor, log_loss_marks=criterion.marks, log_every=0)
        else:
            c = replace(cfg, log_loss_floor=floor, log_loss_marks=(), log_every=0,
                        lr=criterion.lazy_rho or cfg.lr, steps=criterion.stage_steps)
        r = train(c, [current[b] for b in todo], [seeds[b] for b in todo], with_metrics=False, keep_factors=True)
        wall += r.wall_s
        Zf = r.logits[-1]
        Zw = r.at_mark(criterion.window_start)["logits"] if j == 0 else final_logits[todo]
        rep = assess(replace(criterion, log_loss_floor=floor, extra_decades=0, quiet_decades=1), Zf, Zw, r.log_loss[-1], K, n)
        stages.append({"stage": j, "floor": floor, "members": len(todo), "steps_run": int(r.steps[-1]),
                       "quiet_last_decade": rep["converged"], "train_config": asdict(c)})
        facs = unstack(r.final_factors)
        still = []
        for i, b in enumerate(todo):
            window_logits[b] = Zw[i]
            final_logits[b] = Zf[i]
            final_ll[b] = r.log_loss[-1, i]
            quiet[b] = quiet[b] + 1 if rep["runs"][i]["converged"] else 0
            done = bool(quiet[b] >= criterion.quiet_decades)
            rows[b] = dict(rep["runs"][i], stage=j, stage_floor=floor, last_decade_quiet=rep["runs"][i]["converged"],
                           quiet_decades=int(quiet[b]), converged=done)
            if done:
                stage_of[b] = j
            else:
                still.append(b)
                current[b] = facs[i]
        todo = still
    n_conv = int(np.sum(stage_of >= 0))
    report = {"criterion": criterion.describe(), "runs": rows, "converged": n_conv, "total": B,
              "all_converged": bool(n_conv == B), "stages": stages,
              "largest_margin_change": max((r.get("margin_change", math.inf) for r in rows), default=0.0),
              "largest_stat_change": max((r.get("stat_change") or 0.0 for r in rows), default=0.0)}
    return {"final_logits": final_logits, "window_logits": window_logits, "final_log_loss": final_ll,
            "converged_at_stage": stage_of, "convergence": report, "wall_s": wall}
