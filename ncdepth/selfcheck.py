"""``ncdepth selfcheck``: plant plausible bugs and see which checks catch them.

The catalogue (``ncdepth/selfcheck_catalogue.toml``) lists bugs someone could write:
slips in every numerics module and in torch_check's metrics, and mis-stated claims (a
wrong threshold, exponent or construction).  Each entry names a file, an exact snippet
that occurs once in it, its replacement, why the slip is plausible, and the claims that
should notice.  For each bug the project is copied to a temporary folder, the snippet is
replaced, and ``ncdepth verify --only <claims>`` runs on the copy in a subprocess.

A bug is **killed** when some check of those claims is FAIL (the statement refuted),
UNSOUND (the control now passes: the check noticed it could no longer fail) or ERROR
(the checker crashed on it; counted, but marked as a weaker catch).  INCONCLUSIVE and
PASS are survivals.  The unmutated project runs first: a claim that does not PASS there
cannot be used to kill anything (the selfcheck stops and says so).

The kill matrix (bug x catching checks) is printed and written as ``selfcheck.json`` and
``selfcheck.md`` in the report folder; ``ncdepth verify`` embeds it when present.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["Bug", "BugResult", "load_catalogue", "apply_bug", "run_selfcheck", "kill_matrix_markdown",
           "CATALOGUE", "PROJECT_ROOT"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = Path(__file__).with_name("selfcheck_catalogue.toml")
# What a copy needs to run the registry (no .git, no reports, no caches).
COPIED = ("ncdepth", "numerics", "theorems", "reports", "torch_check", "formal", "pyproject.toml")
CAUGHT = {"FAIL": "refuted", "UNSOUND": "control passed", "ERROR": "crash"}


@dataclass(frozen=True)
class Bug:
    id: str
    file: str
    find: str
    replace: str
    why: str
    catchers: tuple[str, ...]
    kind: str = "numerics"  # numerics | metrics | statement
    levels: str = ""  # optional --levels restriction for the run
    K: str = ""  # optional --K for the run
    L: str = ""


@dataclass
class BugResult:
    bug: Bug
    status: str  # killed | survived | stale | timeout | baseline-broken
    verdicts: dict[str, str] = field(default_factory=dict)  # test id -> verdict, for the non-PASS ones
    elapsed_s: float = 0.0
    detail: str = ""

    @property
    def killers(self) -> list[str]:
        return [t for t, v in self.verdicts.items() if v in CAUGHT]

    def to_json(self) -> dict:
        return {"id": self.bug.id, "file": self.bug.file, "kind": self.bug.kind, "why": self.bug.why,
                "catchers": list(self.bug.catchers), "status": self.status, "killed_by": self.killers,
                "verdicts": self.verdicts, "elapsed_s": round(self.elapsed_s, 2), "detail": self.detail}


def load_catalogue(path: Path = CATALOGUE) -> list[Bug]:
    """The catalogue's bugs; ids unique, every field present."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    bugs = []
    for raw in data.get("bug", []):
        missing = [k for k in ("id", "file", "find", "replace", "why", "catchers") if k not in raw]
        if missing:
            raise ValueError(f"catalogue entry {raw.get('id', '?')}: missing {missing}")
        bugs.append(Bug(id=raw["id"], file=raw["file"], find=raw["find"], replace=raw["replace"], why=raw["why"],
                        catchers=tuple(raw["catchers"]), kind=raw.get("kind", "numerics"),
                        levels=raw.get("levels", ""), K=str(raw.get("K", "")), L=str(raw.get("L", ""))))
    ids = [b.id for b in bugs]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"catalogue: duplicate bug ids {sorted(dup)}")
    return bugs


def stale_reason(bug: Bug, root: Path = PROJECT_ROOT) -> str | None:
    """Why ``bug`` cannot be applied to the tree at ``root`` (its snippet must occur exactly once)."""
    path = root / bug.file
    if not path.is_file():
        return f"{bug.file} does not exist"
    n = path.read_text(encoding="utf-8").count(bug.find)
    if n != 1:
        return f"the snippet occurs {n} times in {bug.file} (must be exactly once)"
    if bug.find == bug.replace:
        return "replacement equals the snippet"
    return None


def copy_project(dest: Path, root: Path = PROJECT_ROOT) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "*.egg-info")
    for name in COPIED:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    return dest


def apply_bug(bug: Bug, tree: Path) -> None:
    path = tree / bug.file
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(bug.find, bug.replace, 1), encoding="utf-8")


def _verify(tree: Path, claims: Sequence[str], timeout_s: float, extra: Sequence[str] = ()) -> tuple[dict[str, str], str]:
    """Run ``ncdepth verify`` on ``tree``; the verdict of every check, by test id."""
    out = tree / "_selfcheck_out"
    cmd = [sys.executable, "-m", "ncdepth", "verify", "--only", *claims, "--quiet", "--out", str(out), *extra]
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1", "NCDEPTH_NO_CACHE": "1"}
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout_s)
    report = out / "report.json"
    if not report.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"<run>": "ERROR"}, f"no report (exit {proc.returncode}): {tail[0][:200]}"
    data = json.loads(report.read_text(encoding="utf-8"))
    verdicts = {f"{c['id']}/{k['level']}/{k['name']}": k["verdict"] for c in data["claims"] for k in c["checks"]}
    return verdicts, ""


def _extra_args(bug: Bug) -> list[str]:
    args = []
    if bug.levels:
        args += ["--levels", bug.levels]
    if bug.K:
        args += ["--K", bug.K]
    if bug.L:
        args += ["--L", bug.L]
    return args


def run_bug(bug: Bug, timeout_s: float = 600.0, root: Path = PROJECT_ROOT) -> BugResult:
    why = stale_reason(bug, root)
    if why:
        return BugResult(bug, "stale", detail=why)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"ncdepth-selfcheck-{bug.id}-") as tmp:
        tree = copy_project(Path(tmp), root)
        apply_bug(bug, tree)
        try:
            verdicts, detail = _verify(tree, bug.catchers, timeout_s, _extra_args(bug))
        except subprocess.TimeoutExpired:
            return BugResult(bug, "timeout", elapsed_s=time.perf_counter() - t0,
                             detail=f"the catching claims did not finish within {timeout_s:.0f} s")
    non_pass = {t: v for t, v in verdicts.items() if v not in ("PASS", "SKIP")}
    killed = any(v in CAUGHT for v in non_pass.values())
    return BugResult(bug, "killed" if killed else "survived", non_pass, time.perf_counter() - t0, detail)


def baseline(claims: Sequence[str], timeout_s: float, root: Path = PROJECT_ROOT,
             extra: Sequence[str] = ()) -> dict[str, str]:
    """Verdicts of the unmutated project for ``claims`` (every one must PASS or SKIP)."""
    with tempfile.TemporaryDirectory(prefix="ncdepth-selfcheck-baseline-") as tmp:
        tree = copy_project(Path(tmp), root)
        verdicts, _ = _verify(tree, claims, timeout_s, extra)
    return verdicts


def run_selfcheck(bugs: Sequence[Bug], workers: int = 1, timeout_s: float = 600.0,
                  on_done: Callable[[BugResult], None] | None = None, root: Path = PROJECT_ROOT) -> list[BugResult]:
    """Run every bug (``workers`` at a time, each in its own subprocess and temporary copy)."""
    results: list[BugResult] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for r in pool.map(lambda b: run_bug(b, timeout_s, root), bugs):
            results.append(r)
            if on_done:
                on_done(r)
    return results


def kill_matrix_markdown(results: Sequence[BugResult]) -> str:
    killed = sum(r.status == "killed" for r in results)
    lines = ["# ncdepth selfcheck: planted bugs and the checks that catch them", "",
             f"**{killed} of {len(results)} bugs killed.** A bug is killed when a check of the claims that should "
             "notice it is FAIL (refuted), UNSOUND (its control passed) or ERROR (crash, a weaker catch).", "",
             "| bug | kind | file | status | killed by | why the slip is plausible |", "|---|---|---|---|---|---|"]
    for r in results:
        by = ", ".join(f"{t} ({CAUGHT[r.verdicts[t]]})" for t in r.killers) or (r.detail or "—")
        lines.append(f"| {r.bug.id} | {r.bug.kind} | `{r.bug.file}` | **{r.status}** | {by} | {r.bug.why} |")
    return "\n".join(lines) + "\n"


def write_selfcheck(results: Sequence[BugResult], out_dir: Path) -> dict[str, Path]:
    from reports.builder import write_atomic

    out_dir = Path(out_dir)
    payload = {"bugs": [r.to_json() for r in results],
               "killed": sum(r.status == "killed" for r in results), "total": len(results)}
    paths = {"selfcheck.json": out_dir / "selfcheck.json", "selfcheck.md": out_dir / "selfcheck.md"}
    write_atomic(paths["selfcheck.json"], json.dumps(payload, indent=2, ensure_ascii=False))
    write_atomic(paths["selfcheck.md"], kill_matrix_markdown(results))
    return paths


def to_dict(bug: Bug) -> dict:
    return asdict(bug)
