"""Run checks (statement and negative control) and turn outcomes into verdicts.

Verdict rules, applied the same way to every check:

* no (K, L) of the request lies in the domain, or in what the check serves  -> SKIP (with the reason)
* a needed optional package is absent                                       -> SKIP (with the install hint)
* the statement's run raises                                                -> ERROR (with the exception)
* the statement's run runs out of a budget (Outcome.undecided, BudgetExhausted) -> INCONCLUSIVE
* the statement's run is refuted with a counterexample                      -> FAIL
  (a refutation without a counterexample is a checker defect                -> ERROR)
* the statement held; the control's run raises                              -> ERROR
* the statement held; the control's run is undecided                        -> INCONCLUSIVE (power not shown)
* the statement held; the control held too                                  -> UNSOUND (the check cannot fail)
* the statement held; the control was refuted                               -> PASS

A time budget (``RunOptions.budget_s``; 60 s per check in the ci profile, for statement
and control together) is enforced wherever a check reports progress: running out of
it is INCONCLUSIVE, never FAIL.
"""

from __future__ import annotations

import math
import os
import time
import traceback
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .registry import BudgetExhausted, Check, Claim, Context, Figure, Level, Outcome, Verdict

# Optional packages: a check that needs one that is absent is SKIP (with the install hint), not ERROR.
OPTIONAL_MODULES = {"torch": 'install it first: pip install torch==2.13.0 && pip install -e ".[torch]"',
                    "coqc": "the formal level needs Coq and mathcomp: apt-get install coq libcoq-mathcomp-ssreflect "
                            "libcoq-mathcomp-algebra libcoq-mathcomp-fingroup"}

__all__ = ["RunOptions", "CheckResult", "ClaimResult", "resolve_grid", "run_check", "run_claims", "jsonable",
           "VERDICT_ORDER", "without_run_facts"]

# Evidence fields that describe the run, not its result: wall-clock measurements, and facts about the
# process that ran a check (which Coq files a formal check compiled itself and which it found built by an
# earlier check in the same process depends on how checks were scheduled over processes).
TIMING_KEYS = frozenset({"elapsed_s", "solve_s", "certify_s", "build_s", "timings_s", "wall_s", "seconds", "time_s",
                         "steps_per_s", "query_s"})
PROCESS_LOCAL_KEYS = frozenset({"build_reused_in_this_process", "compiled_for_this_check"})


def without_run_facts(x):
    """``x`` (an evidence or control record) without its timings and process-local facts: what must be equal
    between a serial run, worker processes and a cluster."""
    if isinstance(x, dict):
        return {k: without_run_facts(v) for k, v in x.items()
                if not (k in TIMING_KEYS or k in PROCESS_LOCAL_KEYS or k.startswith("compile_s")
                        or ((k.endswith("_s") or k.endswith("_seconds")) and isinstance(v, float)))}
    if isinstance(x, list):
        return [without_run_facts(v) for v in x]
    return x

# A claim's verdict is the first of these that one of its checks has.
VERDICT_ORDER = (Verdict.FAIL, Verdict.UNSOUND, Verdict.ERROR, Verdict.INCONCLUSIVE, Verdict.PASS, Verdict.SKIP)

DEFAULT_BUDGET_S = {"ci": 60.0, "thorough": 1800.0}


@dataclass(frozen=True)
class RunOptions:
    """User choices for a run: grid overrides, levels, seed, profile, time budget per check."""

    K: tuple[int, ...] | None = None
    L: tuple[int, ...] | None = None
    levels: tuple[Level, ...] | None = None
    seed: int = 20260
    profile: str = "ci"
    examples: int | None = None
    budget_s: float | None = None

    def examples_for_profile(self) -> int:
        if self.examples is not None:
            return self.examples
        return 400 if self.profile == "thorough" else 40

    def budget_for_profile(self) -> float:
        if self.budget_s is not None:
            return float(self.budget_s)
        env = os.environ.get("NCDEPTH_BUDGET_S")
        if env:
            return float(env)
        return DEFAULT_BUDGET_S.get(self.profile, 60.0)


@dataclass
class CheckResult:
    claim_id: str
    name: str
    level: Level
    verdict: Verdict
    params: dict[str, Any]
    evidence: dict[str, Any]
    elapsed_s: float
    message: str = ""
    counterexample: dict[str, Any] | None = None
    control: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    established: dict[str, Any] | None = None
    cached: bool = False  # reused from the result cache (ncdepth.cache), not recomputed in this run

    @property
    def test_id(self) -> str:
        return f"{self.claim_id}/{self.level.value}/{self.name}"

    def __repr__(self) -> str:
        return (f"<CheckResult {self.test_id} {self.verdict.value}{' (cached)' if self.cached else ''}"
                f"{': ' + self.message[:80] if self.message else ''}>")

    def summary(self) -> str:
        lines = [f"{self.test_id}: {self.verdict.value}{' (cached)' if self.cached else ''} ({self.verdict.meaning})"]
        if self.message:
            lines.append(self.message)
        if self.counterexample:
            lines.append(f"counterexample: {self.counterexample}")
        return "\n".join(lines)


@dataclass
class ClaimResult:
    claim: Claim
    checks: list[CheckResult]

    @property
    def verdict(self) -> Verdict:
        verdicts = {c.verdict for c in self.checks}
        for v in VERDICT_ORDER:
            if v in verdicts:
                return v
        return Verdict.SKIP

    @property
    def scope(self):
        from .scope import claim_scope

        return claim_scope(self)

    def __repr__(self) -> str:
        return f"<ClaimResult {self.claim.id} {self.verdict.value}: {self.scope.headline[:100]}>"


def _filter(values, problem, claim_id: str, domain_text: str, messages: list[str]) -> tuple[int, ...]:
    checked = [(v, problem(v)) for v in values]
    dropped = [why for _, why in checked if why is not None]
    if dropped:
        shown = "; ".join(dropped[:3]) + (f"; and {len(dropped) - 3} more" if len(dropped) > 3 else "")
        messages.append(f"{claim_id}: skipped ({domain_text}): {shown}")
    return tuple(v for v, why in checked if why is None)


def resolve_grid(claim: Claim, check: Check, options: RunOptions
                 ) -> tuple[tuple[int, ...], tuple[int, ...], list[str]]:
    """The (K, L) grids for one check, and messages for requested values it cannot take."""
    K, L, _, messages = _resolve(claim, check, options)
    return K, L, messages


def _resolve(claim: Claim, check: Check, options: RunOptions):
    thorough = options.profile == "thorough"
    default_K, default_L = check.default_grid(thorough)
    messages: list[str] = []
    K, L = default_K, default_L
    serves = check.declared_serves()
    K_cap, L_cap = check.caps(thorough)
    served = serves.describe()
    if options.K is not None and claim.domain.uses_K:
        K = _filter(options.K, claim.domain.K_problem, claim.id, claim.domain.describe(), messages)
        if K_cap is not None or serves.K_min is not None:
            lo = serves.K_min
            K = _filter(K, lambda k: (f"K={k} > {K_cap}" if K_cap is not None and k > K_cap else
                                      (f"K={k} < {lo}" if lo is not None and k < lo else None)),
                        claim.id, f"{check.name} serves {served}" if check.serves else f"{check.name} supports K <= {K_cap}",
                        messages)
    if options.L is not None and claim.domain.uses_L:
        L = _filter(options.L, claim.domain.L_problem, claim.id, claim.domain.describe(), messages)
        if L_cap is not None or serves.L_min is not None:
            lo = serves.L_min
            L = _filter(L, lambda l_: (f"L={l_} > {L_cap}" if L_cap is not None and l_ > L_cap else
                                       (f"L={l_} < {lo}" if lo is not None and l_ < lo else None)),
                        claim.id, f"{check.name} serves {served}" if check.serves else f"{check.name} supports L <= {L_cap}",
                        messages)
    pairs = None
    if serves.pair is not None:
        Ks = K if (claim.domain.uses_K and check.K) else (None,)
        Ls = L if (claim.domain.uses_L and check.L) else (None,)
        all_pairs = [(k, l_) for k in Ks for l_ in Ls]
        ok = [(k, l_) for k, l_ in all_pairs if serves.pair(k, l_, thorough)]
        if len(ok) < len(all_pairs):
            out = [f"(K={k}, L={l_})" for k, l_ in all_pairs if (k, l_) not in ok]
            shown = ", ".join(out[:4]) + (f" and {len(out) - 4} more" if len(out) > 4 else "")
            messages.append(f"{claim.id}: {check.name} skipped {shown}: it serves {served}")
        pairs = tuple(ok)
        if claim.domain.uses_K and check.K:
            K = tuple(k for k in K if any(p[0] == k for p in ok))
        if claim.domain.uses_L and check.L:
            L = tuple(l_ for l_ in L if any(p[1] == l_ for p in ok))
    return K, L, pairs, messages


def _run_once(check: Check, ctx: Context, kwargs: dict) -> Outcome:
    out = check.fn(ctx, **kwargs)
    if not isinstance(out, Outcome):
        raise TypeError(f"check {check.name} returned {type(out).__name__}, not Outcome")
    return out


def _skip(claim, check, params, message, elapsed=0.0) -> CheckResult:
    return CheckResult(claim.id, check.name, check.level, Verdict.SKIP, params, {}, elapsed, message=message)


def run_check(
    claim: Claim,
    check: Check,
    options: RunOptions = RunOptions(),
    progress: Callable[[float, str], None] | None = None,
) -> CheckResult:
    K, L, pairs, messages = _resolve(claim, check, options)
    budget = options.budget_for_profile()
    params: dict[str, Any] = {"seed": options.seed, "profile": options.profile, "precision": check.precision,
                              "time_budget_s": budget}
    if claim.domain.uses_K and check.K:
        params["K"] = list(K)
    if claim.domain.uses_L and check.L:
        params["L"] = list(L)
    if pairs is not None:
        params["KL_pairs"] = [list(p) for p in pairs]
    if check.level == Level.FUZZ:
        params["examples"] = options.examples_for_profile()
    params.update({f"statement.{k}": jsonable(v) for k, v in check.statement.items()})
    empty = ((claim.domain.uses_K and check.K and not K) or (claim.domain.uses_L and check.L and not L)
             or (pairs is not None and not pairs))
    if empty:
        return _skip(claim, check, params, "; ".join(messages) or "no parameter values in the claim's domain")
    t0 = time.perf_counter()
    ctx = Context(K=K, L=L, seed=options.seed, profile=options.profile, examples=options.examples_for_profile(),
                  progress=progress, pairs=pairs, deadline=time.monotonic() + budget)

    def result(verdict, evidence, message_head="", **kw) -> CheckResult:
        msgs = ([message_head] if message_head else []) + messages
        return CheckResult(claim.id, check.name, check.level, verdict, params, jsonable(evidence),
                           time.perf_counter() - t0, message="; ".join(msgs), **kw)

    try:
        outcome = _run_once(check, ctx, dict(check.statement))
    except ModuleNotFoundError as exc:
        if exc.name not in OPTIONAL_MODULES:
            return result(Verdict.ERROR, {"traceback": traceback.format_exc(limit=6)}, f"{type(exc).__name__}: {exc}")
        return _skip(claim, check, params, f"needs the optional package {exc.name!r}: {OPTIONAL_MODULES[exc.name]}",
                     time.perf_counter() - t0)
    except BudgetExhausted as exc:
        return result(Verdict.INCONCLUSIVE, {}, f"undecided: {exc}")
    except Exception as exc:  # noqa: BLE001 - reported as ERROR with the traceback
        return result(Verdict.ERROR, {"traceback": traceback.format_exc(limit=6)}, f"{type(exc).__name__}: {exc}")
    evidence = outcome.evidence
    figures = list(outcome.figures)
    established = jsonable(outcome.established) if outcome.established else None
    if outcome.holds is None:
        return result(Verdict.INCONCLUSIVE, evidence, f"undecided: {outcome.note}", figures=figures)
    if outcome.holds is False:
        if not outcome.counterexample:
            return result(Verdict.ERROR, evidence,
                          "checker defect: the statement was reported refuted without a counterexample"
                          + (f" ({outcome.note})" if outcome.note else ""), figures=figures)
        return result(Verdict.FAIL, evidence, outcome.note or "the statement was refuted",
                      counterexample=jsonable(outcome.counterexample), figures=figures)
    control_info: dict[str, Any] = {"description": check.control_description, "why_plausible": check.control_why,
                                    "variant": {k: jsonable(v) for k, v in check.control.items()}}
    try:
        control = _run_once(check, ctx, dict(check.control))
    except BudgetExhausted as exc:
        control_info.update(rejected=None, undecided=str(exc))
        return result(Verdict.INCONCLUSIVE, evidence, f"the statement held but the negative control is undecided: {exc}",
                      control=control_info, figures=figures, established=established)
    except Exception as exc:  # noqa: BLE001
        control_info.update(rejected=None, error=f"{type(exc).__name__}: {exc}",
                            traceback=traceback.format_exc(limit=6))
        return result(Verdict.ERROR, evidence, f"the negative control crashed: {type(exc).__name__}: {exc}",
                      control=control_info, figures=figures, established=established)
    control_info["evidence"] = jsonable(control.evidence)
    if control.counterexample is not None:
        control_info["counterexample"] = jsonable(control.counterexample)
    if control.holds is None:
        control_info.update(rejected=None, undecided=control.note)
        return result(Verdict.INCONCLUSIVE, evidence,
                      f"the statement held but the negative control is undecided ({control.note}): "
                      "the check's power is not shown", control=control_info, figures=figures, established=established)
    if control.holds:
        control_info["rejected"] = False
        return result(Verdict.UNSOUND, evidence,
                      f"negative control NOT rejected ({check.control_description}): the wrong variant passed too; "
                      "this check cannot fail", control=control_info, figures=figures, established=established)
    control_info["rejected"] = True
    return result(Verdict.PASS, evidence, outcome.note, control=control_info, figures=figures, established=established)


def run_claims(
    claims: Sequence[Claim],
    options: RunOptions = RunOptions(),
    on_check_start: Callable[[Claim, Check], None] | None = None,
    on_check_done: Callable[[CheckResult], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
    *,
    workers: int = 1,
    dask: Any = None,
    cache: Any = None,
    split: int = 1,
) -> list[ClaimResult]:
    """Run the selected checks of ``claims``, in order; one ClaimResult per claim.

    ``workers`` > 1 runs checks in that many processes, ``dask`` (a scheduler address or a
    ``distributed.Client``) on a cluster, ``cache`` (an :class:`ncdepth.cache.ResultCache`)
    reuses unchanged decided results, ``split`` runs splittable checks in grid chunks
    (:mod:`ncdepth.parallel`).  The verdict rules are the same in every mode.
    """
    if workers > 1 or dask is not None or cache is not None or split > 1:
        from .parallel import execute

        return execute(claims, options, on_check_start, on_check_done, progress,
                       workers=workers, dask=dask, cache=cache, split=split)
    results = []
    for claim in claims:
        done = []
        for check in selected_checks(claim, options.levels):
            if on_check_start:
                on_check_start(claim, check)
            r = run_check(claim, check, options, progress)
            done.append(r)
            if on_check_done:
                on_check_done(r)
        results.append(ClaimResult(claim, done))
    return results


def selected_checks(claim: Claim, levels: Iterable[Level] | None) -> list[Check]:
    levels = tuple(levels) if levels else None
    return [c for c in claim.checks if levels is None or c.level in levels]


def jsonable(x: Any) -> Any:
    """Convert numpy / mpmath / Fraction values into JSON-friendly ones.

    Floats that are not finite become strings ("inf", "nan") so the JSON stays valid.
    """
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return v if math.isfinite(v) else str(v)
    if isinstance(x, Fraction):
        return str(x)
    if x is None or isinstance(x, str):
        return x
    # mpmath numbers, sympy objects, Enums ...
    if hasattr(x, "value") and isinstance(getattr(x, "value"), str):
        return x.value
    try:
        import mpmath

        if isinstance(x, mpmath.mpf):
            return mpmath.nstr(x, 20)
    except ImportError:  # pragma: no cover
        pass
    return str(x)
