"""The command line and the report: exit codes, messages, JSON shape, atomic writes."""

import json
from pathlib import Path

import pytest

from ncdepth import cli
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from ncdepth.runner import RunOptions, run_check
from reports.builder import write_atomic


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_and_show(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and "L-D.6" in out and "T4.2" in out
    code, out, _ = run_cli(capsys, "show", "L-D.5")
    assert code == 0 and "h_i ⊙ h_j" in out and "negative control" in out


def test_unknown_id_exits_2_and_lists_valid_ids(capsys, tmp_path):
    code, out, err = run_cli(capsys, "verify", "--only", "T9.9", "--out", str(tmp_path))
    assert code == 2
    assert "unknown claim id(s): T9.9" in err and "L-D.6" in err
    code, _, err = run_cli(capsys, "show", "nope")
    assert code == 2 and "valid ids" in err


@pytest.mark.parametrize("spec,expected", [("4,8,64", (4, 8, 64)), ("4:8", (4, 5, 6, 7, 8)), ("2,4:5", (2, 4, 5))])
def test_int_specs(spec, expected):
    assert cli.parse_int_spec(spec, "K") == expected


@pytest.mark.parametrize("spec", ["a", "8:4", "", "4:x"])
def test_bad_int_specs_are_usage_errors(spec, capsys, tmp_path):
    code, _, err = run_cli(capsys, "verify", "--only", "L-D.6", "--K", spec, "--out", str(tmp_path))
    assert code == 2 and "--K" in err


def test_bad_level_is_a_usage_error(capsys, tmp_path):
    code, _, err = run_cli(capsys, "verify", "--levels", "magic", "--out", str(tmp_path))
    assert code == 2 and "valid levels" in err


def test_K_outside_a_hadamard_domain_is_a_message_not_a_crash(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "verify", "--only", "L-D.6", "L-D.2", "--K", "12", "--levels", "certified",
                           "--out", str(tmp_path))
    assert code == 0
    assert "K=12 is not a power of two" in out
    report = json.loads((tmp_path / "report.json").read_text())
    by_id = {c["id"]: c for c in report["claims"]}
    assert by_id["L-D.6"]["checks"][0]["verdict"] == "SKIP"
    assert "not a power of two" in by_id["L-D.6"]["checks"][0]["message"]
    # the same value leaving every selected check with nothing to run is a usage error
    code, _, err = run_cli(capsys, "verify", "--only", "L-D.6", "--K", "12", "--levels", "certified,fuzz",
                           "--out", str(tmp_path))
    assert code == 2 and "not a power of two" in err


def test_verify_writes_three_reports_with_the_documented_json_shape(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "verify", "--only", "L-D.6", "L-D.5", "--levels", "symbolic,fuzz",
                           "--out", str(tmp_path / "r"), "--json", str(tmp_path / "extra.json"))
    assert code == 0
    for name in ("report.md", "report.json", "report.html"):
        assert (tmp_path / "r" / name).stat().st_size > 0
    data = json.loads((tmp_path / "extra.json").read_text())
    assert set(data) >= {"claims", "environment"}
    claim = data["claims"][0]
    assert set(claim) >= {"id", "verdict", "checks"}
    check = claim["checks"][0]
    assert set(check) >= {"name", "level", "verdict", "params", "evidence"}
    assert check["negative_control"]["rejected"] is True
    html = (tmp_path / "r" / "report.html").read_text()
    assert "h_i ⊙ h_j" in html and "Conventions" in html
    assert not list((tmp_path / "r").glob(".*.tmp"))


def _always(ctx: Context, answer: str) -> Outcome:
    holds = answer.startswith("yes")
    return Outcome(holds, {"value": 1.0}, counterexample=None if holds else {"x": 0})


def _claim(statement, control) -> Claim:
    return Claim(id="Z-X.1", title="toy", statement="toy", latex="x", reference="none",
                 domain=Domain(uses_K=False, uses_L=False),
                 checks=(Check(name="toy", level=Level.NUMERIC, fn=_always, description="toy", precision="exact",
                               statement=statement, control=control, control_description="flipped"),))


def test_a_refuted_statement_is_FAIL_with_its_counterexample():
    c = _claim({"answer": "no"}, {"answer": "yes"})
    r = run_check(c, c.checks[0])
    assert r.verdict.value == "FAIL" and r.counterexample == {"x": 0}


def test_a_check_whose_control_passes_is_UNSOUND():
    c = _claim({"answer": "yes"}, {"answer": "yes, too"})  # the control variant also holds
    r = run_check(c, c.checks[0], RunOptions())
    assert r.verdict.value == "UNSOUND" and "cannot fail" in r.message and r.verdict.is_failure


def _three_valued(ctx: Context, answer: str) -> Outcome:
    if answer == "held":
        return Outcome.held({"value": 1.0})
    if answer == "budget":
        return Outcome.undecided("box budget of 10 exhausted after 10 boxes", {"boxes": 10})
    if answer == "raise-budget":
        from ncdepth.registry import BudgetExhausted
        raise BudgetExhausted("iterations ran out at step 7")
    if answer == "no-counterexample":
        return Outcome(False, {"value": 0.0})
    return Outcome.refuted({"x": 0}, {"value": 0.0})


def _claim3(statement, control) -> Claim:
    return Claim(id="Z-X.3", title="toy", statement="toy", latex="x", reference="none",
                 domain=Domain(uses_K=False, uses_L=False),
                 checks=(Check(name="toy", level=Level.NUMERIC, fn=_three_valued, description="toy", precision="exact",
                               statement=statement, control=control, control_description="flipped"),))


@pytest.mark.parametrize("statement,control,verdict", [
    ("budget", "refuted", "INCONCLUSIVE"),        # a budget miss is undecided, never a refutation
    ("raise-budget", "refuted", "INCONCLUSIVE"),
    ("held", "budget", "INCONCLUSIVE"),           # the control undecided: the check's power is not shown
    ("no-counterexample", "refuted", "ERROR"),    # a refutation must come with a counterexample
    ("refuted", "held", "FAIL"),
    ("held", "refuted", "PASS"),
])
def test_three_valued_outcomes_map_to_one_verdict_each(statement, control, verdict):
    c = _claim3({"answer": statement}, {"answer": control})
    r = run_check(c, c.checks[0])
    assert r.verdict.value == verdict, r.summary()
    if verdict == "INCONCLUSIVE":
        assert "undecided" in r.message and not r.verdict.is_failure and r.counterexample is None


def test_inconclusive_exits_0_unless_strict(capsys, tmp_path, monkeypatch):
    c = _claim3({"answer": "budget"}, {"answer": "refuted"})
    monkeypatch.setattr(cli, "_load", lambda: (c,))
    code, out, _ = run_cli(capsys, "verify", "--out", str(tmp_path), "--quiet")
    assert code == 0 and "INCONCLUSIVE" in out
    code, _, _ = run_cli(capsys, "verify", "--out", str(tmp_path), "--quiet", "--strict")
    assert code == 1


def test_unwritable_out_is_one_line_and_exit_2(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, out, err = run_cli(capsys, "verify", "--only", "L-D.6", "--out", str(blocker / "sub"))
    assert code == 2 and err.count("\n") == 1 and "cannot be written" in err and "Traceback" not in err + out


@pytest.mark.parametrize("argv", [["--K", "0"], ["--L", "0"], ["--K", "12", "--levels", "certified,fuzz"],
                                  ["--examples", "0"], ["--budget", "-1"],
                                  ["--levels", "symbolic,"], ["--bogus"], ["--K"]])
def test_bad_requests_are_one_line_and_exit_2(capsys, tmp_path, argv):
    code, out, err = run_cli(capsys, "verify", "--only", "L-D.6", "--out", str(tmp_path), *argv)
    assert code == 2, (out, err)
    assert err.startswith("ncdepth: error:") and err.count("\n") == 1 and "Traceback" not in err


def test_a_raising_check_is_ERROR():
    def boom(ctx, holds):
        raise ZeroDivisionError("boom")

    c = Claim(id="Z-X.2", title="t", statement="t", latex="t", reference="t", domain=Domain(uses_K=False, uses_L=False),
              checks=(Check(name="b", level=Level.NUMERIC, fn=boom, description="b", precision="p",
                            statement={"holds": True}, control={"holds": False}, control_description="c"),))
    r = run_check(c, c.checks[0])
    assert r.verdict.value == "ERROR" and "boom" in r.message


def test_checks_must_ship_a_distinct_control():
    with pytest.raises(ValueError):
        Check(name="x", level=Level.NUMERIC, fn=_always, description="d", precision="p",
              statement={"answer": "yes"}, control={"answer": "yes"}, control_description="same")


def test_verify_exit_code_is_1_when_a_check_fails(capsys, tmp_path, monkeypatch):
    bad = _claim({"answer": "no"}, {"answer": "yes"})
    monkeypatch.setattr(cli, "_load", lambda: (bad,))
    code, out, _ = run_cli(capsys, "verify", "--out", str(tmp_path), "--quiet")
    assert code == 1 and "FAIL" in out


def test_atomic_write_keeps_the_old_report_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    write_atomic(target, "old complete report")

    def broken_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr("reports.builder.os.replace", broken_replace)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new report that never lands")
    assert target.read_text() == "old complete report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_registry_loads_without_torch_and_empirical_checks_skip(tmp_path):
    """torch is an optional extra: without it the registry still loads and E-* checks are SKIP, not ERROR."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent('''
        import sys, importlib.abc
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, Block())
        from theorems import claims_by_id
        from ncdepth.runner import run_check
        claim = claims_by_id()["E-2"]
        result = run_check(claim, claim.checks[0])
        print(result.verdict.value, result.message)
    ''')
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("SKIP") and "torch" in out.stdout


def test_fuzz_checks_cap_an_override_to_the_range_they_support():
    from ncdepth.runner import resolve_grid
    from theorems import claims_by_id

    claim = claims_by_id()["T4.2"]
    fuzz = next(c for c in claim.checks if c.level == Level.FUZZ)
    K, L, messages = resolve_grid(claim, fuzz, RunOptions(K=tuple(range(2, 5000)), L=(1, 2, 500)))
    K_cap, L_cap = fuzz.caps()
    serves = fuzz.declared_serves()
    powers = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
    # the powers of two within the cap that some requested L admits under the check's pair rule
    expected = tuple(k for k in powers if k <= K_cap and (serves.pair is None or any(serves.pair(k, l_, False) for l_ in (1, 2))))
    assert K == expected and len(K) >= 4
    assert 500 not in L and max(L) <= L_cap
    assert any("not a power of two" in m for m in messages) and any(f"K <= {K_cap}" in m for m in messages)
    numeric = next(c for c in claim.checks if c.level == Level.NUMERIC)
    # outside fuzzing only the declared bounds cap a request (no cap from the default grid)
    declared = numeric.declared_serves()
    assert numeric.caps() == (declared.K_bound(False), declared.L_bound(False))


def test_levels_leave_out_claims_with_no_check_at_those_levels(capsys, tmp_path):
    # P-C.1 has no symbolic check: with --levels symbolic it is not run, not a row of the summary
    # table and not in the report (rather than a row of SKIPs); L-D.6 (which has one) is.
    from theorems import load_claims

    by_id = {c.id: c for c in load_claims()}
    assert Level.SYMBOLIC not in by_id["P-C.1"].levels and Level.SYMBOLIC in by_id["L-D.6"].levels
    code, out, _ = run_cli(capsys, "verify", "--only", "L-D.6", "P-C.1", "--levels", "symbolic", "--no-cache",
                           "--quiet", "--out", str(tmp_path))
    assert code == 0
    assert "L-D.6" in out and "P-C.1" not in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert [c["id"] for c in report["claims"]] == ["L-D.6"]
    assert all(ch["level"] == "symbolic" for ch in report["claims"][0]["checks"])
    # the same request with only P-C.1 selected leaves nothing to run: a usage error, not an empty report
    code, _, err = run_cli(capsys, "verify", "--only", "P-C.1", "--levels", "symbolic", "--out", str(tmp_path / "x"))
    assert code == 2 and err.count("\n") == 1 and "symbolic" in err
