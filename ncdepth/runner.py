"""Run checks (statement and negative control) and turn outcomes into verdicts.

Verdict rules, applied the same way to every check:

* the statement's run raises                  -> ERROR (with the exception)
* the statement's run finds a counterexample  -> FAIL  (counterexample recorded)
* the control's run is *not* rejected         -> FAIL  (the check could not have failed)
* no (K, L) of the request lies in the domain -> SKIP  (with the reason)
* otherwise                                   -> PASS
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .registry import Check, Claim, Context, Figure, Level, Outcome, Verdict

# Optional packages: a check that needs one that is absent is SKIP (with the install hint), not ERROR.
OPTIONAL_MODULES = {"torch": 'install it first: pip install torch==2.13.0 && pip install -e ".[torch]"'}

__all__ = ["RunOptions", "CheckResult", "ClaimResult", "resolve_grid", "run_check", "run_claims", "jsonable"]


@dataclass(frozen=True)
class RunOptions:
    """User choices for a run: grid overrides, levels, seed, profile."""

    K: tuple[int, ...] | None = None
    L: tuple[int, ...] | None = None
    levels: tuple[Level, ...] | None = None
    seed: int = 20260
    profile: str = "ci"
    examples: int | None = None

    def examples_for_profile(self) -> int:
        if self.examples is not None:
            return self.examples
        return 400 if self.profile == "thorough" else 40


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

    @property
    def test_id(self) -> str:
        return f"{self.claim_id}/{self.level.value}/{self.name}"

    def summary(self) -> str:
        lines = [f"{self.test_id}: {self.verdict.value}"]
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
        verdicts = [c.verdict for c in self.checks]
        for v in (Verdict.ERROR, Verdict.FAIL):
            if v in verdicts:
                return v
        if verdicts and all(v == Verdict.SKIP for v in verdicts):
            return Verdict.SKIP
        return Verdict.PASS if verdicts else Verdict.SKIP


def _filter(values, problem, claim_id: str, domain_text: str, messages: list[str]) -> tuple[int, ...]:
    checked = [(v, problem(v)) for v in values]
    dropped = [why for _, why in checked if why is not None]
    if dropped:
        shown = "; ".join(dropped[:3]) + (f"; and {len(dropped) - 3} more" if len(dropped) > 3 else "")
        messages.append(f"{claim_id}: skipped ({domain_text}): {shown}")
    return tuple(v for v, why in checked if why is None)


def resolve_grid(claim: Claim, check: Check, options: RunOptions) -> tuple[tuple[int, ...], tuple[int, ...], list[str]]:
    """The (K, L) grids for one check, and messages for requested values it cannot take."""
    default_K, default_L = check.default_grid(options.profile == "thorough")
    messages: list[str] = []
    K, L = default_K, default_L
    K_cap, L_cap = check.caps()
    if options.K is not None and claim.domain.uses_K:
        K = _filter(options.K, claim.domain.K_problem, claim.id, claim.domain.describe(), messages)
        if K_cap is not None:
            K = _filter(K, lambda k: f"K={k} > {K_cap}" if k > K_cap else None, claim.id,
                        f"{check.name} supports K <= {K_cap}", messages)
    if options.L is not None and claim.domain.uses_L:
        L = _filter(options.L, claim.domain.L_problem, claim.id, claim.domain.describe(), messages)
        if L_cap is not None:
            L = _filter(L, lambda l_: f"L={l_} > {L_cap}" if l_ > L_cap else None, claim.id,
                        f"{check.name} supports L <= {L_cap}", messages)
    return K, L, messages


def _run_once(check: Check, ctx: Context, kwargs: dict) -> Outcome:
    out = check.fn(ctx, **kwargs)
    if not isinstance(out, Outcome):
        raise TypeError(f"check {check.name} returned {type(out).__name__}, not Outcome")
    return out


def run_check(
    claim: Claim,
    check: Check,
    options: RunOptions = RunOptions(),
    progress: Callable[[float, str], None] | None = None,
) -> CheckResult:
    K, L, messages = resolve_grid(claim, check, options)
    params: dict[str, Any] = {"seed": options.seed, "profile": options.profile, "precision": check.precision}
    if claim.domain.uses_K and check.K:
        params["K"] = list(K)
    if claim.domain.uses_L and check.L:
        params["L"] = list(L)
    if check.level == Level.FUZZ:
        params["examples"] = options.examples_for_profile()
    params.update({f"statement.{k}": jsonable(v) for k, v in check.statement.items()})
    t0 = time.perf_counter()
    empty = (claim.domain.uses_K and check.K and not K) or (claim.domain.uses_L and check.L and not L)
    if empty:
        return CheckResult(
            claim.id, check.name, check.level, Verdict.SKIP, params, {}, 0.0,
            message="; ".join(messages) or "no parameter values in the claim's domain",
        )
    ctx = Context(K=K, L=L, seed=options.seed, profile=options.profile,
                  examples=options.examples_for_profile(), progress=progress)
    try:
        outcome = _run_once(check, ctx, dict(check.statement))
    except ModuleNotFoundError as exc:
        if exc.name not in OPTIONAL_MODULES:
            raise
        return CheckResult(
            claim.id, check.name, check.level, Verdict.SKIP, params, {}, time.perf_counter() - t0,
            message=f"needs the optional package {exc.name!r}: {OPTIONAL_MODULES[exc.name]}",
        )
    except Exception as exc:  # noqa: BLE001 - reported as ERROR with the traceback
        return CheckResult(
            claim.id, check.name, check.level, Verdict.ERROR, params, {"traceback": traceback.format_exc(limit=6)},
            time.perf_counter() - t0, message=f"{type(exc).__name__}: {exc}",
        )
    control_info: dict[str, Any] = {"description": check.control_description,
                                    "variant": {k: jsonable(v) for k, v in check.control.items()}}
    try:
        control = _run_once(check, ctx, dict(check.control))
        control_info["rejected"] = not control.holds
        control_info["evidence"] = jsonable(control.evidence)
        if control.counterexample is not None:
            control_info["counterexample"] = jsonable(control.counterexample)
    except Exception as exc:  # noqa: BLE001
        control_info["rejected"] = False
        control_info["error"] = f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - t0
    evidence = jsonable(outcome.evidence)
    if not outcome.holds:
        verdict = Verdict.FAIL
        messages.insert(0, outcome.note or "the statement was refuted")
    elif not control_info["rejected"]:
        verdict = Verdict.FAIL
        why = control_info.get("error", "the wrong variant passed too")
        messages.insert(0, f"negative control NOT rejected ({check.control_description}): {why}; this check cannot fail")
    else:
        verdict = Verdict.PASS
        if outcome.note:
            messages.insert(0, outcome.note)
    return CheckResult(
        claim.id, check.name, check.level, verdict, params, evidence, elapsed,
        message="; ".join(messages),
        counterexample=jsonable(outcome.counterexample) if outcome.counterexample else None,
        control=control_info, figures=list(outcome.figures),
    )


def run_claims(
    claims: Sequence[Claim],
    options: RunOptions = RunOptions(),
    on_check_start: Callable[[Claim, Check], None] | None = None,
    on_check_done: Callable[[CheckResult], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> list[ClaimResult]:
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
