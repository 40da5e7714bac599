"""The Python API: ``from ncdepth import verify, claims``.

``verify`` runs exactly what ``ncdepth verify`` runs (the same :class:`RunOptions`, the same
runner, the same verdict rules) and returns the same :class:`~ncdepth.runner.ClaimResult`
objects; it prints nothing.  Bad arguments raise ``ValueError`` with the CLI's one-line message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .registry import Claim, Level
from .runner import CheckResult, ClaimResult, RunOptions, run_claims

__all__ = ["verify", "claims", "options"]


def claims(ids: Iterable[str] | str | None = None) -> list[Claim]:
    """The registry's claims in paper order (all of them, or those with the given ids)."""
    from .cli import UsageError, select_claims

    if isinstance(ids, str):
        ids = [ids]
    try:
        return select_claims(list(ids) if ids is not None else None)
    except UsageError as exc:
        raise ValueError(str(exc)) from None


def _ints(values: Any, what: str) -> tuple[int, ...] | None:
    from .cli import UsageError, parse_int_spec

    if values is None:
        return None
    try:
        if isinstance(values, str):
            return parse_int_spec(values, what)
        if isinstance(values, int):
            values = [values]
        out = tuple(sorted({int(v) for v in values}))
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an int, a list of ints or a spec like '4,8' / '4:64'") from None
    if not out:
        raise ValueError(f"{what}: no values given")
    return out


def options(*, K: Any = None, L: Any = None, levels: Sequence[str | Level] | str | None = None,
            profile: str = "ci", seed: int = 20260, examples: int | None = None,
            budget_s: float | None = None) -> RunOptions:
    """The :class:`RunOptions` of a run (the same checks and bounds as ``ncdepth verify``)."""
    from .cli import UsageError, parse_levels

    Kt, Lt = _ints(K, "K"), _ints(L, "L")
    if Kt is not None and Kt[0] < 2:
        raise ValueError(f"K counts classes and must be at least 2 (got {Kt[0]})")
    if Lt is not None and Lt[0] < 1:
        raise ValueError(f"L counts weight matrices and must be at least 1 (got {Lt[0]})")
    if profile not in ("ci", "thorough"):
        raise ValueError(f"profile must be 'ci' or 'thorough' (got {profile!r})")
    if examples is not None and examples < 1:
        raise ValueError(f"examples must be at least 1 (got {examples})")
    if budget_s is not None and not budget_s > 0:
        raise ValueError(f"budget_s must be positive (got {budget_s})")
    if isinstance(levels, str):
        levels = levels.split(",")
    try:
        lv = parse_levels(",".join(l.value if isinstance(l, Level) else str(l) for l in levels)) if levels else None
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    return RunOptions(K=Kt, L=Lt, levels=lv, seed=int(seed), profile=profile, examples=examples, budget_s=budget_s)


def verify(
    ids: Iterable[str] | str | None = None,
    *,
    K: Any = None,
    L: Any = None,
    levels: Sequence[str | Level] | str | None = None,
    profile: str = "ci",
    seed: int = 20260,
    examples: int | None = None,
    budget_s: float | None = None,
    workers: int = 1,
    dask: Any = None,
    split: int = 1,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    report: str | Path | None = None,
    on_check_done: Callable[[CheckResult], None] | None = None,
) -> list[ClaimResult]:
    """Run the checks of the claims ``ids`` (default: all) and return one ClaimResult per claim.

    ``K``/``L``: an int, a list, or a spec such as ``"4:64"`` (overrides each check's grid, as
    ``--K``/``--L``); ``levels``: e.g. ``["symbolic", "certified"]``; ``profile``: ``"ci"`` or
    ``"thorough"``; ``workers``: processes (as ``--workers``); ``dask``: a scheduler address or a
    ``distributed.Client`` (as ``--dask``); ``split``: grid chunks per splittable check;
    ``cache``: reuse unchanged decided results (``False`` reruns everything, as ``--no-cache``);
    ``report``: a folder to write report.{html,md,json} into.
    """
    from .cache import ResultCache

    selected = claims(ids)
    opts = options(K=K, L=L, levels=levels, profile=profile, seed=seed, examples=examples, budget_s=budget_s)
    if int(workers) < 1 or int(split) < 1:
        raise ValueError("workers and split must be at least 1")
    store = ResultCache(cache_dir, read=bool(cache), write=bool(cache))
    results = run_claims(selected, opts, on_check_done=on_check_done, workers=int(workers), dask=dask,
                         cache=store, split=int(split))
    if report is not None:
        from reports.builder import write_report

        write_report(results, opts, Path(report))
    return results
