"""The formal level: Coq proofs in ``formal/``, compiled by ``coqc`` and checked by its kernel.

A formal check (:func:`formal_check`) names Coq theorems of ``formal/`` that state a claim
(or a part of it) for every parameter, and the theorems that prove the *negation* of a
plausible wrong variant (its negative control).  Running it:

1. scans every ``.v`` file of ``formal/`` (comments removed) for ``Admitted``, ``admit``,
   ``Axiom``, ``Parameter``, ``Hypothesis``, ``Conjecture`` and the commands that switch
   kernel checks off; any hit is an ERROR;
2. compiles the files its theorems need (and the files they require) with ``coqc`` in a temporary
   directory (nothing is written into the tree), once per process and source hash of the whole
   project: the claims that share files reuse what is compiled, and a single check does not wait
   for the rest of the project;
3. asks Coq for ``Print Assumptions`` and ``Check`` of every named theorem; each must be
   "Closed under the global context" (the allowed-axiom list :data:`ALLOWED_AXIOMS` is
   empty and is shown in the evidence);
4. records, per theorem, its statement verbatim from the source, the kernel's type, the
   file, the coqc and mathcomp versions and the compile time.

The statement run *holds* when every theorem is kernel-checked and closed.  The control
run is *refuted* (the control rejected) when every negation theorem is kernel-checked and
closed: the wrong variant is then disproved by the same kernel.  Where ``coqc`` is absent
the check is SKIP with :data:`INSTALL_HINT`.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .registry import Check, Context, Level, Outcome, Serves

__all__ = [
    "FORMAL_DIR", "INSTALL_HINT", "ALLOWED_AXIOMS", "BANNED", "FormalError", "Build", "CoqTheorem",
    "scan_sources", "strip_comments", "parse_assumptions", "project_files", "closure", "build_project", "query_theorems",
    "source_statement", "formal_check", "CountingFact", "HADAMARD_COUNTS", "proved_counts", "coqc_available",
    "counting_check", "closed_forms_check", "t3_1_region_check",
]

FORMAL_DIR = Path(__file__).resolve().parent.parent / "formal"
INSTALL_HINT = ("apt-get install coq libcoq-mathcomp-ssreflect libcoq-mathcomp-algebra "
                "libcoq-mathcomp-fingroup")
LOGICAL_ROOT = "NCdepth"
ALLOWED_AXIOMS: tuple[str, ...] = ()  # no axiom is allowed: every theorem must be closed
CLOSED = "Closed under the global context"
# Words that must not occur in formal/ outside comments (an admitted or assumed fact),
# and commands that switch kernel checks off or load code into Coq.
BANNED = ("Admitted", "admit", "Axiom", "Axioms", "Parameter", "Parameters", "Hypothesis", "Hypotheses",
          "Conjecture", "give_up")
BANNED_COMMANDS = ("Unset Guard Checking", "Unset Positivity Checking", "Unset Universe Checking",
                   "Declare ML Module", "bypass_check", "Admit Obligations")
COQC_TIMEOUT_S = 600


class FormalError(RuntimeError):
    """A formal check cannot vouch for its theorems: banned word, axiom, or a proof that does not compile."""


# ----------------------------------------------------------------------------- scanner
def strip_comments(text: str) -> str:
    """Coq source with (nested) comments and string literals blanked out; line structure kept."""
    out, i, depth, n = [], 0, 0, len(text)
    in_string = False
    while i < n:
        two = text[i:i + 2]
        c = text[i]
        if in_string:
            if c == '"':
                if text[i + 1:i + 2] == '"':  # "" escapes a quote inside a Coq string
                    out.append("  ")
                    i += 2
                    continue
                in_string = False
            out.append(c if c == "\n" else " ")
            i += 1
        elif two == "(*":
            depth += 1
            out.append("  ")
            i += 2
        elif two == "*)" and depth:
            depth -= 1
            out.append("  ")
            i += 2
        elif depth:
            out.append(c if c == "\n" else " ")
            i += 1
        elif c == '"':
            in_string = True
            out.append(" ")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def scan_text(text: str) -> list[tuple[int, str]]:
    """(line, word) of every banned word or command in a Coq source (comments ignored)."""
    code = strip_comments(text)
    hits = []
    for lineno, line in enumerate(code.splitlines(), 1):
        for word in BANNED:
            if re.search(rf"(?<![\w'.]){re.escape(word)}(?![\w'])", line):
                hits.append((lineno, word))
        for cmd in BANNED_COMMANDS:
            if re.search(r"\s+".join(map(re.escape, cmd.split())), line):
                hits.append((lineno, cmd))
    return hits


def scan_sources(directory: Path = FORMAL_DIR) -> list[dict[str, Any]]:
    """Every banned word in every ``.v`` file under ``directory``."""
    hits = []
    for path in sorted(Path(directory).rglob("*.v")):
        for lineno, word in scan_text(path.read_text(encoding="utf-8")):
            hits.append({"file": path.name, "line": lineno, "word": word})
    return hits


def parse_assumptions(output: str, allowed: Sequence[str] = ALLOWED_AXIOMS) -> tuple[bool, list[str]]:
    """Read ``Print Assumptions``: (acceptable, assumptions not in ``allowed``).

    Acceptable means the output says "Closed under the global context", or every listed
    axiom / parameter / opaque-bypass entry is in ``allowed``.
    """
    text = output.strip()
    if CLOSED in text:
        return True, []
    headers = re.compile(r"^(Axioms|Section Variables|Opaque constants|Transparent constants|"
                         r"Constants relying on [^:]*|Inductives relying on [^:]*):\s*$")
    found: list[str] = []
    if not any(headers.match(line) for line in text.splitlines()):
        return False, [text or "(no output from Print Assumptions)"]
    for line in text.splitlines():
        if not line.strip() or line.startswith((" ", "\t")) or headers.match(line):
            continue  # blank, a continued type, or a section header
        found.append(line.split(" : ", 1)[0].strip())
    bad = [a for a in found if a not in allowed]
    return (not bad and bool(found)), bad


# ----------------------------------------------------------------------------- the build
def coqc_available() -> bool:
    return shutil.which("coqc") is not None


def _require_coqc() -> str:
    exe = shutil.which("coqc")
    if exe is None:
        raise ModuleNotFoundError(f"coqc is not installed: {INSTALL_HINT}", name="coqc")
    return exe


def project_files(directory: Path = FORMAL_DIR) -> list[str]:
    """The ``.v`` files of ``_CoqProject``, in its (dependency) order."""
    lines = (Path(directory) / "_CoqProject").read_text(encoding="utf-8").splitlines()
    files = [ln.strip() for ln in lines if ln.strip().endswith(".v")]
    missing = [f for f in files if not (Path(directory) / f).is_file()]
    if missing:
        raise FormalError(f"_CoqProject names missing files: {missing}")
    unlisted = sorted({p.name for p in Path(directory).glob("*.v")} - set(files))
    if unlisted:
        raise FormalError(f".v files not listed in _CoqProject (they would not be compiled): {unlisted}")
    return files


def local_imports(text: str) -> list[str]:
    """The files of this project a source requires (``From NCdepth Require Import A B.``)."""
    out = []
    for m in re.finditer(rf"From\s+{LOGICAL_ROOT}\s+Require\s+(?:Import\s+|Export\s+)?([^.]*)\.", strip_comments(text)):
        out += [name + ".v" for name in m.group(1).split()]
    return out


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (out.stdout or out.stderr).strip() or "unknown"


def tool_versions() -> dict[str, str]:
    coqc = _version(["coqc", "--version"]).splitlines()
    mc = _version(["dpkg-query", "-W", "-f", "${Version}", "libcoq-mathcomp-ssreflect"])
    if not re.match(r"\d", mc):
        mc = "unknown (not a Debian package)"
    return {"coqc": coqc[0] if coqc else "unknown", "mathcomp (libcoq-mathcomp-ssreflect)": mc}


@dataclass
class Build:
    """The compiled part of the formal project, in a temporary directory (grows as checks need more files)."""

    digest: str
    directory: Path
    files: tuple[str, ...]
    compile_s: dict[str, float]
    versions: dict[str, str]
    ok: bool
    error: str = ""
    wall_s: float = 0.0
    queries: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    queried: tuple[str, ...] = ()  # files whose theorems have been queried

    @property
    def total_s(self) -> float:
        return round(sum(self.compile_s.values()), 3)


_BUILDS: dict[str, Build] = {}


def _digest(directory: Path, files: Sequence[str]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode() + b"\0" + (Path(directory) / f).read_bytes() + b"\0")
    h.update((Path(directory) / "_CoqProject").read_bytes())
    return h.hexdigest()


def _coqc(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    exe = _require_coqc()
    return subprocess.run([exe, "-q", "-w", "-all", "-Q", str(cwd), LOGICAL_ROOT, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=COQC_TIMEOUT_S)


def closure(files: Sequence[str], directory: Path = FORMAL_DIR) -> list[str]:
    """``files`` and every project file they require, transitively, in ``_CoqProject`` order."""
    directory = Path(directory)
    project = project_files(directory)
    need, todo = set(), list(files)
    while todo:
        f = todo.pop()
        if f in need:
            continue
        if f not in project:
            raise FormalError(f"files {[f]} are not part of formal/_CoqProject")
        need.add(f)
        todo += [d for d in local_imports((directory / f).read_text(encoding="utf-8")) if d in project]
    return [f for f in project if f in need]


def build_project(directory: Path = FORMAL_DIR, targets: Sequence[str] | None = None) -> Build:
    """Compile ``targets`` and the files they require (default: every file of ``_CoqProject``).

    One build directory per process and source hash (of the whole project: any change to any file
    starts afresh); files compiled for one check are reused by the next, and a check compiles only
    what its theorems need (a single ``--only L-D.6`` does not wait for the whole project).
    """
    _require_coqc()
    directory = Path(directory)
    files = project_files(directory)
    digest = _digest(directory, files)
    wanted = closure(targets, directory) if targets is not None else list(files)
    b = _BUILDS.get(digest)
    if b is None:
        tmp = Path(tempfile.mkdtemp(prefix="ncdepth-formal-"))
        atexit.register(shutil.rmtree, tmp, True)
        for f in files:
            shutil.copy2(directory / f, tmp / f)
        b = _BUILDS[digest] = Build(digest, tmp, (), {}, tool_versions(), True)
    todo = [f for f in wanted if f not in b.files]
    if not b.ok or not todo:
        return b
    deps = {f: [d for d in local_imports((directory / f).read_text(encoding="utf-8")) if d in files] for f in todo}
    done: set[str] = set(b.files)

    def compile_one(f: str) -> tuple[str, float, subprocess.CompletedProcess]:
        t0 = time.perf_counter()
        res = _coqc([f], b.directory)
        return f, round(time.perf_counter() - t0, 3), res

    # a file starts as soon as the files it requires are compiled (one coqc per core)
    ok, error = True, ""
    t_wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        running: dict = {}
        while ok and not all(f in done for f in todo):
            for f in todo:
                if f not in done and f not in running.values() and all(d in done for d in deps[f]):
                    running[pool.submit(compile_one, f)] = f
            if not running:
                ok, error = False, f"circular Require among {sorted(set(todo) - done)}"
                break
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                f, dt, res = fut.result()
                del running[fut]
                b.compile_s[f] = dt
                done.add(f)
                if res.returncode != 0 and ok:
                    ok, error = False, f"coqc {f} failed (exit {res.returncode}):\n{(res.stdout + res.stderr)[-4000:]}"
        wait(list(running))
    b.wall_s = round(b.wall_s + time.perf_counter() - t_wall, 3)
    b.files = tuple(f for f in files if f in done)
    b.ok, b.error = ok, error
    return b


@dataclass(frozen=True)
class CoqTheorem:
    name: str
    file: str
    source_statement: str
    kernel_type: str
    assumptions: str
    closed: bool
    unexpected_assumptions: tuple[str, ...]


def source_statement(text: str, name: str) -> str | None:
    """``Theorem name ... .`` verbatim from a source (up to the period before ``Proof``)."""
    code = strip_comments(text)
    m = re.search(rf"(?m)^\s*(Theorem|Lemma|Corollary|Proposition|Fact|Remark)\s+{re.escape(name)}\b(.*?)\.\s*\n\s*Proof\b",
                  code, re.S)
    if not m:
        return None
    start, end = m.start(1), m.end(2) + 1
    return re.sub(r"[ \t]+\n", "\n", text[start:end]).strip()


def definitions_used(files: Sequence[str], directory: Path = FORMAL_DIR) -> list[dict[str, str]]:
    """Every ``Definition``/``Fixpoint`` of ``files`` and the project files they require, verbatim."""
    seen: list[str] = []
    todo = list(files)
    while todo:
        f = todo.pop(0)
        if f in seen or not (Path(directory) / f).is_file():
            continue
        seen.append(f)
        todo += local_imports((Path(directory) / f).read_text(encoding="utf-8"))
    out = []
    for f in sorted(seen, key=lambda x: (x != "Hadamard.v", x)):
        text = (Path(directory) / f).read_text(encoding="utf-8")
        code = strip_comments(text)
        for m in re.finditer(r"(?m)^(Definition|Fixpoint)\s+([\w']+).*?\.(?=\s|$)", code, re.S):
            out.append({"name": m.group(2), "file": f"formal/{f}",
                        "coq": re.sub(r"[ \t]+\n", "\n", text[m.start():m.end()]).strip()})
    return out


def _module_of(file: str) -> str:
    return Path(file).stem


def declared_theorems(text: str) -> list[str]:
    """Names declared with ``Theorem`` in a source (the exported statements; ``Lemma`` are helpers)."""
    return re.findall(r"(?m)^\s*Theorem\s+([A-Za-z_][\w']*)", strip_comments(text))


def _query_files(b: Build, files: Sequence[str]) -> None:
    """One coqc run: ``Print Assumptions`` and ``Check`` of every ``Theorem`` of ``files`` not queried yet."""
    todo = [f for f in files if f not in b.queried]
    if not todo:
        return
    lines, index = ["From mathcomp Require Import all_ssreflect all_algebra."], []
    run = len(b.queried)
    for f in todo:
        module = _module_of(f)
        lines.append(f"From {LOGICAL_ROOT} Require Import {module}.")
        for n in declared_theorems((b.directory / f).read_text(encoding="utf-8")):
            i = len(index)
            q = f"{LOGICAL_ROOT}.{module}.{n}"
            lines.append(f'Redirect "r{run}q{i}_a" Print Assumptions {q}.')
            lines.append(f'Redirect "r{run}q{i}_t" Check {q}.')
            index.append((f, n))
    qfile = b.directory / f"Query{run}.v"
    qfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    t0 = time.perf_counter()
    res = _coqc([qfile.name], b.directory)
    b.compile_s[f"{qfile.name} (Print Assumptions, Check: {', '.join(todo)})"] = round(time.perf_counter() - t0, 3)
    if res.returncode != 0:
        raise FormalError(f"querying the theorems failed:\n{(res.stdout + res.stderr)[-3000:]}")
    for i, (f, n) in enumerate(index):
        b.queries[(f, n)] = {"assumptions": (b.directory / f"r{run}q{i}_a.out").read_text(encoding="utf-8").strip(),
                             "type": (b.directory / f"r{run}q{i}_t.out").read_text(encoding="utf-8").strip()}
    b.queried += tuple(todo)


def query_theorems(b: Build, file: str, names: Sequence[str]) -> list[CoqTheorem]:
    """``Print Assumptions`` and ``Check`` of each named ``Theorem`` of ``file`` in the build."""
    if file not in b.files:
        raise FormalError(f"formal/{file} is not compiled in this build")
    _query_files(b, [file])
    src = (b.directory / file).read_text(encoding="utf-8")
    out = []
    for n in names:
        q = b.queries.get((file, n))
        if q is None:
            raise FormalError(f"{n} is not declared with Theorem in formal/{file}")
        ok, bad = parse_assumptions(q["assumptions"])
        stmt = source_statement(src, n)
        if stmt is None:
            raise FormalError(f"{n} is not stated as a Theorem followed by Proof in formal/{file}")
        out.append(CoqTheorem(n, f"formal/{file}", stmt, q["type"], q["assumptions"], ok, tuple(bad)))
    return out


# ----------------------------------------------------------------------------- the check
def _run(files: Sequence[str], theorems: Sequence[str], paper: Mapping[str, str], role: str,
         expect_in_type: Mapping[str, str]) -> dict[str, Any]:
    """Scan, compile (cached), query; raise FormalError unless every theorem is closed."""
    hits = scan_sources(FORMAL_DIR)
    if hits:
        raise FormalError(f"banned words in formal/ (admitted or assumed facts): {hits[:10]}")
    t0 = time.perf_counter()
    by_file: dict[str, list[str]] = {}
    for t in theorems:
        f, _, n = t.rpartition(":") if ":" in t else (files[0], "", t)
        by_file.setdefault(f, []).append(n)
    missing = [f for f in list(files) + list(by_file) if f not in project_files()]
    if missing:
        raise FormalError(f"files {missing} are not part of formal/_CoqProject")
    needed = closure(list(dict.fromkeys(list(files) + list(by_file))))
    previous = _BUILDS.get(_digest(FORMAL_DIR, project_files()))
    cached = previous is not None and all(f in previous.files for f in needed)
    b = build_project(targets=needed)
    if not b.ok:
        raise FormalError(b.error)
    records = []
    for f, names in by_file.items():
        for th in query_theorems(b, f, names):
            if not th.closed:
                raise FormalError(f"{th.name} ({th.file}) rests on assumptions outside the allowed list "
                                  f"{list(ALLOWED_AXIOMS)}: {list(th.unexpected_assumptions)}")
            want = expect_in_type.get(th.name)
            if want is not None and want not in " ".join(th.kernel_type.split()):
                raise FormalError(f"{th.name}: kernel type does not contain {want!r} (the constant the "
                                  f"Python code takes from it): {th.kernel_type}")
            records.append({"theorem": th.name, "file": th.file, "role": role,
                            "coq_statement": th.source_statement, "kernel_type": th.kernel_type,
                            "print_assumptions": th.assumptions,
                            "paper_statement": paper.get(th.name, ""),
                            **({"links_python_constant": want} if want is not None else {})})
    return {"theorems": records, "definitions": definitions_used(files),
            "files": [f"formal/{f}" for f in files], "versions": b.versions,
            "compiled_for_this_check": needed,
            "compile_s_per_file": dict(b.compile_s), "compile_s_total": b.total_s, "compile_wall_s": b.wall_s,
            "build_reused_in_this_process": cached, "query_s": round(time.perf_counter() - t0, 3),
            "allowed_axioms": list(ALLOWED_AXIOMS), "banned_words_checked": list(BANNED + BANNED_COMMANDS),
            "files_scanned": len(list(FORMAL_DIR.rglob("*.v"))), "source_sha256": b.digest}


def _formal_fn(ctx: Context, role: str, files: tuple[str, ...], theorems: tuple[str, ...],
               paper: Mapping[str, str] | None = None, expect_in_type: Mapping[str, str] | None = None) -> Outcome:
    ev = _run(files, theorems, paper or {}, role, expect_in_type or {})
    if role == "claim":
        return Outcome.held(ev)
    first = ev["theorems"][0]
    return Outcome.refuted({"negation_kernel_checked": first["theorem"], "file": first["file"],
                            "coq_statement": first["coq_statement"]}, ev)


def formal_check(name: str, files: Sequence[str], theorems: Sequence[str] | Mapping[str, str],
                 control_files: Sequence[str], control_theorems: Sequence[str], *,
                 covers: tuple[str, ...] = (), for_all: str = "all m", statement_text: str = "",
                 control_description: str, control_why: str, description: str = "",
                 expect_in_type: Mapping[str, str] | None = None) -> Check:
    """A formal :class:`Check`: ``theorems`` of ``files`` prove the claim (part ``covers``) for all
    parameters; ``control_theorems`` of ``control_files`` prove the negation of the wrong variant
    described by ``control_description``.  ``theorems`` may map each name to the paper's statement
    it formalises; ``"File.v:name"`` names a theorem of another file than ``files[0]``."""
    paper = dict(theorems) if isinstance(theorems, Mapping) else {}
    names = tuple(theorems)
    short = [n.rpartition(":")[2] for n in names]
    return Check(
        name=name, level=Level.FORMAL, fn=_formal_fn,
        description=description or (f"Coq (mathcomp) proofs {', '.join(short)} in "
                                     f"{', '.join('formal/' + f for f in files)}, checked by the kernel; "
                                     f"Print Assumptions closed" + (f": {statement_text}" if statement_text else "")),
        precision="Coq kernel (coqc), no axioms (Print Assumptions: closed under the global context)",
        statement={"role": "claim", "files": tuple(files), "theorems": names, "paper": paper,
                   "expect_in_type": dict(expect_in_type or {})},
        control={"role": "negation", "files": tuple(control_files), "theorems": tuple(control_theorems)},
        control_description=control_description, control_why=control_why,
        covers=tuple(covers), for_all=for_all, method="Coq 8.16 + mathcomp 1.15",
        serves=Serves(what=f"a Coq proof for {for_all} (a requested K, L changes nothing)"),
    )


# ----------------------------------------------------------------------------- proved constants
@dataclass(frozen=True)
class CountingFact:
    """A count proved in Coq, ``K / divisor``, with the theorem that proves it."""

    theorem: str
    file: str
    divisor: int
    text: str

    @property
    def coq_rhs(self) -> str:
        return f"2 ^ m %/ {self.divisor}"


HADAMARD_COUNTS = {
    "odd": CountingFact("count_odd", "L_D_8.v", 2, "for 0 < k < K = 2^m: #{i < K : <i,k> odd} = K/2"),
    "both_odd": CountingFact("count_both_odd", "L_D_8.v", 4,
                             "for distinct 0 < j, k < K = 2^m: #{i < K : <i,j> and <i,k> odd} = K/4"),
}


def proved_counts(K: Any) -> dict[str, Any]:
    """The Hadamard counting facts at K (an int or a sympy symbol), as the Coq theorems state them.

    ``odd``: #{i : <i,k> odd} for k != 0; ``both_odd``: #{i : <i,j>, <i,k> odd} for distinct
    non-zero j, k; ``theorems``: where each is proved (formal/L_D_8.v, checked by L-D.8's
    formal check, which also verifies that the kernel's statement has this divisor).
    """
    vals = {key: (K // f.divisor if isinstance(K, int) else K / f.divisor) for key, f in HADAMARD_COUNTS.items()}
    vals["theorems"] = {key: f"formal/{f.file}:{f.theorem}" for key, f in HADAMARD_COUNTS.items()}
    return vals


def counting_check() -> Check:
    """L-D.8's formal check of the counting facts (its part ``counts``), with the constants of
    :func:`proved_counts` verified against the kernel's statements."""
    return formal_check(
        "coq_counts_all_m", ["L_D_8.v"], {f.theorem: f.text for f in HADAMARD_COUNTS.values()},
        ["L_D_8.v"], ["both_odd_needs_distinct"], covers=("counts",),
        expect_in_type={f.theorem: f.coq_rhs for f in HADAMARD_COUNTS.values()},
        control_description=("'exactly K/4 indices have both <i,j> and <i,k> odd for every pair of non-zero j, k' "
                             "(distinctness dropped): Coq proves the count is K/2 = 2, not K/4 = 1, at K = 4, j = k = 1"),
        control_why=("the pair count is easy to state without 'distinct': for j = k the two conditions coincide "
                     "and the count is K/2"))


def t3_1_region_check() -> Check:
    """T3.1's formal check (its part ``region``): the region from the exact forms, for all K and L,
    for the even construction and both odd ones, and the equivalence of the integer forms with the
    paper's real-exponent thresholds."""
    return formal_check(
        "coq_region_all_k_l", ["T3_1.v"],
        {"even_threshold_exact": "K even: 2^{(1-L)/(1+L)} < 1 - 1/K  <=>  K^{L+1} < 2^{L-1} (K-1)^{L+1}",
         "odd_plain_threshold_exact": "K odd, plain singleton: ((K-1)/2) 4^{1/(L+1)} + 1 < K - 1  <=>  (K-1)^{L+1} < 2^{L-1} (K-2)^{L+1}",
         "even_form_region": "for k >= 4, L >= 1: k^{L+1} < 2^{L-1} (k-1)^{L+1}  <=>  (L = 2 and k >= 5) or L >= 3",
         "cp_even_region": "K even >= 4: the cross-polytope beats DNC iff (L = 2, K >= 6) or L >= 3 (never L = 1)",
         "cp_odd_plain_region": "K odd >= 5, plain singleton: iff (L = 2, K >= 6) or L >= 3 (never L = 1)",
         "centred_region": "K odd >= 5, centred singleton ((K-1)/2) 4^{1/(L+1)} + ((K-1)/K)^{1/(L+1)} < K - 1: iff (L = 2, K >= 6) or L >= 3"},
        ["T3_1.v"], ["wrong_exponent_fails"], covers=("region",),
        for_all="all K >= 4, L >= 1 (x = 4^{1/(L+1)}, y = ((K-1)/K)^{1/(L+1)} as positive roots in any ordered field)",
        description=("Coq (mathcomp): the exact integer forms are equivalent to the paper's thresholds (real powers enter "
                     "as the positive (L+1)-th roots 4^{1/(L+1)} and ((K-1)/K)^{1/(L+1)}); monotonicity in k and L and "
                     "the corners (5, 2), (4, 3), (4, 2) decide the region for every K, L; the centred singleton wins "
                     "wherever the plain one does and loses at L = 1 and at (K, L) = (5, 2) (2·4^{1/3} + (4/5)^{1/3} >= 4). "
                     "That V_CP < V_DNC is these thresholds (the (P_L) values of the constructions) is not in Coq"),
        control_description=("threshold 2^{-L/(L+1)} < 1 - 1/K: Coq proves it holds at (K, L) = (4, 1) where the "
                             "cross-polytope does not beat DNC"),
        control_why="the exponent (1-L)/(1+L) is easily misderived as -L/(L+1) (one factor of 2 lost)")


def closed_forms_check() -> Check:
    """L-D.8's formal check of its closed forms (part ``closed_forms``), given T4.2's core form."""
    return formal_check(
        "coq_closed_forms_all_m", ["L_D_8.v"],
        {"alternating_closed_forms": ("with T4.2's core form E_i = φ(-(2/K) Σ_{j>=1, <i,j> odd} λ_j), λ = a on odd, b on even "
                                      "modes, any φ in place of exp: D = 1 + Σ_{i>=1} E_i = 1 + φ(-a) + (K-2) φ(-(a+b)/2); "
                                      "2 Σ_{i>=1, <k,i> odd} E_i = 2(φ(-a) + (K/2-1) φ(-(a+b)/2)) for odd k and K φ(-(a+b)/2) "
                                      "for even k, so 1 - ψ_odd and 1 - ψ_even are the stated quotients by D")},
        ["L_D_8.v"], ["even_miscounted_fails"], covers=("closed_forms",),
        for_all="all K = 2^m >= 4, all a, b and every φ in place of exp (given T4.2's core form)",
        control_description=("1 - ψ_even = (K-2) e^{-(a+b)/2} / D: Coq proves the numerator is 4, not 2, at K = 4, "
                             "φ = 1, a = b = 0, k = 2"),
        control_why="the even rows are easily counted like the K-2 generic weights of D")
