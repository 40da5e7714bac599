"""The ``ncdepth`` command line: list, show, verify, fuzz.

Exit codes: 0 when no selected check FAILs or ERRORs, 1 otherwise, 2 for usage
errors (unknown claim id, malformed --K/--L, unknown level).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .registry import Claim, Level, Verdict
from .runner import CheckResult, RunOptions, resolve_grid, run_claims, selected_checks

__all__ = ["main", "parse_int_spec", "UsageError"]

DEFAULT_OUT = Path("reports") / "latest"
MAX_SPEC_VALUES = 1_000_000


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2."""


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
        raise UsageError(f"unknown claim id(s): {', '.join(unknown)}\nvalid ids: {', '.join(by_id)}")
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


def cmd_show(args, console: Console) -> int:
    for c in select_claims(args.ids):
        console.print(f"[bold]{c.id}[/bold]: {c.title}")
        console.print(f"  reference : {c.reference}")
        console.print(f"  statement : {c.statement}")
        console.print(f"  LaTeX     : {c.latex}", markup=False)
        console.print(f"  domain    : {c.domain.describe()}")
        console.print(f"  depends on: {', '.join(c.depends_on) or '—'}")
        if c.notes:
            console.print(f"  notes     : {c.notes}")
        for ch in c.checks:
            console.print(f"  - [{ch.level.value}] {ch.name}: {ch.description}", markup=False)
            console.print(f"      precision: {ch.precision}; default K={list(ch.K) or '—'} L={list(ch.L) or '—'}", markup=False)
            console.print(f"      negative control: {ch.control_description}", markup=False)
        console.print()
    return 0


def _options(args, *, profile_default: str = "ci") -> RunOptions:
    return RunOptions(
        K=parse_int_spec(args.K, "K") if args.K is not None else None,
        L=parse_int_spec(args.L, "L") if args.L is not None else None,
        levels=parse_levels(getattr(args, "levels", None)),
        seed=args.seed,
        profile=args.profile or profile_default,
        examples=getattr(args, "examples", None),
    )


def _run_and_report(claims: list[Claim], options: RunOptions, args, console: Console) -> int:
    from reports.builder import write_report

    # Tell the user, once, about requested (K, L) outside each claim's domain.
    notices = []
    for c in claims:
        for ch in selected_checks(c, options.levels):
            notices.extend(resolve_grid(c, ch, options)[2])
    for msg in dict.fromkeys(notices):
        console.print(f"[yellow]note[/yellow]: {msg}", highlight=False)
    total = sum(len(selected_checks(c, options.levels)) for c in claims)
    if total == 0:
        console.print("[yellow]no checks selected[/yellow] (see --levels / --only)")
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
            if r.verdict in (Verdict.FAIL, Verdict.ERROR):
                progress.console.print(Text(f"{r.verdict.value} {r.test_id}: {r.message}", style="red"))
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

        results = run_claims(claims, options, start, done, sub)
    elapsed = time.perf_counter() - t0
    table = Table(title=f"ncdepth {args.command}: {len(results_flat)} checks in {elapsed:.1f} s")
    for col in ("claim", "check", "level", "verdict", "control", "time (s)"):
        table.add_column(col)
    colour = {"PASS": "green", "FAIL": "red", "ERROR": "magenta", "SKIP": "yellow"}
    for r in results_flat:
        rej = r.control.get("rejected")
        table.add_row(r.claim_id, r.name, r.level.value, f"[{colour[r.verdict.value]}]{r.verdict.value}[/]",
                      "rejected" if rej else ("—" if rej is None else "NOT rejected"), f"{r.elapsed_s:.2f}")
    console.print(table)
    written = write_report(results, options, Path(args.out), Path(args.json) if args.json else None)
    console.print("report: " + ", ".join(str(p) for p in written.values()), highlight=False)
    bad = [r for r in results_flat if r.verdict in (Verdict.FAIL, Verdict.ERROR)]
    return 1 if bad else 0


def cmd_verify(args, console: Console) -> int:
    claims = select_claims(args.only)
    return _run_and_report(claims, _options(args), args, console)


def cmd_fuzz(args, console: Console) -> int:
    claims = select_claims(args.only)
    opts = _options(args)
    opts = RunOptions(K=opts.K, L=opts.L, levels=(Level.FUZZ,), seed=opts.seed, profile=opts.profile,
                      examples=opts.examples)
    claims = [c for c in claims if selected_checks(c, opts.levels)]
    if not claims:
        raise UsageError("none of the selected claims has a fuzz check")
    return _run_and_report(claims, opts, args, console)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ncdepth", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command", required=True)
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
        if fuzz:
            sp.add_argument("--examples", type=int, default=200, help="hypothesis examples per fuzz check")
        else:
            sp.add_argument("--levels", help="comma-separated evidence levels: " + ",".join(l.value for l in Level))

    common(sub.add_parser("verify", help="run the registry's checks and write the report"), fuzz=False)
    common(sub.add_parser("fuzz", help="hypothesis search over (K, L) and the claims' other inputs"), fuzz=True)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    console = Console(stderr=False, highlight=False)
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"list": cmd_list, "show": cmd_show, "verify": cmd_verify, "fuzz": cmd_fuzz}
    try:
        return handlers[args.command](args, console)
    except UsageError as exc:
        Console(stderr=True).print(f"ncdepth: error: {exc}", highlight=False, markup=False)
        return 2
    except KeyboardInterrupt:
        Console(stderr=True).print("ncdepth: interrupted; no report was written", markup=False)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
