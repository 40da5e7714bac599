"""Build the verification report (Markdown, JSON, self-contained HTML) and write it atomically.

The HTML report is a blueprint of the paper: a dashboard of claims per established scope,
the dependency graph of the claims (inline SVG, nodes coloured by scope, a click jumps to the
claim, ``#focus-ID`` highlights a claim's ancestors by CSS alone), the evidence matrix (claims x
levels, each cell the verdicts of its checks), the coverage of the paper's numbered results
(when ``reports/coverage.py`` provides ``coverage_rows()``), and per claim: the statement with
its formula as MathML (converted offline), what is established, what it rests on, its
provenance (paper reference, module, check functions with file and line, commit, the command
that reproduces it) and every check's evidence as tables.  No script, no network: the file is
self-contained.  The Markdown and JSON reports carry the same information (the JSON keeps every
raw record; its shape only grows).

Each file is written to a temporary file in the target folder and moved into place with
``os.replace``, so an interrupted run never leaves a half-written report.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

from ncdepth.registry import Level, Verdict, paper_order
from ncdepth.runner import CheckResult, ClaimResult, RunOptions, jsonable
from ncdepth.scope import CATEGORIES

from . import evidence as ev
from .graph import CATEGORY_STYLE, Node, ancestors, dependency_svg, descendants, slug
from .mathml import inline_math, to_mathml
from .provenance import check_source, module_path, reproduce_command

__all__ = ["CONVENTIONS", "REPORT_FORMAT", "environment", "to_json", "to_markdown", "to_html", "write_atomic",
           "write_report", "coverage", "summary_counts", "scope_counts"]

REPORT_FORMAT = 2

CONVENTIONS = [
    "K classes, n samples per class, N = K n, width d.",
    "L counts the weight matrices after the features: Z = W_L ... W_1 H (L+1 factors); L = 1 is the shallow UFM.",
    "The loss is the SUM of per-sample cross-entropies; gradient flow is Ẇ = -∂ℒ/∂W for every factor.",
    "Columns are samples in class order; Y = I_K ⊗ 1_n^T; M_K = I_K - (1/K) 1 1^T is the simplex ETF.",
    "Sylvester Hadamard H_1 = [1], H_2k = [[H_k, H_k], [H_k, -H_k]], K = 2^m; ⊕ is bitwise XOR, <i,j> the mod-2 bit dot product.",
    "Reduced variables λ = σ/√n (σ the logit singular values); β = 2L/(L+1); reduced flow λ̇ = (1 - ψ(λ)) λ^β, ψ = H softmax(Hλ/K).",
    "Effective rank: exp of the entropy of p_i = σ_i / Σσ over the non-zero singular values.",
]

LEVEL_NOTE = {
    "formal": "a proof checked by the Coq kernel",
    "symbolic": "sympy/z3 derivation or proof, for all parameters where stated",
    "certified": "rigorous (ball/interval arithmetic or exact enumeration) over the stated range",
    "numeric": "floating point at the stated precision and tolerance",
    "fuzz": "hypothesis search over random inputs, failures shrunk",
    "empirical": "gradient-flow training of the full deep model",
}

CATEGORY_NOTE = {
    "formal": "every part proved, the weakest by a kernel-checked formal proof",
    "proved": "every part proved for all parameters (symbolic or certified argument)",
    "certified range": "weakest part: proved or certified over a finite range of parameters",
    "numerical": "weakest part: floating-point or fuzzing evidence",
    "empirical": "weakest part: training experiments",
    "FAIL": "a part was refuted (counterexample in the check)",
    "INCONCLUSIVE": "a part is undecided: a budget ran out",
    "broken": "a check is broken (UNSOUND or ERROR)",
    "not run": "a part was not established by this run (skipped or not selected)",
}

VERDICT_MARK = {"PASS": "✓", "FAIL": "✗", "INCONCLUSIVE": "?", "UNSOUND": "⚠", "SKIP": "–", "ERROR": "!"}


# ----------------------------------------------------------------------------- data gathered once
def environment() -> dict[str, Any]:
    from importlib import metadata

    versions = {}
    # (name shown, distribution); read from the installed metadata, without importing (torch takes seconds)
    for mod, dist in (("numpy", "numpy"), ("scipy", "scipy"), ("sympy", "sympy"), ("mpmath", "mpmath"),
                      ("cvxpy", "cvxpy"), ("flint", "python-flint"), ("z3", "z3-solver"), ("hypothesis", "hypothesis"),
                      ("matplotlib", "matplotlib"), ("torch", "torch"), ("latex2mathml", "latex2mathml"),
                      ("networkx", "networkx"), ("distributed", "distributed")):
        try:
            versions[mod] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # optional packages may be absent
            versions[mod] = None
    commit, dirty = None, None
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                                cwd=here).stdout.strip() or None
        if commit:
            status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                                    text=True, timeout=5, cwd=here).stdout
            dirty = bool(status.strip())
    except Exception:  # noqa: BLE001
        pass
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "generated_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_dirty": dirty,
        "packages": versions,
    }


def coverage() -> tuple[list[dict[str, Any]] | None, str | None]:
    """(rows of reports/coverage.py's ``coverage_rows()``, or None; an error text if it failed)."""
    try:
        from reports.coverage import coverage_rows  # type: ignore[import-not-found]
    except ModuleNotFoundError as exc:
        if exc.name in ("reports.coverage",):
            return None, None
        return None, f"reports/coverage.py failed to import: {type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - shown in the report, never a crash
        return None, f"reports/coverage.py failed to import: {type(exc).__name__}: {exc}"
    try:
        rows = [dict(r) for r in coverage_rows()]
    except Exception as exc:  # noqa: BLE001
        return None, f"coverage_rows() failed: {type(exc).__name__}: {exc}"
    return rows, None


class _Model:
    """Everything the three renderers share, computed once."""

    def __init__(self, results: Sequence[ClaimResult], options: RunOptions, env: dict[str, Any],
                 run: dict[str, Any] | None):
        self.results = list(results)
        self.options = options
        self.env = env
        self.run = run or {}
        self.by_id = {cr.claim.id: cr for cr in self.results}
        self.scopes = {cr.claim.id: cr.scope for cr in self.results}
        # the dependency graph: the claims of this run and, greyed, what they rest on
        registry = {}
        try:
            from theorems import claims_by_id

            registry = claims_by_id()
        except Exception:  # noqa: BLE001 - a report of toy claims still renders
            pass
        deps: dict[str, tuple[str, ...]] = {}
        titles: dict[str, str] = {}
        frontier = [cr.claim for cr in self.results]
        while frontier:
            c = frontier.pop()
            if c.id in deps:
                continue
            deps[c.id] = tuple(c.depends_on)
            titles[c.id] = c.title
            for d in c.depends_on:
                if d not in deps:
                    if d in self.by_id:
                        frontier.append(self.by_id[d].claim)
                    elif d in registry:
                        frontier.append(registry[d])
                    else:
                        deps.setdefault(d, ())
                        titles.setdefault(d, "(not in the registry)")
        self.deps = deps
        self.titles = titles
        self.graph_ids = sorted(deps, key=paper_order)
        self.category = {i: (self.scopes[i].category if i in self.scopes else "not run") for i in self.graph_ids}
        self.levels = [lvl for lvl in Level if any(r.level == lvl for cr in self.results for r in cr.checks)]
        self.sources = {(cr.claim.id, ch.name): check_source(ch) for cr in self.results for ch in cr.claim.checks}
        self.modules = {cr.claim.id: module_path(cr.claim) for cr in self.results}
        self.coverage, self.coverage_error = coverage()

    def ancestors(self, cid: str) -> list[str]:
        return sorted(ancestors(self.deps, cid), key=paper_order)

    def used_by(self, cid: str) -> list[str]:
        return sorted(descendants(self.deps, cid), key=paper_order)

    def reproduce(self, cid: str) -> str:
        return reproduce_command(cid, self.options)


def summary_counts(results: Sequence[ClaimResult]) -> dict[str, int]:
    counts: dict[str, int] = {v.value: 0 for v in Verdict}
    for cr in results:
        for r in cr.checks:
            counts[r.verdict.value] += 1
    return counts


def scope_counts(results: Sequence[ClaimResult]) -> dict[str, int]:
    counts = {c: 0 for c in CATEGORIES}
    for cr in results:
        cat = cr.scope.category
        counts[cat] = counts.get(cat, 0) + 1
    return counts


def _check_anchor(claim_id: str, name: str) -> str:
    return f"chk-{slug(claim_id)}-{name}"


# ----------------------------------------------------------------------------- JSON
def _check_json(r: CheckResult, source: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": r.name,
        "level": r.level.value,
        "verdict": r.verdict.value,
        "params": jsonable(r.params),
        "verdict_meaning": r.verdict.meaning,
        "evidence": {**jsonable(r.evidence), "elapsed_s": round(r.elapsed_s, 4)},
        "established": r.established,
        "message": r.message,
        "counterexample": r.counterexample,
        "negative_control": r.control,
        "figures": [f.title for f in r.figures],
        "cached": r.cached,
        "source": source,
    }


def _coverage_rows(m: _Model) -> list[dict[str, Any]] | None:
    if m.coverage is None:
        return None
    out = []
    for row in m.coverage:
        cid = row.get("claim_id")
        cr = m.by_id.get(cid) if cid else None
        out.append({**jsonable(row), "in_run": cr is not None,
                    "verdict": cr.verdict.value if cr else None,
                    "category": m.category.get(cid) if cr else None})
    return out


def _to_json(m: _Model) -> dict[str, Any]:
    return {
        "report_format": REPORT_FORMAT,
        "claims": [
            {
                "id": cr.claim.id,
                "title": cr.claim.title,
                "verdict": cr.verdict.value,
                "category": m.category[cr.claim.id],
                "reference": cr.claim.reference,
                "statement": cr.claim.statement,
                "latex": cr.claim.latex,
                "depends_on": list(cr.claim.depends_on),
                "ancestors": m.ancestors(cr.claim.id),
                "used_by": m.used_by(cr.claim.id),
                "scope": m.scopes[cr.claim.id].to_json(),
                "provenance": {
                    "reference": cr.claim.reference,
                    "module": m.modules[cr.claim.id],
                    "checks": [{"name": ch.name, **m.sources[(cr.claim.id, ch.name)]} for ch in cr.claim.checks],
                    "git_commit": m.env.get("git_commit"),
                    "git_dirty": m.env.get("git_dirty"),
                    "reproduce": m.reproduce(cr.claim.id),
                },
                "checks": [_check_json(r, m.sources.get((cr.claim.id, r.name))) for r in cr.checks],
            }
            for cr in m.results
        ],
        "summary": summary_counts(m.results),
        "scope_counts": scope_counts(m.results),
        "cached_checks": sum(r.cached for cr in m.results for r in cr.checks),
        "graph": {"nodes": [{"id": i, "title": m.titles.get(i, ""), "category": m.category[i],
                             "in_run": i in m.by_id} for i in m.graph_ids],
                  "edges": [[d, i] for i in m.graph_ids for d in m.deps.get(i, ())]},
        "coverage": _coverage_rows(m),
        "coverage_error": m.coverage_error,
        "options": jsonable({"K": m.options.K, "L": m.options.L, "levels": m.options.levels, "seed": m.options.seed,
                             "profile": m.options.profile, "examples": m.options.examples_for_profile()}),
        "run": jsonable(m.run),
        "conventions": CONVENTIONS,
        "environment": m.env,
    }


def to_json(results: Sequence[ClaimResult], options: RunOptions, env: dict[str, Any],
            run: dict[str, Any] | None = None) -> dict[str, Any]:
    return _to_json(_Model(results, options, env, run))


# ----------------------------------------------------------------------------- Markdown
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(jsonable(value), ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mermaid(m: _Model) -> list[str]:
    out = ["```mermaid", "graph TD"]
    for i in m.graph_ids:
        out.append(f'  {slug(i)}["{i}"]:::{slug(m.category[i])}')
    for i in m.graph_ids:
        for d in m.deps.get(i, ()):
            out.append(f"  {slug(d)} --> {slug(i)}")
    for cat, (fill, ink) in CATEGORY_STYLE.items():
        out.append(f"  classDef {slug(cat)} fill:{fill},color:{ink}")
    out.append("```")
    return out


def _md_matrix(m: _Model) -> list[str]:
    out = ["| claim | scope | " + " | ".join(l.value for l in m.levels) + " |",
           "|---|---|" + "---|" * len(m.levels)]
    for cr in m.results:
        cells = []
        for lvl in m.levels:
            rs = [r for r in cr.checks if r.level == lvl]
            cells.append(", ".join(f"{r.name} {r.verdict.value}" + (" (cached)" if r.cached else "") for r in rs) or "")
        out.append(f"| {cr.claim.id} | {m.category[cr.claim.id]} | " + " | ".join(cells) + " |")
    return out


def _to_markdown(m: _Model) -> str:
    counts = summary_counts(m.results)
    env, options = m.env, m.options
    cats = scope_counts(m.results)
    out = ["# ncdepth verification report", "",
           'Paper: "The Implicit Bias of Depth: From Neural Collapse to Softmax Codes" (ICML 2026).', "",
           f"Generated {env['generated_utc']} · commit `{env.get('git_commit')}`"
           + (" (with uncommitted changes)" if env.get("git_dirty") else "")
           + f" · Python {env['python']} · profile `{options.profile}` · seed {options.seed}", "",
           "## Dashboard", "",
           "**Claims by established scope:** " + ", ".join(f"{k} {v}" for k, v in cats.items()), "",
           "**Checks:** " + ", ".join(f"{k} {v}" for k, v in counts.items())
           + (f" ({sum(r.cached for cr in m.results for r in cr.checks)} reused from the cache)"
              if any(r.cached for cr in m.results for r in cr.checks) else ""), "",
           "Verdicts: " + "; ".join(f"**{v.value}** {v.meaning}" for v in Verdict) + ".", "",
           "Scope categories: " + "; ".join(f"**{k}** {v}" for k, v in CATEGORY_NOTE.items()) + ".", "",
           "## Dependency graph", "", "An arrow B → A: A depends on B.", ""]
    out += _mermaid(m)
    out += ["", "## Evidence matrix", ""] + _md_matrix(m)
    if m.coverage is not None or m.coverage_error:
        out += ["", "## Coverage of the paper", ""]
        if m.coverage_error:
            out += [f"*{m.coverage_error}*", ""]
        if m.coverage is not None:
            out += ["| paper item | kind | claim | status |", "|---|---|---|---|"]
            for row in _coverage_rows(m) or []:
                cid = row.get("claim_id")
                status = (f"{row['verdict']} ({row['category']})" if row.get("in_run") else
                          ("not in this run" if cid else f"not checked, because {row.get('why_not') or '?'}"))
                out.append(f"| {row.get('paper_item', '')} | {row.get('kind', '')} | {cid or '—'} | {status} |")
    out += ["", "## Conventions", ""]
    out += [f"- {c}" for c in CONVENTIONS]
    out += ["", "## Summary", "", "| claim | established scope | verdict | levels | title |", "|---|---|---|---|---|"]
    for cr in m.results:
        levels = ", ".join(sorted({r.level.value for r in cr.checks}))
        out.append(f"| {cr.claim.id} | {m.scopes[cr.claim.id].headline} | {cr.verdict.value} | {levels} | {cr.claim.title} |")
    for cr in m.results:
        c = cr.claim
        out += ["", f"## {c.id}: {c.title} — {cr.verdict.value} ({m.category[c.id]})", "",
                f"*{c.reference}*", "", f"> {c.statement}", "", f"$$ {c.latex} $$", "",
                "**Established:**", ""]
        sc = m.scopes[c.id]
        out += [f"- {p.part.id}: {p.text}" + (f" — *{p.part.text}*" if len(sc.parts) > 1 else "") for p in sc.parts]
        out += [f"- not covered by any check: {u}" for u in sc.uncovered]
        out.append("")
        if c.depends_on:
            out.append("Depends on: " + ", ".join(c.depends_on))
            anc = m.ancestors(c.id)
            if len(anc) > len(c.depends_on):
                out.append("")
                out.append("Rests on (transitively): " + ", ".join(anc))
            out.append("")
        used = m.used_by(c.id)
        if used:
            out += ["Used by: " + ", ".join(used), ""]
        if c.notes:
            out += [c.notes, ""]
        out += ["**Provenance:**", "",
                f"- paper: {c.reference}",
                f"- module: `{m.modules[c.id]}`",
                f"- commit: `{env.get('git_commit')}`" + (" (with uncommitted changes)" if env.get("git_dirty") else ""),
                f"- reproduce: `{m.reproduce(c.id)}`",
                "- check functions: " + "; ".join(
                    f"{ch.name} → `{m.sources[(c.id, ch.name)]['function']}` "
                    f"(`{m.sources[(c.id, ch.name)]['path']}:{m.sources[(c.id, ch.name)]['line']}`)"
                    for ch in c.checks), ""]
        out += ["| check | level | verdict | cached | control rejected | time (s) | precision |",
                "|---|---|---|---|---|---|---|"]
        for r in cr.checks:
            rej = r.control.get("rejected")
            out.append(f"| {r.name} | {r.level.value} | **{r.verdict.value}** | {'yes' if r.cached else ''} | "
                       f"{'yes' if rej else ('—' if rej is None else 'NO')} | {r.elapsed_s:.2f} | "
                       f"{r.params.get('precision', '')} |")
        for r in cr.checks:
            out += ["", f"### {r.name} ({r.level.value}): {r.verdict.value}" + (" (cached)" if r.cached else ""), ""]
            if r.message:
                out += [f"{r.message}", ""]
            params = {k: v for k, v in r.params.items() if k != "precision"}
            out.append(f"- parameters: `{_short(params, 300)}`")
            out.append("")
            out += ev.to_markdown(ev.flatten(r.evidence))
            if r.counterexample:
                out += ["", "**Counterexample** (exact inputs):", ""] + ev.to_markdown(ev.flatten(r.counterexample))
            if r.control:
                out += ["", f"Negative control: {r.control.get('description')} → "
                        f"{'rejected' if r.control.get('rejected') else ('undecided' if r.control.get('rejected') is None else 'NOT rejected')}"]
                if r.control.get("counterexample"):
                    out += ["", "Control's counterexample:", ""] + ev.to_markdown(ev.flatten(r.control["counterexample"]))
            for f in r.figures:
                out.append(f"- figure: ![{f.title}](figures/{_slug(c.id + '_' + r.name + '_' + f.title)}.png)")
    out += ["", "## Environment", "", f"```\n{json.dumps(env, indent=2)}\n```", ""]
    return "\n".join(out)


def to_markdown(results: Sequence[ClaimResult], options: RunOptions, env: dict[str, Any],
                run: dict[str, Any] | None = None) -> str:
    return _to_markdown(_Model(results, options, env, run))


# ----------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
section.claim{scroll-margin-top:.5em} section.claim>h2{margin-top:2.4em}
table{border-collapse:collapse;margin:.6em 0} td,th{border:1px solid #ccc;padding:.25em .5em;font-size:.92em;vertical-align:top}
th{background:#f4f4f4;text-align:left;font-weight:600}
.PASS{background:#d8f5d0}.FAIL{background:#f8c8c8}.ERROR{background:#f3d0f5}.SKIP{background:#eee}
.INCONCLUSIVE{background:#fbeec0}.UNSOUND{background:#e3b0f0;font-weight:700}
.badge{padding:.1em .5em;border-radius:.3em;font-weight:600;font-size:.85em;white-space:nowrap}
.cat{padding:.1em .5em;border-radius:.3em;font-weight:600;font-size:.85em;white-space:nowrap}
code,pre{background:#f6f6f6;font-size:.88em} pre{padding:.5em;overflow-x:auto;white-space:pre-wrap} code.verbatim{white-space:pre-wrap}
.stmt{border-left:4px solid #88a;padding:.3em .8em;background:#f7f7fb} figure{margin:1em 0} img{max-width:100%}
figcaption{font-size:.85em;color:#555} details{margin:.3em 0} summary{cursor:pointer}
.dash{display:flex;flex-wrap:wrap;gap:.5em;margin:.6em 0}
.tile{border-radius:.4em;padding:.45em .8em;min-width:7.5em;text-decoration:none;color:inherit;border:1px solid #0002}
.tile b{display:block;font-size:1.6em;line-height:1.1}
.tile small{display:block;font-size:.78em}
.graphbox{border:1px solid #ddd;border-radius:.4em;padding:.5em;background:#fcfcfc;overflow-x:auto}
.graphbox svg a{cursor:pointer}
.focusnote span{display:none}
.chip{display:inline-block;margin:.08em .1em;padding:0 .35em;border-radius:.25em;font-size:.8em;text-decoration:none;color:#222;white-space:nowrap}
.matrix{width:100%} .matrix td.claimcell{white-space:nowrap} .matrix .chip{font-size:.74em}
table.ev{width:100%;table-layout:fixed} table.ev>tbody>tr>th{width:16em;font-weight:500;font-family:ui-monospace,monospace;font-size:.82em;overflow-wrap:anywhere}
table.ev>tbody>tr>td{overflow-wrap:anywhere} div.scroll{overflow-x:auto;max-width:100%} .mathbox{overflow-x:auto}
table.sub td,table.sub th{font-size:.82em;padding:.1em .35em} tr.more td{font-style:italic;color:#666}
.prov th{width:11em} .cmd{user-select:all}
math[display=block]{margin:.5em 0;font-size:1.1em}
small.cached{color:#06c;font-weight:600}
"""


def _focus_css(ids: Sequence[str]) -> str:
    rules = [".focus:target~.graphbox g.node,.focus:target~.graphbox g.edge{opacity:.16}"]
    for i in ids:
        s = slug(i)
        rules.append(f"#focus-{s}:target~.graphbox g.anc-{s}{{opacity:1}}"
                     f"#focus-{s}:target~.graphbox g.self-{s} path,#focus-{s}:target~.graphbox g.self-{s} polygon"
                     f"{{stroke:#000;stroke-width:3}}"
                     f"#focus-{s}:target~.focusnote .fn-{s}{{display:inline}}")
    return "\n".join(rules)


def _cat_chip(cat: str, text: str | None = None) -> str:
    fill, ink = CATEGORY_STYLE.get(cat, CATEGORY_STYLE["not run"])
    return f"<span class='cat' style='background:{fill};color:{ink}'>{html.escape(text or cat)}</span>"


def _verdict_badge(v: str, cached: bool = False) -> str:
    return (f"<span class='badge {v}'>{VERDICT_MARK.get(v, '')} {v}</span>"
            + (" <small class='cached'>cached</small>" if cached else ""))


def _math_block(latex: str) -> str:
    mml = to_mathml(latex, display=True)
    if mml is not None:
        return f"<div class='mathbox'>{mml}</div>"
    return f"<p>formula (source; it could not be converted): <code class='tex'>{html.escape(latex)}</code></p>"


def _graph_section(m: _Model) -> list[str]:
    e = html.escape
    nodes = []
    for i in m.graph_ids:
        cr = m.by_id.get(i)
        tip = f"{i}: {m.titles.get(i, '')} — {m.category[i]}" + (f", {cr.verdict.value}" if cr else ", not in this run")
        nodes.append(Node(i, m.titles.get(i, ""), m.category[i], tip, linked=cr is not None))
    svg, engine = dependency_svg(nodes, m.deps)
    out = ["<section id='graph'><h2>Dependency graph</h2>",
           f"<p>One node per claim, coloured by its established scope; an arrow B → A means A depends on B. "
           f"Click a node to open its claim; a claim's “show its ancestors” link highlights what it rests on "
           f"(the state is kept in the URL, e.g. <code>#focus-T4_3</code>; <a href='#graph'>clear</a>). "
           f"Dashed: not in this run. Drawn by {e(engine)}.</p>"]
    out += [f"<span class='focus' id='focus-{slug(i)}'></span>" for i in m.graph_ids]
    out.append("<p class='focusnote'>" + "".join(
        f"<span class='fn-{slug(i)}'>Highlighted: <b>{e(i)}</b> and the {len(m.ancestors(i))} claims it rests on "
        f"({e(', '.join(m.ancestors(i)) or 'none')}). <a href='#{e(i)}'>Back to {e(i)}</a></span>"
        for i in m.graph_ids) + "</p>")
    out.append(f"<div class='graphbox'>{svg}</div>")
    out.append("<p>" + " ".join(_cat_chip(c) for c in CATEGORIES) + "</p></section>")
    return out


def _matrix_section(m: _Model) -> list[str]:
    e = html.escape
    out = ["<section id='matrix'><h2>Evidence matrix</h2>",
           "<p>Claims × evidence levels; each cell lists that level's checks with their verdicts "
           "(click one for its evidence).</p><div class='scroll'><table class='matrix'><tr><th>claim</th><th>scope</th>"
           + "".join(f"<th title='{e(LEVEL_NOTE.get(l.value, ''))}'>{e(l.value)}</th>" for l in m.levels) + "</tr>"]
    for cr in m.results:
        cid = cr.claim.id
        row = [f"<td class='claimcell'><a href='#{e(cid)}'>{e(cid)}</a></td><td>{_cat_chip(m.category[cid])}</td>"]
        for lvl in m.levels:
            chips = []
            for r in cr.checks:
                if r.level != lvl:
                    continue
                chips.append(f"<a class='chip {r.verdict.value}' href='#{_check_anchor(cid, r.name)}' "
                             f"title='{e(r.name)}: {r.verdict.value}{' (cached)' if r.cached else ''} — "
                             f"{e(r.verdict.meaning)}'>{VERDICT_MARK[r.verdict.value]} {e(r.name)}"
                             f"{'<sup>c</sup>' if r.cached else ''}</a>")
            row.append(f"<td>{''.join(chips)}</td>")
        out.append("<tr>" + "".join(row) + "</tr>")
    out.append("</table></div><p><small>✓ PASS · ✗ FAIL · ? INCONCLUSIVE · ⚠ UNSOUND · – SKIP · ! ERROR · "
               "<sup>c</sup> reused from the result cache</small></p></section>")
    return out


def _coverage_section(m: _Model) -> list[str]:
    e = html.escape
    if m.coverage is None and not m.coverage_error:
        return []
    out = ["<section id='coverage'><h2>Coverage of the paper</h2>"]
    if m.coverage_error:
        out.append(f"<p class='FAIL'>{e(m.coverage_error)}</p>")
    rows = _coverage_rows(m)
    if rows is not None:
        checked = sum(1 for r in rows if r.get("claim_id"))
        out.append(f"<p>{len(rows)} numbered results and figures of the paper; {checked} mapped to a claim, "
                   f"{len(rows) - checked} not checked (with the reason).</p>")
        out.append("<table><tr><th>paper item</th><th>kind</th><th>claim</th><th>status</th></tr>")
        for r in rows:
            cid = r.get("claim_id")
            if cid and r.get("in_run"):
                claim = f"<a href='#{e(cid)}'>{e(cid)}</a>"
                status = _cat_chip(r["category"]) + " " + _verdict_badge(r["verdict"])
            elif cid:
                claim, status = e(cid), "not in this run"
            else:
                claim, status = "—", "not checked, because " + e(str(r.get("why_not") or "(no reason given)"))
            out.append(f"<tr><td>{e(str(r.get('paper_item', '')))}</td><td>{e(str(r.get('kind', '')))}</td>"
                       f"<td>{claim}</td><td>{status}</td></tr>")
        out.append("</table>")
    out.append("</section>")
    return out


def _links(ids: Sequence[str], present: set[str]) -> str:
    e = html.escape
    return ", ".join(f"<a href='#{e(d)}'>{e(d)}</a>" if d in present else e(d) for d in ids) or "—"


def _claim_section(m: _Model, cr: ClaimResult) -> list[str]:
    e = html.escape
    c = cr.claim
    cid = c.id
    present = set(m.by_id)
    cat = m.category[cid]
    sc = m.scopes[cid]
    out = [f"<section class='claim' id='{e(cid)}'>",
           f"<h2>{e(cid)}: {inline_math(c.title)} {_cat_chip(cat)} {_verdict_badge(cr.verdict.value)}</h2>",
           f"<p><em>{inline_math(c.reference)}</em></p>",
           f"<div class='stmt'><p>{inline_math(c.statement)}</p>{_math_block(c.latex)}</div>",
           "<p><b>Established:</b></p><ul>" + "".join(
               f"<li>{_cat_chip(p.category)} <b>{e(p.part.id)}</b>: {e(p.text)}"
               + (f"<br><small>{inline_math(p.part.text)}</small>" if len(sc.parts) > 1 else "") + "</li>"
               for p in sc.parts)
           + "".join(f"<li>not covered by any check: {inline_math(u)}</li>" for u in sc.uncovered) + "</ul>"]
    anc = m.ancestors(cid)
    out.append("<table class='prov'>"
               f"<tr><th>depends on</th><td>{_links(c.depends_on, present)}</td></tr>"
               f"<tr><th>rests on (transitively)</th><td>{_links(anc, present)} "
               f"· <a href='#focus-{slug(cid)}'>show its ancestors in the graph</a></td></tr>"
               f"<tr><th>used by</th><td>{_links(m.used_by(cid), present)}</td></tr></table>")
    if c.notes:
        out.append(f"<p>{inline_math(c.notes)}</p>")
    commit = m.env.get("git_commit")
    funcs = "".join(f"<li><a href='#{_check_anchor(cid, ch.name)}'>{e(ch.name)}</a>: "
                    f"<code>{e(m.sources[(cid, ch.name)]['function'])}</code> at "
                    f"<code>{e(m.sources[(cid, ch.name)]['path'])}:{m.sources[(cid, ch.name)]['line']}</code></li>"
                    for ch in c.checks)
    out.append("<details open><summary><b>Provenance</b></summary><table class='prov'>"
               f"<tr><th>paper</th><td>{inline_math(c.reference)}</td></tr>"
               f"<tr><th>module</th><td><code>{e(m.modules[cid])}</code></td></tr>"
               f"<tr><th>check functions</th><td><ul>{funcs}</ul></td></tr>"
               f"<tr><th>commit</th><td><code>{e(str(commit))}</code>"
               + (" (with uncommitted changes)" if m.env.get("git_dirty") else "") + "</td></tr>"
               f"<tr><th>reproduce</th><td><code class='cmd'>{e(m.reproduce(cid))}</code></td></tr>"
               "</table></details>")
    out.append("<table><tr><th>check</th><th>level</th><th>verdict</th><th>negative control</th><th>time (s)</th>"
               "<th>precision</th></tr>")
    for r in cr.checks:
        rej = r.control.get("rejected")
        ctl = e(str(r.control.get("description", "—"))) + (
            " → <b>rejected</b>" if rej else (" → <b>NOT rejected</b>" if rej is False else
                                             (" → undecided" if r.control else "")))
        if r.control.get("why_plausible"):
            ctl += f"<br><small>why plausible: {e(r.control['why_plausible'])}</small>"
        out.append(f"<tr><td><a href='#{_check_anchor(cid, r.name)}'>{e(r.name)}</a></td><td>{r.level.value}</td>"
                   f"<td class='{r.verdict.value}'>{VERDICT_MARK[r.verdict.value]} {r.verdict.value}"
                   f"{' <small class=cached>cached</small>' if r.cached else ''}</td>"
                   f"<td>{ctl}</td><td>{r.elapsed_s:.2f}</td><td>{e(str(r.params.get('precision', '')))}</td></tr>")
    out.append("</table>")
    for r in cr.checks:
        opened = r.verdict.value != "PASS" or bool(r.figures)
        out.append(f"<details id='{_check_anchor(cid, r.name)}' {'open' if opened else ''}><summary><b>{e(r.name)}</b> "
                   f"({r.level.value}) — {_verdict_badge(r.verdict.value, r.cached)}</summary>")
        if r.message:
            out.append(f"<p>{e(r.message)}</p>")
        src = m.sources.get((cid, r.name))
        if src:
            out.append(f"<p><small>function <code>{e(src['function'])}</code> at "
                       f"<code>{e(src['path'])}:{src['line']}</code></small></p>")
        params = {k: v for k, v in r.params.items() if k != "precision"}
        out.append("<p><b>Parameters</b></p>" + ev.to_html(ev.flatten(jsonable(params))))
        if r.evidence:
            out.append("<p><b>Evidence</b> (measured; raw records in report.json)</p>"
                       + ev.to_html(ev.flatten(r.evidence)))
        if r.counterexample:
            out.append("<p><b>Counterexample</b> (exact inputs a reader can recompute)</p>"
                       + ev.to_html(ev.flatten(r.counterexample)))
        if r.control:
            ctl_ev = {k: v for k, v in r.control.items() if k not in ("description", "why_plausible")}
            out.append(f"<p><b>Negative control</b>: {e(str(r.control.get('description', '')))}</p>"
                       + ev.to_html(ev.flatten(ctl_ev)))
        for f in r.figures:
            b64 = base64.b64encode(f.png).decode("ascii")
            out.append(f"<figure><img alt='{e(f.title)}' src='data:image/png;base64,{b64}'>"
                       f"<figcaption>{e(f.title)}{(': ' + e(f.caption)) if f.caption else ''}</figcaption></figure>")
        out.append("</details>")
    out.append("</section>")
    return out


def _to_html(m: _Model) -> str:
    e = html.escape
    env, options = m.env, m.options
    counts = summary_counts(m.results)
    cats = scope_counts(m.results)
    n_cached = sum(r.cached for cr in m.results for r in cr.checks)
    first = {c: next((cr.claim.id for cr in m.results if m.category[cr.claim.id] == c), None) for c in CATEGORIES}
    tiles = []
    for c in CATEGORIES:
        fill, ink = CATEGORY_STYLE[c]
        href = f" href='#{e(first[c])}'" if first[c] else ""
        tiles.append(f"<a class='tile' style='background:{fill};color:{ink}'{href} title='{e(CATEGORY_NOTE[c])}'>"
                     f"<b>{cats.get(c, 0)}</b>{e(c)}<small>{e(CATEGORY_NOTE[c])}</small></a>")
    run = m.run
    run_line = ""
    if run:
        bits = [f"{run.get('elapsed_s')} s"] if run.get("elapsed_s") is not None else []
        if (run.get("workers") or 1) > 1:
            bits.append(f"{run['workers']} worker processes")
        if run.get("dask"):
            bits.append(f"dask scheduler {run['dask']}")
        if (run.get("split") or 1) > 1:
            bits.append(f"split {run['split']}")
        if run.get("command"):
            bits.append(f"<code>{e(run['command'])}</code>")
        run_line = "<p>Run: " + " · ".join(b if b.startswith("<code>") else e(b) for b in bits) + "</p>"
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width,initial-scale=1'>",
             "<title>ncdepth verification report</title>",
             f"<style>{_CSS}\n{_focus_css(m.graph_ids)}</style></head><body>",
             "<h1>ncdepth verification report</h1>",
             "<p>Paper: <em>The Implicit Bias of Depth: From Neural Collapse to Softmax Codes</em> (ICML 2026).</p>",
             f"<p>Generated {e(env['generated_utc'])} · commit <code>{e(str(env.get('git_commit')))}</code>"
             + (" (with uncommitted changes)" if env.get("git_dirty") else "")
             + f" · profile <code>{e(options.profile)}</code> · seed {options.seed}</p>",
             run_line,
             "<section id='dashboard'><h2>Dashboard</h2>",
             f"<p><b>{len(m.results)} claims</b> by established scope (a claim takes the category of its weakest "
             "part; a refuted, broken or undecided part decides it):</p>",
             "<div class='dash'>" + "".join(tiles) + "</div>",
             f"<p><b>{sum(counts.values())} checks:</b> "
             + " ".join(f"<span class='badge {k}'>{VERDICT_MARK[k]} {k} {v}</span>" for k, v in counts.items())
             + (f" · {n_cached} reused from the result cache" if n_cached else "") + "</p>",
             "<p>Jump to: <a href='#graph'>graph</a> · <a href='#matrix'>evidence matrix</a>"
             + (" · <a href='#coverage'>coverage</a>" if m.coverage is not None or m.coverage_error else "")
             + " · <a href='#summary'>summary</a> · <a href='#legend'>conventions</a></p></section>"]
    parts += _graph_section(m)
    parts += _matrix_section(m)
    parts += _coverage_section(m)
    parts.append("<section id='summary'><h2>Summary</h2><table><tr><th>claim</th><th>scope</th>"
                 "<th>established</th><th>verdict</th><th>levels</th><th>title</th></tr>")
    for cr in m.results:
        levels = ", ".join(sorted({r.level.value for r in cr.checks}))
        parts.append(f"<tr><td><a href='#{e(cr.claim.id)}'>{e(cr.claim.id)}</a></td>"
                     f"<td>{_cat_chip(m.category[cr.claim.id])}</td><td>{e(m.scopes[cr.claim.id].headline)}</td>"
                     f"<td class='{cr.verdict.value}'>{cr.verdict.value}</td><td>{e(levels)}</td>"
                     f"<td>{inline_math(cr.claim.title)}</td></tr>")
    parts.append("</table></section>")
    parts += ["<section id='legend'><h2>Conventions</h2><ul>" + "".join(f"<li>{e(c)}</li>" for c in CONVENTIONS) + "</ul>",
              "<h3>Evidence levels</h3><ul>" + "".join(f"<li><b>{k}</b>: {e(v)}</li>" for k, v in LEVEL_NOTE.items()) + "</ul>",
              "<h3>Verdicts</h3><ul>" + "".join(f"<li>{_verdict_badge(v.value)} {e(v.meaning)}</li>" for v in Verdict) + "</ul>",
              "<h3>Scope categories</h3><ul>" + "".join(f"<li>{_cat_chip(k)} {e(v)}</li>" for k, v in CATEGORY_NOTE.items())
              + "</ul></section>"]
    for cr in m.results:
        parts += _claim_section(m, cr)
    parts.append(f"<section id='environment'><h2>Environment</h2><pre>{e(json.dumps(env, indent=2))}</pre></section>"
                 "</body></html>")
    return "\n".join(p for p in parts if p)


def to_html(results: Sequence[ClaimResult], options: RunOptions, env: dict[str, Any],
            run: dict[str, Any] | None = None) -> str:
    return _to_html(_Model(results, options, env, run))


# ----------------------------------------------------------------------------- writing
def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; a report is meant to be read
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _selfcheck_in(out_dir: Path) -> tuple[dict, str] | None:
    """``(selfcheck.json, selfcheck.md)`` written by ``ncdepth selfcheck`` into ``out_dir``, if both are there."""
    j, m = Path(out_dir) / "selfcheck.json", Path(out_dir) / "selfcheck.md"
    if not (j.is_file() and m.is_file()):
        return None
    try:
        return json.loads(j.read_text(encoding="utf-8")), m.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def write_report(results: Sequence[ClaimResult], options: RunOptions, out_dir: Path,
                 json_path: Path | None = None, run: dict[str, Any] | None = None) -> dict[str, Path]:
    """Render everything in memory first, then write each file atomically."""
    env = environment()
    model = _Model(results, options, env, run)
    out_dir = Path(out_dir)
    data = _to_json(model)
    md = _to_markdown(model)
    page = _to_html(model)
    selfcheck = _selfcheck_in(out_dir)
    if selfcheck is not None:  # the kill matrix of `ncdepth selfcheck` in the same folder
        data["selfcheck"], kill_md = selfcheck
        md = md.rstrip("\n") + "\n\n" + kill_md.replace("# ncdepth selfcheck", "## Planted-bug self-test (ncdepth selfcheck)", 1)
        section = ("<section id='selfcheck'><h2>Planted-bug self-test (ncdepth selfcheck)</h2>"
                   f"<pre>{html.escape(kill_md)}</pre></section>")
        page = page.replace("<section id='environment'>", section + "<section id='environment'>", 1)
    payload = json.dumps(data, indent=2, ensure_ascii=False)
    written: dict[str, Path] = {}
    for cr in results:
        for r in cr.checks:
            for f in r.figures:
                p = out_dir / "figures" / f"{_slug(cr.claim.id + '_' + r.name + '_' + f.title)}.png"
                write_atomic(p, f.png)
    for name, text in (("report.json", payload), ("report.md", md), ("report.html", page)):
        write_atomic(out_dir / name, text)
        written[name] = out_dir / name
    if json_path is not None:
        write_atomic(Path(json_path), payload)
        written["json"] = Path(json_path)
    return written
