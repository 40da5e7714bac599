"""The ``ncdepth`` command line: list, show, verify, fuzz, selfcheck.

``verify``/``fuzz`` run checks serially by default, in N processes with ``--workers N``, on a
dask.distributed cluster with ``--dask ADDRESS``; decided results are reused from the result
cache unless ``--no-cache`` (see ncdepth.cache); ``--split N`` runs splittable checks (fuzz
checks) in up to N grid chunks, combined with the same verdict rules (see ncdepth.parallel).

Exit codes: 0 when no selected check is FAIL, UNSOUND or ERROR (INCONCLUSIVE too
with --strict), 1 otherwise, 2 for usage errors (unknown claim id, malformed option,
an --out that cannot be written, a --K/--L that leaves nothing to run), always in one line.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .registry import Claim, Level, Verdict
from .runner import CheckResult, RunOptions, _resolve, resolve_grid, run_claims, selected_checks

__all__ = ["main", "parse_int_spec", "UsageError"]

DEFAULT_OUT = Path("reports") / "latest"
MAX_SPEC_VALUES = 1_000_000


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2."""


VERDICT_STYLE = {"PASS": "green", "FAIL": "bold red", "INCONCLUSIVE": "yellow", "UNSOUND": "bold magenta",
                 "SKIP": "dim", "ERROR": "magenta"}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage problem is one line and exit 2 (no usage dump)."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)


def _writable_dir(path: Path, what: str) -> None:
    """Fail early, in one line, when ``path`` cannot hold a report."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".ncdepth-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{what} {str(path)!r} cannot be written: {exc.strerror or exc}") from None


def parse_int_spec(spec: str, what: str) -> tuple[int, ...]:
    """``"4,8,64"`` or ``"4:64"`` (inclusive range) or a mix such as ``"2,4:8"``."""
    values: list[int] = []
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        try:
            if ":" in part:
                lo_s, hi_s = part.split(":", 1)
                lo, hi = int(lo_s), int(hi_s)
                if hi < lo:
                    raise UsageError(f"--{what}: empty range {part!r} (need lo <= hi)")
                if hi - lo + 1 > MAX_SPEC_VALUES:
                    raise UsageError(f"--{what}: range {part!r} is too large")
                values.extend(range(lo, hi + 1))
            else:
                values.append(int(part))
        except ValueError:
            raise UsageError(f"--{what}: cannot read {part!r}; use a list like 4,8,64 or a range like 4:64") from None
    if not values:
        raise UsageError(f"--{what}: no values given")
    return tuple(sorted(set(values)))


def parse_levels(spec: str | None) -> tuple[Level, ...] | None:
    if not spec:
        return None
    out = []
    for part in spec.replace(" ", "").split(","):
        try:
            out.append(Level(part))
        except ValueError:
            valid = ", ".join(l.value for l in Level)
            raise UsageError(f"--levels: unknown level {part!r}; valid levels: {valid}") from None
    return tuple(out)


def _load() -> tuple[Claim, ...]:
    from theorems import load_claims

    return load_claims()


def select_claims(ids: Sequence[str] | None) -> list[Claim]:
    claims = _load()
    if not ids:
        return list(claims)
    by_id = {c.id: c for c in claims}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise UsageError(f"unknown claim id(s): {', '.join(unknown)}; valid ids: {', '.join(by_id)}")
    return [by_id[i] for i in dict.fromkeys(ids)]


# ----------------------------------------------------------------------------- commands
def cmd_list(args, console: Console) -> int:
    table = Table(title="ncdepth claims registry")
    for col in ("id", "title", "levels", "reference"):
        table.add_column(col)
    for c in _load():
        table.add_row(c.id, c.title, ", ".join(l.value for l in c.levels), c.reference)
    console.print(table)
    return 0


def claim_path(claim: Claim) -> str:
    """The module that defines ``claim``, relative to the project root when possible."""
    import inspect

    # the module whose CLAIM it is (a package's __init__.py), else the module of its first check
    mod = next((m for name, m in list(sys.modules.items())
                if name.startswith("theorems.") and getattr(m, "CLAIM", None) is claim), None)
    mod = mod or sys.modules.get(claim.checks[0].fn.__module__)
    path = Path(inspect.getsourcefile(mod) if mod else "?")
    try:
        return str(path.resolve().relative_to(Path(__file__).resolve().parents[1]))
    except ValueError:
        return str(path)


def cmd_show(args, console: Console) -> int:
    for c in select_claims(args.ids):
        console.print(f"[bold]{c.id}[/bold]: {c.title}")
        console.print(f"  module    : {claim_path(c)}", markup=False)
        console.print(f"  reference : {c.reference}")
        console.print(f"  statement : {c.statement}")
        console.print(f"  LaTeX     : {c.latex}", markup=False)
        console.print(f"  domain    : {c.domain.describe()}")
        console.print(f"  depends on: {', '.join(c.depends_on) or '—'}")
        if c.parts:
            for p in c.parts:
                console.print(f"  part {p.id}: {p.text}", markup=False)
        if c.uncovered:
            console.print(f"  not covered by any check: {'; '.join(c.uncovered)}", markup=False)
        if c.notes:
            console.print(f"  notes     : {c.notes}")
        for ch in c.checks:
            console.print(f"  - [{ch.level.value}] {ch.name}: {ch.description}", markup=False)
            console.print(f"      precision: {ch.precision}; default K={list(ch.K) or '—'} L={list(ch.L) or '—'}", markup=False)
            console.print(f"      serves: {ch.declared_serves().describe()}"
                          + (f"; proves for {ch.for_all}" if ch.for_all else "")
                          + (f"; covers {', '.join(ch.covers)}" if ch.covers else ""), markup=False)
            console.print(f"      negative control: {ch.control_description}", markup=False)
            if ch.control_why:
                console.print(f"      why plausible: {ch.control_why}", markup=False)
        console.print()
    return 0


def _options(args, *, profile_default: str = "ci") -> RunOptions:
    examples = getattr(args, "examples", None)
    if examples is not None and examples < 1:
        raise UsageError(f"--examples must be at least 1 (got {examples})")
    budget = getattr(args, "budget", None)
    if budget is not None and not budget > 0:
        raise UsageError(f"--budget must be a positive number of seconds (got {budget})")
    K = parse_int_spec(args.K, "K") if args.K is not None else None
    L = parse_int_spec(args.L, "L") if args.L is not None else None
    if K is not None and K[0] < 2:
        raise UsageError(f"--K: K counts classes and must be at least 2 (got {K[0]})")
    if L is not None and L[0] < 1:
        raise UsageError(f"--L: L counts weight matrices and must be at least 1 (got {L[0]})")
    return RunOptions(
        K=K,
        L=L,
        levels=parse_levels(getattr(args, "levels", None)),
        seed=args.seed,
        profile=args.profile or profile_default,
        examples=examples,
        budget_s=budget,
    )


def _workers(args) -> int:
    spec = str(getattr(args, "workers", "1") or "1").strip().lower()
    if spec == "auto":
        return max(1, os.cpu_count() or 1)
    try:
        n = int(spec)
    except ValueError:
        raise UsageError(f"--workers: expected a number of processes or 'auto' (got {spec!r})") from None
    if n < 1:
        raise UsageError(f"--workers must be at least 1 (got {n})")
    return n


def _execution(args):
    """(workers, dask address, split, cache) from the command line."""
    from .cache import ResultCache

    workers = _workers(args)
    split = getattr(args, "split", 1)
    if split is None or split < 1:
        raise UsageError(f"--split must be at least 1 (got {split})")
    dask = getattr(args, "dask", None)
    if dask is not None and workers > 1:
        raise UsageError("--workers and --dask exclude each other: the cluster's workers run the checks")
    use = not getattr(args, "no_cache", False)
    cache = ResultCache(getattr(args, "cache_dir", None), read=use, write=use)
    return workers, dask, split, cache


def _run_and_report(claims: list[Claim], options: RunOptions, args, console: Console) -> int:
    from reports.builder import write_report

    from .parallel import DaskUnavailable

    out_dir = Path(args.out)
    _writable_dir(out_dir, "--out")
    if args.json:
        _writable_dir(Path(args.json).resolve().parent, "--json folder")
    # Tell the user, once, about requested (K, L) outside each claim's domain or a check's range.
    notices, runnable = [], 0
    selected = [(c, ch) for c in claims for ch in selected_checks(c, options.levels)]
    for c, ch in selected:
        K, L, pairs, msgs = _resolve(c, ch, options)
        notices.extend(msgs)
        empty = ((c.domain.uses_K and ch.K and not K) or (c.domain.uses_L and ch.L and not L)
                 or (pairs is not None and not pairs))
        runnable += not empty
    total = len(selected)
    if total == 0:
        raise UsageError("no checks selected (see --levels / --only)")
    if runnable == 0 and (options.K is not None or options.L is not None):
        first = "; ".join(dict.fromkeys(notices)) or "outside every domain"
        raise UsageError(f"--K/--L leave none of the {total} selected checks anything to run: {first[:300]}")
    workers, dask, split, cache = _execution(args)
    for msg in dict.fromkeys(notices):
        console.print(f"[yellow]note[/yellow]: {msg}", highlight=False)
    results_flat: list[CheckResult] = []
    t0 = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False, disable=args.quiet) as progress:
        task = progress.add_task("checks", total=total)

        def start(claim, check):
            progress.update(task, description=f"{claim.id} {check.level.value}/{check.name}")

        def done(r: CheckResult):
            results_flat.append(r)
            progress.advance(task)
            if r.verdict in (Verdict.FAIL, Verdict.ERROR, Verdict.UNSOUND, Verdict.INCONCLUSIVE):
                progress.console.print(Text(f"{r.verdict.value} {r.test_id} ({r.verdict.meaning}): {r.message}",
                                            style=VERDICT_STYLE[r.verdict.value]))
                if r.counterexample:
                    progress.console.print(f"  counterexample (exact inputs): {r.counterexample}", highlight=False, markup=False)
                    progress.console.print(f"  reproduce: python -m ncdepth {args.command} --only {r.claim_id} --seed {options.seed}"
                                           + (f" --examples {options.examples}" if options.examples else "")
                                           + (f" --profile {options.profile}" if options.profile != "ci" else "")
                                           + (f" --K {','.join(map(str, r.params['K']))}" if r.params.get("K") else "")
                                           + (f" --L {','.join(map(str, r.params['L']))}" if r.params.get("L") else ""),
                                           highlight=False, markup=False)

        def sub(fraction: float, message: str):
            progress.update(task, description=message[:60])

        try:
            results = run_claims(claims, options, start, done, sub, workers=workers, dask=dask, cache=cache,
                                 split=split)
        except DaskUnavailable as exc:
            raise UsageError(f"--dask: {exc}") from None
    elapsed = time.perf_counter() - t0
    table = Table(title=f"ncdepth {args.command}: {len(results_flat)} checks in {elapsed:.1f} s")
    for col in ("claim", "established scope", "verdict", "checks", "time (s)"):
        table.add_column(col, overflow="fold")
    for cr in results:
        counts: dict[str, int] = {}
        for r in cr.checks:
            counts[r.verdict.value] = counts.get(r.verdict.value, 0) + 1
        cell = ", ".join(f"[{VERDICT_STYLE[v]}]{n} {v}[/]" for v, n in counts.items())
        n_cached = sum(r.cached for r in cr.checks)
        if n_cached:
            cell += f" [dim]({n_cached} cached)[/]"
        v = cr.verdict.value
        table.add_row(cr.claim.id, Text(cr.scope.headline), f"[{VERDICT_STYLE[v]}]{v}[/]", cell,
                      f"{sum(r.elapsed_s for r in cr.checks if not r.cached):.1f}")
    console.print(table)
    n_cached = sum(r.cached for r in results_flat)
    if cache.read or cache.write:
        if n_cached:
            console.print(f"cached: {n_cached} of {len(results_flat)} checks reused unchanged results from "
                          f"{cache.directory} (--no-cache reruns them)", highlight=False, markup=False)
        if cache.write_error:
            console.print(f"[yellow]note[/yellow]: the result cache could not be written ({cache.write_error})",
                          highlight=False)
    run_info = {"command": "ncdepth " + " ".join(getattr(args, "argv", []) or [args.command]),
                "elapsed_s": round(elapsed, 2), "workers": workers, "dask": str(dask) if dask else None,
                "split": split, "cache": str(cache.directory) if cache.read else None, "cached": n_cached}
    written = write_report(results, options, out_dir, Path(args.json) if args.json else None, run=run_info)
    console.print("report: " + ", ".join(str(p) for p in written.values()), highlight=False)
    bad = [r for r in results_flat if r.verdict.is_failure
           or (getattr(args, "strict", False) and r.verdict == Verdict.INCONCLUSIVE)]
    return 1 if bad else 0


def cmd_verify(args, console: Console) -> int:
    claims = select_claims(args.only)
    options = _options(args)
    if options.levels is not None:
        # A claim with no check at the selected levels has nothing to run: it is left out of the run,
        # the summary table and the report (not shown as a row of SKIPs).
        claims = [c for c in claims if selected_checks(c, options.levels)]
        if not claims:
            levels = ",".join(l.value for l in options.levels)
            raise UsageError(f"none of the selected claims has a check at the level(s) {levels} (see --levels / --only)")
    return _run_and_report(claims, options, args, console)


def cmd_fuzz(args, console: Console) -> int:
    claims = select_claims(args.only)
    opts = _options(args)
    opts = RunOptions(K=opts.K, L=opts.L, levels=(Level.FUZZ,), seed=opts.seed, profile=opts.profile,
                      examples=opts.examples, budget_s=opts.budget_s)
    claims = [c for c in claims if selected_checks(c, opts.levels)]
    if not claims:
        raise UsageError("none of the selected claims has a fuzz check")
    return _run_and_report(claims, opts, args, console)


def cmd_selfcheck(args, console: Console) -> int:
    """Plant the catalogue's bugs one at a time in temporary copies; print and write the kill matrix."""
    from .selfcheck import CAUGHT, GOOD, load_catalogue, run_selfcheck, summary_line, write_selfcheck

    try:
        bugs = load_catalogue(Path(args.catalogue)) if args.catalogue else load_catalogue()
    except (OSError, ValueError) as exc:
        raise UsageError(f"selfcheck catalogue: {exc}") from None
    if args.only:
        wanted = [b.strip() for part in args.only for b in part.split(",") if b.strip()]
        by_id = {b.id: b for b in bugs}
        unknown = [w for w in wanted if w not in by_id]
        if unknown:
            raise UsageError(f"unknown bug id(s): {', '.join(unknown)}; see ncdepth/selfcheck_catalogue.toml")
        bugs = [by_id[w] for w in dict.fromkeys(wanted)]
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds (got {args.timeout})")
    workers = _workers(args)
    out_dir = Path(args.out)
    _writable_dir(out_dir, "--out")
    total = len(bugs)
    t0 = time.perf_counter()
    done_count = [0]

    finished: list = []

    def done(r) -> None:
        done_count[0] += 1
        finished.append(r)
        # the kill matrix so far, rewritten atomically after every bug: an interrupted run leaves its part
        write_selfcheck(finished, out_dir, time.perf_counter() - t0, partial=len(finished) < total)
        by = (", ".join(f"{t} {r.verdicts[t]}" for t in r.killers)
              or ", ".join(f"{t} {v}" for t, v in r.verdicts.items()) or r.detail or "every catching check PASS")
        style = "green" if r.status in GOOD else "bold red"
        console.print(Text(f"[{done_count[0]}/{total}] {r.bug.id}: {r.status} ({r.elapsed_s:.0f} s) — {by}",
                           style=style))

    results = run_selfcheck(bugs, workers=workers, timeout_s=args.timeout or 600.0, on_done=done)
    elapsed = time.perf_counter() - t0
    table = Table(title=f"ncdepth selfcheck: {summary_line(results)} in {elapsed:.0f} s")
    for col in ("bug", "kind", "file", "status", "catching checks"):
        table.add_column(col, overflow="fold")
    for r in results:
        by = ", ".join(f"{t} ({CAUGHT[r.verdicts[t]]})" for t in r.killers) or r.detail or "—"
        if r.status == "cannot-matter":
            by = "cannot matter: " + r.bug.cannot_matter
        style = "green" if r.status in GOOD else "bold red"
        table.add_row(r.bug.id, r.bug.kind, r.bug.file, f"[{style}]{r.status}[/]", Text(by))
    console.print(table)
    written = write_selfcheck(results, out_dir, elapsed)
    console.print("selfcheck: " + ", ".join(str(p) for p in written.values()), highlight=False)
    return 0 if all(r.status in GOOD for r in results) else 1


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ncdepth", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="list the claims: ids, titles, evidence levels")
    s = sub.add_parser("show", help="statement, dependencies and checks of claims")
    s.add_argument("ids", nargs="+", metavar="ID")

    def common(sp, *, fuzz: bool) -> None:
        sp.add_argument("--only", nargs="+", metavar="ID", help="claim ids to run (default: all)")
        sp.add_argument("--K", help="class counts: list 4,8,64 or range 4:64 (overrides each claim's grid)")
        sp.add_argument("--L", help="depths: list or range (overrides each claim's grid)")
        sp.add_argument("--seed", type=int, default=20260, help="seed for every random draw (recorded)")
        sp.add_argument("--profile", choices=("ci", "thorough"), default=None,
                        help="ci: fast defaults; thorough: long sweeps")
        sp.add_argument("--out", default=str(DEFAULT_OUT), help="report folder (default reports/latest)")
        sp.add_argument("--json", help="also write the JSON report to this path")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")
        sp.add_argument("--strict", action="store_true", help="exit 1 on INCONCLUSIVE too")
        sp.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="time budget per check, statement and control together (default 60 s; "
                             "1800 s with --profile thorough); running out is INCONCLUSIVE")
        sp.add_argument("--workers", default="1", metavar="N",
                        help="run checks in N processes ('auto': one per CPU); results equal a serial run's")
        sp.add_argument("--dask", metavar="ADDRESS", default=None,
                        help="send the checks to a running dask.distributed scheduler (pip install -e '.[distributed]')")
        sp.add_argument("--split", type=int, default=1, metavar="N",
                        help="run each splittable check (fuzz checks) as up to N tasks on chunks of its K (else L) "
                             "grid; the runner combines them (worst statement verdict, control rejected anywhere)")
        sp.add_argument("--no-cache", action="store_true",
                        help="rerun every check; do not read or store results in the result cache")
        sp.add_argument("--cache-dir", default=None, metavar="PATH",
                        help="result cache folder (default: $NCDEPTH_CACHE_DIR, else .ncdepth-cache/ in the project)")
        if fuzz:
            sp.add_argument("--examples", type=int, default=200, help="hypothesis examples per fuzz check")
        else:
            sp.add_argument("--levels", help="comma-separated evidence levels: " + ",".join(l.value for l in Level))
            sp.add_argument("--examples", type=int, default=None,
                            help="hypothesis examples per fuzz check (default 40; 400 with --profile thorough)")

    common(sub.add_parser("verify", help="run the registry's checks and write the report"), fuzz=False)
    common(sub.add_parser("fuzz", help="hypothesis search over (K, L) and the claims' other inputs"), fuzz=True)
    sc = sub.add_parser("selfcheck", help="plant the catalogue's bugs in temporary copies; print the kill matrix")
    sc.add_argument("--only", nargs="+", metavar="BUG", help="bug ids (comma or space separated; default: all)")
    sc.add_argument("--workers", default="1", metavar="N", help="bugs run at a time, each in its own process")
    sc.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                    help="wall-clock limit per bug run (default 600 s); running out is a survival (timeout)")
    sc.add_argument("--out", default=str(DEFAULT_OUT), help="folder for selfcheck.json/.md (default reports/latest)")
    sc.add_argument("--catalogue", default=None, metavar="PATH", help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    console = Console(stderr=False, highlight=False)
    err = Console(stderr=True, highlight=False)
    handlers = {"list": cmd_list, "show": cmd_show, "verify": cmd_verify, "fuzz": cmd_fuzz, "selfcheck": cmd_selfcheck}
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        args = build_parser().parse_args(argv)
        args.argv = argv
        return handlers[args.command](args, console)
    except UsageError as exc:
        err.print(f"ncdepth: error: {' '.join(str(exc).split())}", markup=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("ncdepth: interrupted; no report was written", markup=False)
        return 130
    except Exception as exc:  # noqa: BLE001 - an internal error, still in one line
        if os.environ.get("NCDEPTH_DEBUG"):
            raise
        err.print(f"ncdepth: internal error: {type(exc).__name__}: {exc} (NCDEPTH_DEBUG=1 shows the traceback)",
                  markup=False, soft_wrap=True)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
