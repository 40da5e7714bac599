"""``ncdepth selfcheck``: plant plausible bugs and see which checks catch them.

The catalogue (``ncdepth/selfcheck_catalogue.toml``) lists bugs someone could write:
slips in every numerics module and in torch_check's metrics, and mis-stated claims (a
wrong threshold, exponent or construction).  Each entry names a file, an exact snippet
that occurs once in it, its replacement, why the slip is plausible, and the claims that
should notice.  For each bug the project is copied to a temporary folder, the snippet is
replaced, and ``ncdepth verify --only <claims> --no-cache`` runs on the copy in a subprocess
(the copy first on ``sys.path``; the result cache is never read or written; nothing is
written into the project).  A catcher may also be a pytest node id
(``tests/test_x.py::test_y``), run with pytest on the copy.

A bug is **killed** when some check of those claims is FAIL (the statement refuted),
UNSOUND (the control now passes: the check noticed it could no longer fail) or ERROR
(the checker crashed on it; counted, but marked as a weaker catch), *and that same check
PASSes on the unmutated project* (each killing run is confirmed against a baseline run of
the same catchers, levels and grid; a catch that is not PASS there makes the bug
``baseline-broken``).  INCONCLUSIVE and PASS are survivals.  A survivor whose entry carries
``cannot_matter`` (why no verdict can depend on the slip) is reported as ``cannot-matter``;
any other survivor, a timeout or a stale entry (its snippet no longer occurs exactly once)
makes the selfcheck fail.

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
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["Bug", "BugResult", "load_catalogue", "apply_bug", "run_bug", "run_selfcheck", "kill_matrix_markdown",
           "write_selfcheck", "stale_reason", "CATALOGUE", "PROJECT_ROOT", "GOOD"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = Path(__file__).with_name("selfcheck_catalogue.toml")
# What a copy needs to run the registry and the tests (no .git, no reports, no caches).
COPIED = ("ncdepth", "numerics", "theorems", "reports", "torch_check", "formal", "tests", "pyproject.toml")
CAUGHT = {"FAIL": "refuted", "UNSOUND": "control passed", "ERROR": "crash"}
KINDS = ("numerics", "metrics", "statement")
FIELDS = ("id", "file", "find", "replace", "why", "catchers", "kind", "levels", "K", "L", "cannot_matter")
#: statuses that leave the selfcheck green
GOOD = ("killed", "cannot-matter")


def _is_test(catcher: str) -> bool:
    return catcher.startswith("tests/")


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
    cannot_matter: str = ""  # why a survivor cannot change any verdict (reported, never hidden)

    @property
    def claims(self) -> tuple[str, ...]:
        return tuple(c for c in self.catchers if not _is_test(c))

    @property
    def tests(self) -> tuple[str, ...]:
        return tuple(c for c in self.catchers if _is_test(c))


@dataclass
class BugResult:
    bug: Bug
    status: str  # killed | survived | cannot-matter | stale | timeout | baseline-broken
    verdicts: dict[str, str] = field(default_factory=dict)  # test id -> verdict, for the non-PASS ones
    elapsed_s: float = 0.0
    detail: str = ""

    @property
    def killers(self) -> list[str]:
        return [t for t, v in self.verdicts.items() if v in CAUGHT]

    def to_json(self) -> dict:
        return {"id": self.bug.id, "file": self.bug.file, "kind": self.bug.kind, "why": self.bug.why,
                "catchers": list(self.bug.catchers), "levels": self.bug.levels, "K": self.bug.K, "L": self.bug.L,
                "status": self.status, "killed_by": self.killers, "verdicts": self.verdicts,
                "elapsed_s": round(self.elapsed_s, 2), "detail": self.detail, "cannot_matter": self.bug.cannot_matter}


def load_catalogue(path: Path = CATALOGUE) -> list[Bug]:
    """The catalogue's bugs; ids unique, every required field present, no unknown field."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    bugs = []
    for raw in data.get("bug", []):
        missing = [k for k in ("id", "file", "find", "replace", "why", "catchers") if k not in raw]
        if missing:
            raise ValueError(f"catalogue entry {raw.get('id', '?')}: missing {missing}")
        unknown = sorted(set(raw) - set(FIELDS))
        if unknown:
            raise ValueError(f"catalogue entry {raw['id']}: unknown fields {unknown}")
        bug = Bug(id=raw["id"], file=raw["file"], find=raw["find"], replace=raw["replace"], why=raw["why"],
                  catchers=tuple(raw["catchers"]), kind=raw.get("kind", "numerics"), levels=raw.get("levels", ""),
                  K=str(raw.get("K", "")), L=str(raw.get("L", "")), cannot_matter=raw.get("cannot_matter", ""))
        if bug.kind not in KINDS:
            raise ValueError(f"catalogue entry {bug.id}: kind {bug.kind!r} is not one of {KINDS}")
        if not bug.catchers:
            raise ValueError(f"catalogue entry {bug.id}: no catchers")
        bugs.append(bug)
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
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "*.egg-info", ".ncdepth-cache")
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


def _env(tree: Path) -> dict[str, str]:
    """The copy first on ``sys.path`` (the editable install points at the real project); a private cache dir."""
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1",
            "NCDEPTH_CACHE_DIR": str(tree / "_selfcheck_cache")}


def _verify(tree: Path, claims: Sequence[str], timeout_s: float, extra: Sequence[str] = ()) -> tuple[dict[str, str], str]:
    """Run ``ncdepth verify --no-cache`` on ``tree``; the verdict of every check, by test id."""
    out = tree / "_selfcheck_out"
    cmd = [sys.executable, "-m", "ncdepth", "verify", "--only", *claims, "--quiet", "--no-cache",
           "--out", str(out), *extra]
    proc = subprocess.run(cmd, cwd=tree, env=_env(tree), capture_output=True, text=True, timeout=timeout_s)
    report = out / "report.json"
    if not report.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"<run>": "ERROR"}, f"no report (exit {proc.returncode}): {tail[0][:200]}"
    data = json.loads(report.read_text(encoding="utf-8"))
    verdicts = {f"{c['id']}/{k['level']}/{k['name']}": k["verdict"] for c in data["claims"] for k in c["checks"]}
    return verdicts, ""


def _pytest(tree: Path, tests: Sequence[str], timeout_s: float) -> dict[str, str]:
    """Each pytest node id on ``tree``: PASS, FAIL (a test failed) or ERROR (pytest could not run it)."""
    out = {}
    for node in tests:
        cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", node]
        proc = subprocess.run(cmd, cwd=tree, env=_env(tree), capture_output=True, text=True, timeout=timeout_s)
        out[node] = {0: "PASS", 1: "FAIL", 5: "NOT COLLECTED"}.get(proc.returncode, "ERROR")
    return out


def _extra_args(bug: Bug) -> list[str]:
    args = []
    if bug.levels:
        args += ["--levels", bug.levels]
    if bug.K:
        args += ["--K", bug.K]
    if bug.L:
        args += ["--L", bug.L]
    return args


def _run_catchers(tree: Path, bug: Bug, timeout_s: float) -> tuple[dict[str, str], str]:
    verdicts, detail = {}, ""
    if bug.claims:
        verdicts, detail = _verify(tree, bug.claims, timeout_s, _extra_args(bug))
    if bug.tests:
        verdicts.update(_pytest(tree, bug.tests, timeout_s))
    return verdicts, detail


def run_bug(bug: Bug, timeout_s: float = 600.0, root: Path = PROJECT_ROOT) -> BugResult:
    """Apply ``bug`` to a temporary copy of ``root`` and run its catchers there (not yet confirmed)."""
    why = stale_reason(bug, root)
    if why:
        return BugResult(bug, "stale", detail=why)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"ncdepth-selfcheck-{bug.id}-") as tmp:
        tree = copy_project(Path(tmp), root)
        apply_bug(bug, tree)
        try:
            verdicts, detail = _run_catchers(tree, bug, timeout_s)
        except subprocess.TimeoutExpired:
            return BugResult(bug, "timeout", elapsed_s=time.perf_counter() - t0,
                             detail=f"the catching claims did not finish within {timeout_s:.0f} s")
    non_pass = {t: v for t, v in verdicts.items() if v not in ("PASS", "SKIP")}
    killed = any(v in CAUGHT for v in non_pass.values())
    status = "killed" if killed else ("cannot-matter" if bug.cannot_matter else "survived")
    return BugResult(bug, status, non_pass, time.perf_counter() - t0, detail)


def run_spec(bug: Bug) -> tuple:
    """What a bug's run executes (catchers and restrictions): bugs with equal specs share a baseline."""
    return (bug.catchers, bug.levels, bug.K, bug.L)


def baseline(bug: Bug, timeout_s: float, root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Verdicts of the unmutated project for ``bug``'s run (its catchers, levels, K, L)."""
    with tempfile.TemporaryDirectory(prefix="ncdepth-selfcheck-baseline-") as tmp:
        tree = copy_project(Path(tmp), root)
        verdicts, _ = _run_catchers(tree, bug, timeout_s)
    return verdicts


def confirm_against_baseline(result: BugResult, base: dict[str, str]) -> BugResult:
    """Keep only the catches whose check PASSes (or is SKIP) on the unmutated project."""
    if result.status != "killed":
        return result
    def fine(t: str) -> bool:  # the whole run crashing counts when the baseline run produced a report
        return ("<run>" not in base and bool(base)) if t == "<run>" else base.get(t) in ("PASS", "SKIP")

    broken = {t: base.get(t, "missing") for t in result.killers if not fine(t)}
    if not broken:
        return result
    kept = {t: v for t, v in result.verdicts.items() if t not in broken}
    note = "; ".join(f"{t} is {v} on the unmutated project" for t, v in broken.items())
    detail = (result.detail + "; " if result.detail else "") + note
    if any(v in CAUGHT for v in kept.values()):
        return BugResult(result.bug, "killed", kept, result.elapsed_s, detail)
    return BugResult(result.bug, "baseline-broken", result.verdicts, result.elapsed_s, detail)


def run_selfcheck(bugs: Sequence[Bug], workers: int = 1, timeout_s: float = 600.0,
                  on_done: Callable[[BugResult], None] | None = None, root: Path = PROJECT_ROOT) -> list[BugResult]:
    """Run every bug (``workers`` at a time, each in its own subprocess and temporary copy).

    Every kill is confirmed against a baseline run of the same spec on the unmutated project
    (computed once per spec, only for specs that killed something).
    """
    baselines: dict[tuple, dict[str, str]] = {}
    lock = threading.Lock()

    def one(bug: Bug) -> BugResult:
        r = run_bug(bug, timeout_s, root)
        if r.status != "killed":
            return r
        spec = run_spec(bug)
        with lock:
            base = baselines.get(spec)
        if base is None:
            try:
                base = baseline(bug, timeout_s, root)
            except subprocess.TimeoutExpired:
                base = {}
            with lock:
                baselines[spec] = base
        return confirm_against_baseline(r, base)

    results: list[BugResult] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for r in pool.map(one, bugs):
            results.append(r)
            if on_done:
                on_done(r)
    return results


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def summary_line(results: Sequence[BugResult]) -> str:
    killed = sum(r.status == "killed" for r in results)
    explained = sum(r.status == "cannot-matter" for r in results)
    bad = len(results) - killed - explained
    return (f"{killed} of {len(results)} bugs killed" + (f", {explained} explained survivors (cannot matter)"
                                                        if explained else "") + (f", {bad} NOT killed" if bad else ""))


def kill_matrix_markdown(results: Sequence[BugResult]) -> str:
    lines = ["# ncdepth selfcheck: planted bugs and the checks that catch them", "",
             f"**{summary_line(results)}.** A bug is killed when a check of the claims that should notice it is "
             "FAIL (refuted), UNSOUND (its control passed) or ERROR (crash, a weaker catch), and that check PASSes "
             "on the unmutated project.", "",
             "| bug | kind | file | status | killed by | why the slip is plausible |", "|---|---|---|---|---|---|"]
    for r in results:
        by = ", ".join(f"{t} ({CAUGHT[r.verdicts[t]]})" for t in r.killers) or (r.detail or "—")
        if r.status == "cannot-matter":
            by = f"cannot matter: {r.bug.cannot_matter}"
        lines.append(f"| {r.bug.id} | {r.bug.kind} | `{r.bug.file}` | **{r.status}** | {_cell(by)} | {_cell(r.bug.why)} |")
    return "\n".join(lines) + "\n"


def write_selfcheck(results: Sequence[BugResult], out_dir: Path, elapsed_s: float | None = None,
                    partial: bool = False) -> dict[str, Path]:
    """``selfcheck.json`` and ``selfcheck.md`` (atomically); ``partial`` while the run is still going."""
    from reports.builder import write_atomic

    out_dir = Path(out_dir)
    payload = {"summary": summary_line(results), "partial": partial, "total": len(results),
               "killed": sum(r.status == "killed" for r in results),
               "cannot_matter": sum(r.status == "cannot-matter" for r in results),
               "wall_s": round(elapsed_s, 1) if elapsed_s is not None else None,
               "bugs": [r.to_json() for r in results]}
    paths = {"selfcheck.json": out_dir / "selfcheck.json", "selfcheck.md": out_dir / "selfcheck.md"}
    write_atomic(paths["selfcheck.json"], json.dumps(payload, indent=2, ensure_ascii=False))
    md = kill_matrix_markdown(results)
    if partial:
        md = md.replace("\n\n", "\n\n*Partial: the run is still going (or was interrupted).*\n\n", 1)
    write_atomic(paths["selfcheck.md"], md)
    return paths


def to_dict(bug: Bug) -> dict:
    return asdict(bug)
