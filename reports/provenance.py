"""Where each claim and check comes from, and the one command that reproduces a claim's result."""

from __future__ import annotations

import inspect
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

from ncdepth.registry import Check, Claim

__all__ = ["ROOT", "relative", "module_path", "check_source", "int_spec", "reproduce_command"]

ROOT = Path(__file__).resolve().parents[1]


def relative(path: str | Path | None) -> str:
    if not path:
        return "?"
    p = Path(path).resolve()
    try:
        return p.relative_to(ROOT).as_posix()
    except ValueError:
        return str(p)


def _source_file(obj: Any) -> str | None:
    try:
        return inspect.getsourcefile(inspect.unwrap(obj))
    except (TypeError, OSError):
        return None


def module_path(claim: Claim) -> str:
    """The file that defines the claim's checks (its theorem module)."""
    mod = sys.modules.get(getattr(claim.checks[0].fn, "__module__", ""), None)
    return relative(_source_file(mod) if mod else None)


def check_source(check: Check) -> dict[str, Any]:
    """The check function: qualified name, file (relative to the project) and first line."""
    fn = inspect.unwrap(check.fn)
    code = getattr(fn, "__code__", None)
    line = code.co_firstlineno if code is not None else None  # the def line (or its first decorator)
    return {"function": f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}",
            "path": relative(_source_file(fn)), "line": line}


def int_spec(values: Sequence[int]) -> str:
    """``2,3,4,8`` -> ``2:4,8`` (the CLI's --K/--L syntax)."""
    vals = sorted(set(int(v) for v in values))
    out, i = [], 0
    while i < len(vals):
        j = i
        while j + 1 < len(vals) and vals[j + 1] == vals[j] + 1:
            j += 1
        out.append(f"{vals[i]}:{vals[j]}" if j - i >= 2 else ",".join(map(str, vals[i:j + 1])))
        i = j + 1
    return ",".join(out)


def reproduce_command(claim_id: str, options) -> str:
    """``ncdepth verify --only ID ...`` with this run's grid, levels, profile, seed, examples and budget."""
    args = ["ncdepth", "verify", "--only", claim_id, "--seed", str(options.seed), "--profile", options.profile]
    if options.K is not None:
        args += ["--K", int_spec(options.K)]
    if options.L is not None:
        args += ["--L", int_spec(options.L)]
    if options.levels:
        args += ["--levels", ",".join(l.value for l in options.levels)]
    if options.examples is not None:
        args += ["--examples", str(options.examples)]
    if options.budget_s is not None:
        args += ["--budget", f"{options.budget_s:g}"]
    args.append("--no-cache")
    return " ".join(shlex.quote(a) for a in args)
