"""The HTML report as a blueprint: graph, evidence matrix, MathML, provenance, coverage; checked in Chromium."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from ncdepth.registry import Verdict
from ncdepth.runner import CheckResult, ClaimResult, RunOptions, run_claims
from reports import evidence as ev
from reports.builder import write_report
from reports.graph import Node, dependency_svg
from reports.mathml import TEX_COMMAND, to_mathml
from theorems import claims_by_id, load_claims

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
RUN = ("S3.2", "L-D.6")  # run for real (fast); every other claim appears with its checks not run


def _all_claims_results():
    """Real results for two cheap claims, SKIP ("not run in this test") for every other check."""
    real = {cr.claim.id: cr for cr in run_claims([claims_by_id()[i] for i in RUN], RunOptions())}
    out = []
    for c in load_claims():
        if c.id in real:
            out.append(real[c.id])
        else:
            out.append(ClaimResult(c, [CheckResult(c.id, ch.name, ch.level, Verdict.SKIP, {"seed": 20260}, {}, 0.0,
                                                   message="not run in this test") for ch in c.checks]))
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("blueprint")
    results = _all_claims_results()
    write_report(results, RunOptions(), out, run={"elapsed_s": 1.0, "workers": 1, "command": "ncdepth verify"})
    return out, results


def _strip(html: str, tags=("math", "svg", "pre", "code", "style", "script", "title")) -> str:
    for t in tags:
        html = re.sub(rf"<{t}\b.*?</{t}>", " ", html, flags=re.S | re.I)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html))


def _assert_blueprint(page: str, results) -> None:
    ids = [cr.claim.id for cr in results]
    # the dependency graph, one node per claim, linking to the claim
    assert re.search(r"<svg[^>]*id=\"depgraph\"", page)
    for cid in ids:
        assert f"<title>{htmllib.escape(cid)}</title>" in page or f"<title>{cid}</title>" in page
        assert re.search(rf"id=\"{re.escape(cid)}\"|id='{re.escape(cid)}'", page), f"no anchor for {cid}"
        assert re.search(rf"href=\"#{re.escape(cid)}\"", page), f"no graph link to {cid}"
        slug = re.sub(r"[^A-Za-z0-9]", "_", cid)
        assert f"id=\"focus-{slug}\"" in page or f"id='focus-{slug}'" in page
    # MathML for every formula, and no LaTeX left as source outside code
    assert page.count("<math") >= sum(1 for cr in results if cr.claim.latex)
    assert "class=\"tex\"" not in page and "class='tex'" not in page
    text = _strip(page)
    left = TEX_COMMAND.findall(text)
    assert not left, f"raw LaTeX in the page text: {left[:5]}"
    assert "$$" not in text
    # the evidence matrix, the dashboard, provenance for every claim
    assert "id=\"matrix\"" in page or "id='matrix'" in page
    assert "Dashboard" in page and "certified range" in page
    assert page.count("ncdepth verify --only") >= len(ids)
    for cr in results:
        assert f"--only {cr.claim.id} " in htmllib.unescape(page)
    # self-contained: no script, no external resource
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)=[\"']https?://", page)
    assert "<link" not in page.lower()


def test_report_html_has_graph_matrix_math_and_provenance(report):
    out, results = report
    _assert_blueprint((out / "report.html").read_text(encoding="utf-8"), results)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(report, tmp_path):
    out, results = report
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", (out / "report.html").resolve().as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=180).stdout
    assert "<body" in dom, "chromium produced no DOM"
    _assert_blueprint(dom, results)
    # the browser parsed the formulas as MathML elements and the graph as SVG (not as text)
    assert re.search(r"<math[^>]*display=\"block\"", dom) and "<mfrac" in dom
    assert dom.count("class=\"node ") >= len(results)


def test_json_keeps_its_shape_and_carries_the_blueprint(report):
    out, results = report
    data = json.loads((out / "report.json").read_text())
    assert data["report_format"] == 2
    claim = next(c for c in data["claims"] if c["id"] == "S3.2")
    assert set(claim) >= {"id", "verdict", "checks", "scope", "category", "ancestors", "provenance"}
    check = claim["checks"][0]
    assert set(check) >= {"name", "level", "verdict", "params", "evidence", "negative_control", "cached", "source"}
    assert check["source"]["path"].endswith("s3_2.py") and check["source"]["line"] > 0
    assert claim["provenance"]["reproduce"].startswith("ncdepth verify --only S3.2 --seed 20260 --profile ci")
    assert set(data["scope_counts"]) >= {"formal", "proved", "certified range", "numerical", "empirical", "FAIL",
                                         "INCONCLUSIVE", "broken", "not run"}
    assert sum(data["scope_counts"].values()) == len(results)
    edges = {tuple(e) for e in data["graph"]["edges"]}
    t43 = next(c for c in data["claims"] if c["id"] == "T4.3")
    assert all((d, "T4.3") in edges for d in t43["depends_on"])
    assert set(t43["depends_on"]) <= set(t43["ancestors"]) and "L-D.6" in t43["ancestors"]  # transitively


def test_markdown_is_in_step(report):
    out, results = report
    md = (out / "report.md").read_text()
    assert "## Dashboard" in md and "```mermaid" in md and "## Evidence matrix" in md
    assert md.count("- reproduce: `ncdepth verify --only") == len(results)
    assert "| quantity | value |" in md


def test_coverage_table_is_rendered_when_reports_coverage_exists(tmp_path, monkeypatch):
    fake = types.ModuleType("reports.coverage")
    fake.coverage_rows = lambda: [
        {"paper_item": "Theorem 3.1", "kind": "theorem", "claim_id": "S3.2", "why_not": None},
        {"paper_item": "Figure 7", "kind": "figure", "claim_id": None, "why_not": "a schematic, no claim"}]
    monkeypatch.setitem(sys.modules, "reports.coverage", fake)
    results = run_claims([claims_by_id()["S3.2"]], RunOptions(levels=None))
    write_report(results, RunOptions(), tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "id='coverage'" in page and "not checked, because a schematic, no claim" in page
    rows = json.loads((tmp_path / "report.json").read_text())["coverage"]
    assert rows[0]["verdict"] == "PASS" and rows[1]["claim_id"] is None
    assert "## Coverage of the paper" in (tmp_path / "report.md").read_text()


def test_every_registry_formula_converts_to_mathml():
    bad = [c.id for c in load_claims() if c.latex and to_mathml(c.latex) is None]
    assert not bad, f"formulas latex2mathml cannot render faithfully: {bad}"
    assert to_mathml(r"\frac{1}{\undefinedcommand x}") is None  # unknown commands are not passed off as math


def test_networkx_fallback_draws_every_node_and_edge():
    nodes = [Node("A.1", "first", "proved", "A"), Node("B.2", "second", "FAIL", "B"), Node("C.3", "third", "not run", "C")]
    deps = {"A.1": (), "B.2": ("A.1",), "C.3": ("A.1", "B.2")}
    svg, engine = dependency_svg(nodes, deps, engine="networkx")
    assert engine == "networkx layers" and svg.count("class=\"node") == 3 and svg.count("class=\"edge") == 3
    assert 'href="#B.2"' in svg and "anc-C_3" in svg  # A.1 is an ancestor of C.3


def test_evidence_is_flattened_into_readable_tables():
    items = ev.flatten({"a": {"b": 1.23456789012, "c": {"d": True}}, "series": list(range(100)),
                        "rows": [{"K": k, "err": 1e-15 * k, "fit": {"slope": -1.0}} for k in range(30)],
                        "short": [1, 2, 3], "traceback": "Traceback ..."})
    by = {i.key: i for i in items}
    assert by["a.b"].text == "1.23457" and by["a.b"].exact == "1.23456789012" and by["a.c.d"].text == "true"
    assert by["series"].text.startswith("100 values: min 0, max 99")
    assert by["short"].text == "[1, 2, 3]"
    rows = by["rows"]
    assert rows.kind == "table" and rows.columns == ["K", "err", "fit.slope"] and rows.total_rows == 30
    assert len(rows.rows) == ev.MAX_ROWS and rows.omitted_at is not None
    assert by["traceback"].kind == "pre"
    html = ev.to_html(items)
    assert "more rows" in html and "<table class='sub'>" in html
