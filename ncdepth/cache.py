"""A result cache for checks, keyed by the content of everything a result depends on.

A check's result is reused only when all of these are unchanged:

* the code: the check's theorem module (all files of its claim package when the claim is a
  package, and the data files beside it), every project module it imports, transitively
  (found by reading the import statements), and every file of ``ncdepth/`` and ``numerics/``;
  for formal checks also ``formal/``; extra paths a theorem module lists in ``CACHE_INPUTS``;
* the request: claim id, check name, statement and control, the resolved (K, L) grid and
  pairs, seed, profile, hypothesis examples, time budget;
* the environment: Python, the machine type, and the versions of the numerical packages
  (numpy, scipy, sympy, mpmath, cvxpy, clarabel, highspy, python-flint, z3, hypothesis,
  matplotlib, torch) and of ``coqc`` for formal checks.

Only decided results are stored: PASS, FAIL (a cached FAIL stays a FAIL) and UNSOUND.
INCONCLUSIVE (a budget ran out), ERROR and SKIP are never stored, so they always rerun.
A file hashed for a key that was modified after this process started makes the key
unusable (the code that ran may not be the code on disk): such checks are neither
read from nor written to the cache.

Entries are JSON files under the cache folder: ``$NCDEPTH_CACHE_DIR`` if set, else
``.ncdepth-cache/`` in the project root (a source checkout), else
``$XDG_CACHE_HOME/ncdepth`` (``~/.cache/ncdepth``).  Delete the folder to clear it.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .registry import Check, Claim, Figure, Level, Verdict

__all__ = ["ResultCache", "default_cache_dir", "code_hash", "code_files", "check_key", "CACHEABLE",
           "PROJECT_ROOT", "result_to_json", "result_from_json"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("ncdepth", "numerics", "theorems", "reports", "torch_check")
ALWAYS_HASHED = ("ncdepth", "numerics")
VERSIONED = ("numpy", "scipy", "sympy", "mpmath", "cvxpy", "clarabel", "highspy", "python-flint", "z3-solver",
             "hypothesis", "matplotlib", "torch")
CACHEABLE = (Verdict.PASS, Verdict.FAIL, Verdict.UNSOUND)
FORMAT = 1
# The moment this process started using the project's code (``import ncdepth``): a file modified
# later may not be the code that ran, so keys involving it are unusable.
from . import STARTED  # noqa: E402


def default_cache_dir() -> Path:
    env = os.environ.get("NCDEPTH_CACHE_DIR")
    if env:
        return Path(env)
    if (PROJECT_ROOT / "pyproject.toml").is_file() and os.access(PROJECT_ROOT, os.W_OK):
        return PROJECT_ROOT / ".ncdepth-cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ncdepth"


# ----------------------------------------------------------------------------- code hashing
_DIGESTS: dict[Path, tuple[tuple[int, int], str]] = {}


def _digest(path: Path) -> tuple[str, float]:
    """(sha256 of the file, its mtime); re-read whenever its size or mtime changes."""
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _DIGESTS.get(path)
    if hit is None or hit[0] != stamp:
        hit = (stamp, hashlib.sha256(path.read_bytes()).hexdigest())
        _DIGESTS[path] = hit
    return hit[1], st.st_mtime


_TREES: dict[Path, tuple[Path, ...]] = {}


def forget_digests() -> None:
    """Drop the memos of file hashes and folder listings (called at the start of every run)."""
    _DIGESTS.clear()
    _TREES.clear()
    _code_files_for_module.cache_clear()
    _imports.cache_clear()


def _tree(directory: Path) -> tuple[Path, ...]:
    if directory not in _TREES:
        _TREES[directory] = tuple(sorted(
            p for p in directory.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"))
        ) if directory.is_dir() else ()
    return _TREES[directory]


def _module_file(name: str) -> Path | None:
    """The file of a project module ``a.b.c`` (``a/b/c.py`` or ``a/b/c/__init__.py``), or None."""
    if name.split(".")[0] not in PROJECT_PACKAGES:
        return None
    base = PROJECT_ROOT.joinpath(*name.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _module_name(path: Path) -> str:
    rel = path.resolve().relative_to(PROJECT_ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@lru_cache(maxsize=None)
def _imports(path: Path) -> tuple[str, ...]:
    """Project modules imported by the file at ``path`` (any ``import``/``from`` statement, at any depth)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return ()
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[str] = []

    def statements(body):  # imports are statements: walk statement bodies only, not expressions
        for node in body:
            yield node
            for attr in ("body", "orelse", "finalbody", "handlers", "cases"):
                sub = getattr(node, attr, None)
                if isinstance(sub, list):
                    yield from statements(sub)

    for node in statements(tree.body):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)] if node.level > 1 else base_parts
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append(base)
            found += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
    return tuple(dict.fromkeys(m for m in found if m and m.split(".")[0] in PROJECT_PACKAGES))


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@lru_cache(maxsize=None)
def _code_files_for_module(module: str, formal: bool, source: str | None) -> tuple[Path, ...]:
    files: set[Path] = set()
    for top in ALWAYS_HASHED:
        files.update(_tree(PROJECT_ROOT / top))
    if formal:
        files.update(_tree(PROJECT_ROOT / "formal"))
    start = _module_file(module)
    if start is None:  # a check defined outside the project (a test, a notebook module): its own file
        if source and Path(source).is_file():
            files.add(Path(source).resolve())
        return tuple(sorted(files))
    # the claim's own package (theorems/<part>/<claim>/...) or the data files beside its module
    rel = start.relative_to(PROJECT_ROOT).parts
    if len(rel) >= 3 and rel[0] == "theorems":
        claim_dir = PROJECT_ROOT.joinpath(*rel[:3])
        if claim_dir.is_dir():
            files.update(_tree(claim_dir))
        else:
            files.update(p for p in _tree(start.parent) if p.suffix != ".py")
    queue = [m for name in [module] for m in _with_parents(name)]
    seen: set[str] = set()
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        f = _module_file(name)
        if f is None:
            continue
        files.add(f)
        if name.split(".")[0] in ALWAYS_HASHED:
            continue  # hashed whole; its lazy imports (the report, the CLI) do not compute results
        for imp in _imports(f):
            queue.extend(m for m in _with_parents(imp) if m not in seen)
    mod = sys.modules.get(module)
    for extra in getattr(mod, "CACHE_INPUTS", ()) or ():
        p = (PROJECT_ROOT / extra).resolve()
        files.update(_tree(p) if p.is_dir() else ([p] if p.is_file() else []))
    return tuple(sorted(files))


def code_files(check: Check) -> tuple[Path, ...]:
    """Every file whose content the check's result depends on (see the module docstring)."""
    module = getattr(check.fn, "__module__", "") or ""
    return _code_files_for_module(module, check.level == Level.FORMAL,
                                  getattr(sys.modules.get(module), "__file__", None))


def code_hash(check: Check) -> tuple[str, bool]:
    """(hash of the check's code files, whether all of them are older than this process)."""
    h = hashlib.sha256()
    module = getattr(check.fn, "__module__", "") or ""
    # a check whose code has no file (defined interactively) cannot be keyed by its content: never cached
    fresh = _module_file(module) is not None or bool(getattr(sys.modules.get(module), "__file__", None))
    for f in code_files(check):
        try:
            digest, mtime = _digest(f)
        except OSError:
            digest, mtime = "missing", 0.0
        fresh &= mtime <= STARTED
        try:
            name = f.relative_to(PROJECT_ROOT).as_posix()
        except ValueError:
            name = f.name
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest(), fresh


@lru_cache(maxsize=None)
def _versions(formal: bool) -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
                                  "machine": platform.machine()}
    for dist in VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    if formal:
        coqc = shutil.which("coqc")
        try:
            out["coqc"] = subprocess.run([coqc, "--version"], capture_output=True, text=True,
                                         timeout=20).stdout.strip() if coqc else None
        except (OSError, subprocess.SubprocessError):
            out["coqc"] = "unknown"
    return out


def _stable(x: Any) -> Any:
    """A JSON-friendly, address-free form of a statement/control value."""
    from .runner import jsonable

    if callable(x) and hasattr(x, "__qualname__"):
        return f"{getattr(x, '__module__', '?')}.{x.__qualname__}"
    if isinstance(x, dict):
        return {str(k): _stable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_stable(v) for v in x]
    v = jsonable(x)
    if isinstance(v, str) and " at 0x" in v:
        import re

        v = re.sub(r" at 0x[0-9a-fA-F]+", "", v)
    return v


def check_key(claim: Claim, check: Check, options, grid: tuple) -> tuple[str, dict[str, Any], bool]:
    """(key, the material it hashes, whether it may be used).  ``grid`` is the resolved (K, L, pairs)."""
    code, fresh = code_hash(check)
    K, L, pairs = grid
    material = {
        "format": FORMAT,
        "claim": claim.id,
        "check": check.name,
        "level": check.level.value,
        "function": f"{getattr(check.fn, '__module__', '?')}.{getattr(check.fn, '__qualname__', '?')}",
        "statement": _stable(dict(check.statement)),
        "control": _stable(dict(check.control)),
        "grid": {"K": list(K), "L": list(L), "pairs": [list(p) for p in pairs] if pairs is not None else None},
        "options": {"K": list(options.K) if options.K is not None else None,
                    "L": list(options.L) if options.L is not None else None,
                    "seed": options.seed, "profile": options.profile,
                    "examples": options.examples_for_profile(), "budget_s": options.budget_for_profile()},
        "code": code,
        "versions": _versions(check.level == Level.FORMAL),
    }
    key = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return key, material, fresh


# ----------------------------------------------------------------------------- (de)serialising results
def result_to_json(r) -> dict[str, Any]:
    return {"claim_id": r.claim_id, "name": r.name, "level": r.level.value, "verdict": r.verdict.value,
            "params": r.params, "evidence": r.evidence, "elapsed_s": r.elapsed_s, "message": r.message,
            "counterexample": r.counterexample, "control": r.control, "established": r.established,
            "figures": [{"title": f.title, "caption": f.caption, "png": base64.b64encode(f.png).decode("ascii")}
                        for f in r.figures]}


def result_from_json(d: dict[str, Any]):
    from .runner import CheckResult

    return CheckResult(d["claim_id"], d["name"], Level(d["level"]), Verdict(d["verdict"]), d["params"],
                       d["evidence"], float(d["elapsed_s"]), message=d.get("message", ""),
                       counterexample=d.get("counterexample"), control=d.get("control") or {},
                       figures=[Figure(f["title"], base64.b64decode(f["png"]), f.get("caption", ""))
                                for f in d.get("figures", [])],
                       established=d.get("established"))


class ResultCache:
    """Decided check results on disk, one JSON file per key; plus the last timing of each check."""

    def __init__(self, directory: Path | str | None = None, *, read: bool = True, write: bool = True):
        """``read=False, write=False`` (``--no-cache``): results are neither reused nor stored; the
        timings of the checks (which only order a parallel run) are still read and written."""
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.read, self.write = read, write
        self.hits = 0
        self.stored = 0
        self.write_error: str | None = None

    # --- results
    def _path(self, key: str) -> Path:
        return self.directory / "results" / key[:2] / f"{key}.json"

    def lookup(self, claim: Claim, check: Check, options, grid):
        """The cached result (marked ``cached=True``) or None; and the key to store under (None: unusable)."""
        if not (self.read or self.write):
            return None, None
        try:
            key, _, fresh = check_key(claim, check, options, grid)
        except Exception:  # noqa: BLE001 - a key we cannot compute is a cache miss, never a wrong hit
            return None, None
        if not fresh:
            return None, None
        if not self.read:
            return None, key
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            result = result_from_json(data["result"])
        except (OSError, ValueError, KeyError, TypeError):
            return None, key
        if result.verdict not in CACHEABLE or data.get("key") != key:
            return None, key
        self.hits += 1
        return replace(result, cached=True), key

    def store(self, key: str | None, result) -> bool:
        if key is None or not self.write or result.verdict not in CACHEABLE or getattr(result, "cached", False):
            return False
        from reports.builder import write_atomic

        payload = {"key": key, "stored_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "result": result_to_json(result)}
        try:
            write_atomic(self._path(key), json.dumps(payload, ensure_ascii=False, default=str))
        except OSError as exc:
            self.write_error = f"{self.directory}: {exc.strerror or exc}"
            return False
        self.stored += 1
        return True

    # --- timings (used to start the longest checks first when running in parallel)
    def timings(self) -> dict[str, float]:
        try:
            data = json.loads((self.directory / "timings.json").read_text(encoding="utf-8"))
            return {str(k): float(v) for k, v in data.items()}
        except (OSError, ValueError, AttributeError, TypeError):
            return {}

    def record_timings(self, timings: dict[str, float]) -> None:
        # recorded also under --no-cache: timings are not results (nothing is reused from them), they only let
        # the next parallel run start the longest checks first
        if not timings:
            return
        from reports.builder import write_atomic

        merged = {**self.timings(), **{k: round(v, 3) for k, v in timings.items()}}
        try:
            write_atomic(self.directory / "timings.json", json.dumps(merged, indent=0, sort_keys=True))
        except OSError as exc:
            self.write_error = f"{self.directory}: {exc.strerror or exc}"
