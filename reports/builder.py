"""Build the verification report (Markdown, JSON, self-contained HTML) and write it atomically.

Each file is written to a temporary file in the target folder and moved into place
with ``os.replace``, so an interrupted run never leaves a half-written report: a
reader sees the previous complete file or the new complete one.
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

from ncdepth.registry import Verdict
from ncdepth.runner import CheckResult, ClaimResult, RunOptions, jsonable

__all__ = ["CONVENTIONS", "environment", "to_json", "to_markdown", "to_html", "write_atomic", "write_report"]

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
    "symbolic": "sympy/z3 derivation or proof, for all parameters where stated",
    "certified": "rigorous (ball/interval arithmetic or exact enumeration) over the stated range",
    "numeric": "floating point at the stated precision and tolerance",
    "fuzz": "hypothesis search over random inputs, failures shrunk",
    "empirical": "gradient-flow training of the full deep model",
}


def environment() -> dict[str, Any]:
    versions = {}
    for mod in ("numpy", "scipy", "sympy", "mpmath", "cvxpy", "flint", "z3", "hypothesis", "matplotlib", "torch"):
        try:
            m = __import__(mod)
            versions[mod] = getattr(m, "__version__", None) or getattr(m, "get_version_string", lambda: "?")()
        except Exception:  # noqa: BLE001 - optional packages may be absent
            versions[mod] = None
    commit = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                                cwd=Path(__file__).resolve().parent).stdout.strip() or None
    except Exception:  # noqa: BLE001
        pass
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "generated_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit,
        "packages": versions,
    }


def _check_json(r: CheckResult) -> dict[str, Any]:
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
    }


def to_json(results: Sequence[ClaimResult], options: RunOptions, env: dict[str, Any]) -> dict[str, Any]:
    return {
        "claims": [
            {
                "id": cr.claim.id,
                "title": cr.claim.title,
                "verdict": cr.verdict.value,
                "reference": cr.claim.reference,
                "statement": cr.claim.statement,
                "latex": cr.claim.latex,
                "depends_on": list(cr.claim.depends_on),
                "scope": cr.scope.to_json(),
                "checks": [_check_json(r) for r in cr.checks],
            }
            for cr in results
        ],
        "summary": summary_counts(results),
        "options": jsonable({"K": options.K, "L": options.L, "levels": options.levels, "seed": options.seed,
                             "profile": options.profile, "examples": options.examples_for_profile()}),
        "conventions": CONVENTIONS,
        "environment": env,
    }


def summary_counts(results: Sequence[ClaimResult]) -> dict[str, int]:
    counts: dict[str, int] = {v.value: 0 for v in Verdict}
    for cr in results:
        for r in cr.checks:
            counts[r.verdict.value] += 1
    return counts


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(jsonable(value), ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def to_markdown(results: Sequence[ClaimResult], options: RunOptions, env: dict[str, Any]) -> str:
    counts = summary_counts(results)
    out = ["# ncdepth verification report", "",
           'Paper: "The Implicit Bias of Depth: From Neural Collapse to Softmax Codes" (ICML 2026).', "",
           f"Generated {env['generated_utc']} · commit `{env.get('git_commit')}` · Python {env['python']} · "
           f"profile `{options.profile}` · seed {options.seed}", "",
           "**Checks:** " + ", ".join(f"{k} {v}" for k, v in counts.items()), "",
           "Verdicts: " + "; ".join(f"**{v.value}** {v.meaning}" for v in Verdict) + ".", "",
           "## Conventions", ""]
    out += [f"- {c}" for c in CONVENTIONS]
    out += ["", "## Summary", "", "| claim | established scope | verdict | levels | title |", "|---|---|---|---|---|"]
    for cr in results:
        levels = ", ".join(sorted({r.level.value for r in cr.checks}))
        out.append(f"| {cr.claim.id} | {cr.scope.headline} | {cr.verdict.value} | {levels} | {cr.claim.title} |")
    for cr in results:
        c = cr.claim
        out += ["", f"## {c.id}: {c.title} — {cr.verdict.value}", "",
                f"*{c.reference}*", "", f"> {c.statement}", "", f"$$ {c.latex} $$", "",
                "**Established:**", ""]
        sc = cr.scope
        out += [f"- {p.part.id}: {p.text}" + (f" — *{p.part.text}*" if len(sc.parts) > 1 else "") for p in sc.parts]
        out += [f"- not covered by any check: {u}" for u in sc.uncovered]
        out.append("")
        if c.depends_on:
            out.append("Depends on: " + ", ".join(c.depends_on))
            out.append("")
        if c.notes:
            out += [c.notes, ""]
        out += ["| check | level | verdict | control rejected | time (s) | precision |", "|---|---|---|---|---|---|"]
        for r in cr.checks:
            rej = r.control.get("rejected")
            out.append(f"| {r.name} | {r.level.value} | **{r.verdict.value}** | "
                       f"{'yes' if rej else ('—' if rej is None else 'NO')} | {r.elapsed_s:.2f} | {r.params.get('precision', '')} |")
        for r in cr.checks:
            out += ["", f"### {r.name} ({r.level.value}): {r.verdict.value}", ""]
            if r.message:
                out += [f"{r.message}", ""]
            params = {k: v for k, v in r.params.items() if k != "precision"}
            out.append(f"- parameters: `{_short(params, 300)}`")
            for k, v in r.evidence.items():
                if k == "traceback":
                    out += ["", "```", str(v), "```"]
                elif k == "theorems" and isinstance(v, list):  # formal level: each Coq statement verbatim
                    out += ["", "| Coq theorem (file) | Coq statement, kernel-checked | paper |", "|---|---|---|"]
                    out += [f"| {t.get('theorem')} ({t.get('file')}) | `{' '.join(str(t.get('coq_statement', '')).split())}` "
                            f"| {t.get('paper_statement', '')} |" for t in v]
                    out.append("")
                elif k == "definitions" and isinstance(v, list):  # formal level: the definitions they use
                    out += ["", "| Coq definition (file) | verbatim |", "|---|---|"]
                    out += [f"| {d.get('name')} ({d.get('file')}) | `{' '.join(str(d.get('coq', '')).split())}` |" for d in v]
                    out.append("")
                else:
                    out.append(f"- {k}: `{_short(v)}`")
            if r.counterexample:
                out.append(f"- **counterexample**: `{_short(r.counterexample, 400)}`")
            if r.control:
                out.append(f"- negative control: {r.control.get('description')} → "
                           f"{'rejected' if r.control.get('rejected') else 'NOT rejected'}"
                           + (f" (counterexample `{_short(r.control['counterexample'], 200)}`)"
                              if r.control.get("counterexample") else ""))
            for f in r.figures:
                out.append(f"- figure: ![{f.title}](figures/{_slug(c.id + '_' + r.name + '_' + f.title)}.png)")
    out += ["", "## Environment", "", f"```\n{json.dumps(env, indent=2)}\n```", ""]
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0} td,th{border:1px solid #ccc;padding:.25em .5em;font-size:.92em;vertical-align:top}
.PASS{background:#d8f5d0}.FAIL{background:#f8c8c8}.ERROR{background:#f3d0f5}.SKIP{background:#eee}
.INCONCLUSIVE{background:#fbeec0}.UNSOUND{background:#e3b0f0;font-weight:700}
.badge{padding:.1em .5em;border-radius:.3em;font-weight:600}
code,pre{background:#f6f6f6;font-size:.88em} pre{padding:.5em;overflow-x:auto;white-space:pre-wrap}
.stmt{border-left:4px solid #88a;padding:.3em .8em;background:#f7f7fb} figure{margin:1em 0} img{max-width:100%}
figcaption{font-size:.85em;color:#555} details{margin:.3em 0}
"""


def to_html(results: Sequence[ClaimResult], options: RunOptions, env: dict[str, Any]) -> str:
    e = html.escape
    counts = summary_counts(results)
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>ncdepth verification report</title>",
             f"<style>{_CSS}</style></head><body>",
             "<h1>ncdepth verification report</h1>",
             "<p>Paper: <em>The Implicit Bias of Depth: From Neural Collapse to Softmax Codes</em> (ICML 2026).</p>",
             f"<p>Generated {e(env['generated_utc'])} · commit <code>{e(str(env.get('git_commit')))}</code> · "
             f"profile <code>{e(options.profile)}</code> · seed {options.seed}</p>",
             "<p>" + " ".join(f"<span class='badge {k}'>{k} {v}</span>" for k, v in counts.items()) + "</p>",
             "<h2>Conventions</h2><ul>" + "".join(f"<li>{e(c)}</li>" for c in CONVENTIONS) + "</ul>",
             "<h2>Evidence levels</h2><ul>" + "".join(f"<li><b>{k}</b>: {e(v)}</li>" for k, v in LEVEL_NOTE.items()) + "</ul>",
             "<h2>Verdicts</h2><ul>" + "".join(f"<li><span class='badge {v.value}'>{v.value}</span> {e(v.meaning)}</li>" for v in Verdict) + "</ul>",
             "<h2>Summary</h2><table><tr><th>claim</th><th>established scope</th><th>verdict</th><th>levels</th><th>title</th></tr>"]
    for cr in results:
        levels = ", ".join(sorted({r.level.value for r in cr.checks}))
        parts.append(f"<tr><td><a href='#{e(cr.claim.id)}'>{e(cr.claim.id)}</a></td><td>{e(cr.scope.headline)}</td>"
                     f"<td class='{cr.verdict.value}'>{cr.verdict.value}</td><td>{e(levels)}</td><td>{e(cr.claim.title)}</td></tr>")
    parts.append("</table>")
    for cr in results:
        c = cr.claim
        parts += [f"<h2 id='{e(c.id)}'>{e(c.id)}: {e(c.title)} <span class='badge {cr.verdict.value}'>{cr.verdict.value}</span></h2>",
                  f"<p><em>{e(c.reference)}</em></p>",
                  f"<div class='stmt'><p>{e(c.statement)}</p><p><code>{e(c.latex)}</code></p></div>",
                  "<p><b>Established:</b></p><ul>" + "".join(
                      f"<li class='{'' if p.status == 'established' else 'FAIL' if p.status == 'refuted' else 'INCONCLUSIVE'}'>"
                      f"<b>{e(p.part.id)}</b>: {e(p.text)}</li>" for p in cr.scope.parts)
                  + "".join(f"<li>not covered by any check: {e(u)}</li>" for u in cr.scope.uncovered) + "</ul>"]
        if c.depends_on:
            present = {r.claim.id for r in results}
            parts.append("<p>Depends on: " + ", ".join(
                f"<a href='#{e(d)}'>{e(d)}</a>" if d in present else e(d) for d in c.depends_on) + "</p>")
        if c.notes:
            parts.append(f"<p>{e(c.notes)}</p>")
        parts.append("<table><tr><th>check</th><th>level</th><th>verdict</th><th>negative control</th><th>time (s)</th><th>precision</th></tr>")
        for r in cr.checks:
            rej = r.control.get("rejected")
            ctl = e(str(r.control.get("description", "—"))) + (" → <b>rejected</b>" if rej else (" → <b>NOT rejected</b>" if rej is False else ""))
            if r.control.get("why_plausible"):
                ctl += f"<br><small>why plausible: {e(r.control['why_plausible'])}</small>"
            parts.append(f"<tr><td>{e(r.name)}</td><td>{r.level.value}</td><td class='{r.verdict.value}'>{r.verdict.value}</td>"
                         f"<td>{ctl}</td><td>{r.elapsed_s:.2f}</td><td>{e(str(r.params.get('precision', '')))}</td></tr>")
        parts.append("</table>")
        for r in cr.checks:
            parts.append(f"<details {'open' if r.verdict.value != 'PASS' or r.figures else ''}><summary><b>{e(r.name)}</b> "
                         f"({r.level.value}) — {r.verdict.value}</summary>")
            if r.message:
                parts.append(f"<p>{e(r.message)}</p>")
            params = {k: v for k, v in r.params.items() if k != "precision"}
            parts.append(f"<p>parameters: <code>{e(_short(params, 600))}</code></p><table>")
            for k, v in r.evidence.items():
                if k == "theorems" and isinstance(v, list):  # formal level: each Coq statement verbatim
                    cell = "".join(f"<p><b>{e(str(t.get('theorem')))}</b> ({e(str(t.get('file')))})"
                                   f"{(' — ' + e(str(t['paper_statement']))) if t.get('paper_statement') else ''}"
                                   f"<pre>{e(str(t.get('coq_statement', '')))}</pre></p>" for t in v)
                elif k == "definitions" and isinstance(v, list):
                    cell = "".join(f"<p><b>{e(str(d.get('name')))}</b> ({e(str(d.get('file')))})"
                                   f"<pre>{e(str(d.get('coq', '')))}</pre></p>" for d in v)
                else:
                    cell = f"<pre>{e(str(v))}</pre>" if k == "traceback" else f"<code>{e(_short(v, 600))}</code>"
                parts.append(f"<tr><td>{e(k)}</td><td>{cell}</td></tr>")
            parts.append("</table>")
            if r.counterexample:
                parts.append(f"<p><b>Counterexample:</b> <code>{e(_short(r.counterexample, 800))}</code></p>")
            if r.control.get("counterexample"):
                parts.append(f"<p>Control's counterexample (why the wrong variant was rejected): "
                             f"<code>{e(_short(r.control['counterexample'], 400))}</code></p>")
            for f in r.figures:
                b64 = base64.b64encode(f.png).decode("ascii")
                parts.append(f"<figure><img alt='{e(f.title)}' src='data:image/png;base64,{b64}'>"
                             f"<figcaption>{e(f.title)}{(': ' + e(f.caption)) if f.caption else ''}</figcaption></figure>")
            parts.append("</details>")
    parts.append(f"<h2>Environment</h2><pre>{e(json.dumps(env, indent=2))}</pre></body></html>")
    return "\n".join(parts)


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


def write_report(results: Sequence[ClaimResult], options: RunOptions, out_dir: Path,
                 json_path: Path | None = None) -> dict[str, Path]:
    """Render everything in memory first, then write each file atomically."""
    env = environment()
    payload = json.dumps(to_json(results, options, env), indent=2, ensure_ascii=False)
    md = to_markdown(results, options, env)
    page = to_html(results, options, env)
    out_dir = Path(out_dir)
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
