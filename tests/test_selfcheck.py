"""The planted-bug self-test: catalogue validity, and two bugs run end to end.

The full run (every bug of the catalogue) is too slow for the default test run; it is
``python -m ncdepth selfcheck`` (see the README).  Here: the catalogue is applicable as it
stands (no stale snippet), covers every numerics module and torch_check's metrics, names
only registered claims; one real bug is killed by the check that should kill it, and a
harmless edit (a comment) is NOT reported as killed, so the kill count can be wrong in
neither direction.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ncdepth import cli
from ncdepth.selfcheck import (PROJECT_ROOT, Bug, apply_bug, confirm_against_baseline, BugResult, load_catalogue,
                               run_selfcheck, stale_reason)
from theorems import load_claims

BUGS = load_catalogue()


def test_catalogue_has_at_least_40_plausible_bugs_with_reasons():
    assert len(BUGS) >= 40
    for b in BUGS:
        assert b.why.strip() and b.catchers, b.id
    kinds = {b.kind for b in BUGS}
    assert kinds == {"numerics", "metrics", "statement"}


@pytest.mark.parametrize("bug", BUGS, ids=[b.id for b in BUGS])
def test_every_snippet_occurs_exactly_once(bug):
    assert stale_reason(bug) is None


def test_every_catcher_is_a_registered_claim_or_an_existing_test():
    ids = {c.id for c in load_claims()}
    for b in BUGS:
        for c in b.catchers:
            if c.startswith("tests/"):
                path, _, name = c.partition("::")
                assert (PROJECT_ROOT / path).is_file(), (b.id, c)
                assert f"def {name.split('[')[0]}(" in (PROJECT_ROOT / path).read_text(), (b.id, c)
            else:
                assert c in ids, (b.id, c)


def test_every_numerics_module_and_the_metrics_are_covered():
    modules = {str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "numerics").rglob("*.py")
               if p.name != "__init__.py"}
    covered = {b.file for b in BUGS}
    assert modules - covered == set()
    assert "torch_check/metrics.py" in covered
    assert any(b.kind == "statement" and b.file.startswith("theorems/") for b in BUGS)


def test_apply_bug_replaces_exactly_the_snippet(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("a = 1\nb = a + 1\n")
    apply_bug(Bug("x", "m.py", "a + 1", "a - 1", "sign", ("L-D.5",)), tmp_path)
    assert f.read_text() == "a = 1\nb = a - 1\n"


def test_a_catch_that_also_fails_unmutated_is_not_a_kill():
    bug = BUGS[0]
    r = BugResult(bug, "killed", {"X/numeric/a": "FAIL"})
    assert confirm_against_baseline(r, {"X/numeric/a": "FAIL"}).status == "baseline-broken"
    assert confirm_against_baseline(r, {"X/numeric/a": "PASS"}).status == "killed"


def test_bad_selfcheck_input_is_one_line_exit_2(capsys, tmp_path):
    assert cli.main(["selfcheck", "--only", "no-such-bug", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown bug id(s): no-such-bug" in err and len(err.strip().splitlines()) == 1
    assert cli.main(["selfcheck", "--timeout", "0", "--out", str(tmp_path)]) == 2


def test_two_bugs_end_to_end(tmp_path, capsys):
    """A real slip (Sylvester's minus block moved) is killed by L-D.5's exhaustive check;
    a comment edit in the same file survives (and makes the run exit 1)."""
    real = next(b for b in BUGS if b.id == "sylvester-sign-block")
    harmless = Bug("comment-only", "numerics/hadamard.py", '"""Dense Sylvester Hadamard matrix',
                   '"""(edited) Dense Sylvester Hadamard matrix', "a docstring edit cannot change a verdict",
                   ("L-D.5",), levels="certified")
    results = run_selfcheck([real, harmless], timeout_s=120)
    by_id = {r.bug.id: r for r in results}
    assert by_id["sylvester-sign-block"].status == "killed"
    assert "L-D.5/certified/exhaustive_m_le_10" in by_id["sylvester-sign-block"].killers
    assert by_id["comment-only"].status == "survived" and not by_id["comment-only"].killers
    # the project itself is untouched (the copies lived in temporary folders) and the CLI writes the kill matrix
    assert stale_reason(real) is None and "(edited)" not in (PROJECT_ROOT / "numerics/hadamard.py").read_text()
    assert not (PROJECT_ROOT / "_selfcheck_out").exists()
    code = cli.main(["selfcheck", "--only", "sylvester-sign-block", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "sylvester-sign-block: killed" in out
    data = json.loads((tmp_path / "selfcheck.json").read_text())
    assert data["total"] == 1 and data["killed"] == 1
    assert data["partial"] is False and "| sylvester-sign-block |" in (tmp_path / "selfcheck.md").read_text()


def test_verify_embeds_a_kill_matrix_found_in_the_report_folder(tmp_path, capsys, monkeypatch):
    from ncdepth.selfcheck import write_selfcheck

    monkeypatch.setenv("NCDEPTH_CACHE_DIR", str(tmp_path / "cache"))  # verify records timings even with --no-cache

    r = BugResult(BUGS[0], "killed", {"L-D.4/fuzz/float_softmax_extreme_logits": "FAIL"}, 1.0)
    write_selfcheck([r], tmp_path, 1.0)
    assert cli.main(["verify", "--only", "L-D.5", "--levels", "certified", "--no-cache", "--quiet",
                     "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["selfcheck"]["killed"] == 1 and report["selfcheck"]["bugs"][0]["id"] == BUGS[0].id
    assert "Planted-bug self-test" in (tmp_path / "report.md").read_text()
    assert "id='selfcheck'" in (tmp_path / "report.html").read_text()
