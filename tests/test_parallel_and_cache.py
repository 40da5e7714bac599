"""Workers, dask, grid chunks and the result cache give the verdicts of a serial run; the Python API."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
import time

import pytest

from ncdepth import cli
from ncdepth.cache import ResultCache, code_files
from ncdepth.parallel import combine_chunks, plan_chunks
from ncdepth.registry import Check, Claim, Domain, Level, Outcome, Verdict
from ncdepth.runner import CheckResult, RunOptions, run_claims, without_run_facts

# Every check well under a second, and deterministic.  (L-D.2's z3 check is not: the model z3 returns for
# its control depends on earlier z3 calls in the same process, so its control's counterexample can differ.)
CHEAP = ["S3.2", "L-D.6"]
def _fingerprint(results):
    return [(cr.claim.id, r.name, r.verdict.value, json.dumps(without_run_facts(r.evidence), sort_keys=True),
             json.dumps(without_run_facts(r.control), sort_keys=True), [f.title for f in r.figures])
            for cr in results for r in cr.checks]


@pytest.fixture(scope="module")
def serial():
    from ncdepth import verify

    return verify(CHEAP, cache=False)


def test_api_returns_the_cli_result_objects(serial):
    from ncdepth import claims, verify
    from ncdepth.runner import ClaimResult

    ids = [c.id for c in claims()]
    assert ids.index("T3.1") < ids.index("S3.2") < ids.index("L-D.2") and claims("L-D.2")[0].id == "L-D.2"
    assert [cr.claim.id for cr in serial] == CHEAP and all(isinstance(cr, ClaimResult) for cr in serial)
    assert all(r.verdict == Verdict.PASS and not r.cached for cr in serial for r in cr.checks)
    one = verify("L-D.2", K="4:5", levels=["fuzz"], cache=False)
    assert one[0].checks[0].params["K"] == [4, 5] and one[0].checks[0].level == Level.FUZZ
    with pytest.raises(ValueError, match="unknown claim"):
        verify(["T9.9"])
    with pytest.raises(ValueError, match="at least 2"):
        verify(["L-D.2"], K=[1])
    with pytest.raises(ValueError, match="valid levels"):
        verify(["L-D.2"], levels="magic")


def test_two_worker_processes_give_the_serial_results(serial):
    results = run_claims([cr.claim for cr in serial], RunOptions(), workers=2)
    assert _fingerprint(results) == _fingerprint(serial)


# dask's own threads draw from the `random` module while hypothesis generates in the worker thread
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_figures_survive_worker_processes_and_the_cache(tmp_path):
    from theorems import claims_by_id

    claim = claims_by_id()["T4.5"]
    opts = RunOptions(levels=(Level.NUMERIC,))
    serial = run_claims([claim], opts)[0]
    parallel = run_claims([claim], opts, workers=2)[0]
    cache = ResultCache(tmp_path)
    run_claims([claim], opts, cache=cache)
    cached = run_claims([claim], opts, cache=cache)[0]
    figs = [(r.name, f.title, len(f.png)) for r in serial.checks for f in r.figures]
    assert figs, "T4.5's numeric checks draw figures"
    for other in (parallel, cached):
        assert [(r.name, f.title, len(f.png)) for r in other.checks for f in r.figures] == figs
        assert all(f.png.startswith(b"\x89PNG") for r in other.checks for f in r.figures)
    assert all(r.cached for r in cached.checks)


def test_dask_loopback_cluster_gives_the_serial_verdicts(serial):
    distributed = pytest.importorskip("distributed")
    from ncdepth import verify

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                                  host="127.0.0.1", protocol="tcp://") as cluster:  # loopback TCP
        results = verify(CHEAP, dask=cluster.scheduler_address, cache=False)
        assert _fingerprint(results) == _fingerprint(serial)
        # split: the fuzz checks run as grid chunks (separate tasks), combined with the same verdict rules
        split = verify(CHEAP, dask=cluster.scheduler_address, cache=False, split=3)
    assert [(cr.claim.id, r.name, r.verdict) for cr in split for r in cr.checks] == \
        [(cr.claim.id, r.name, r.verdict) for cr in serial for r in cr.checks]
    fuzz = next(r for cr in split for r in cr.checks if r.name == "fuzz_norms")
    assert fuzz.params["chunks"] == 3 and len(fuzz.evidence["chunks"]) == 3
    assert sorted(fuzz.params["K"]) == sorted(next(r for cr in serial for r in cr.checks if r.name == "fuzz_norms").params["K"])
    assert all(c["verdict"] == "PASS" for c in fuzz.evidence["chunks"])


def test_unreachable_dask_scheduler_is_one_line_and_exit_2(capsys, tmp_path):
    pytest.importorskip("distributed")
    code = cli.main(["verify", "--only", "L-D.2", "--dask", "tcp://127.0.0.1:9", "--out", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "--dask" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["--workers", "0"], ["--workers", "x"], ["--split", "0"],
                                  ["--workers", "2", "--dask", "tcp://127.0.0.1:9"]])
def test_bad_execution_options_exit_2(capsys, tmp_path, argv):
    code = cli.main(["verify", "--only", "L-D.2", "--out", str(tmp_path), "--quiet", *argv])
    assert code == 2 and capsys.readouterr().err.startswith("ncdepth: error:")


# ----------------------------------------------------------------------------- the cache
def test_second_run_is_served_from_the_cache_and_says_so(serial, tmp_path, capsys):
    from ncdepth import verify

    first = verify(CHEAP, cache_dir=tmp_path)
    assert not any(r.cached for cr in first for r in cr.checks)
    second = verify(CHEAP, cache_dir=tmp_path)
    assert all(r.cached for cr in second for r in cr.checks)
    assert _fingerprint(second) == _fingerprint(first) == _fingerprint(serial)
    # another seed is another key
    assert not any(r.cached for cr in verify(["L-D.2"], cache_dir=tmp_path, seed=7) for r in cr.checks)
    # the CLI marks cached checks, --no-cache reruns them
    out_dir = tmp_path / "r"
    assert cli.main(["verify", "--only", *CHEAP, "--cache-dir", str(tmp_path), "--out", str(out_dir), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "cached:" in out and "reused unchanged results" in out
    report = json.loads((out_dir / "report.json").read_text())
    assert all(ch["cached"] for c in report["claims"] for ch in c["checks"])
    assert cli.main(["verify", "--only", *CHEAP, "--no-cache", "--out", str(out_dir), "--quiet"]) == 0
    report = json.loads((out_dir / "report.json").read_text())
    assert not any(ch["cached"] for c in report["claims"] for ch in c["checks"])


def test_cache_key_covers_the_theorem_module_and_what_it_imports():
    from theorems import claims_by_id

    files = {p.as_posix().split("/report/")[-1] for p in code_files(claims_by_id()["E-2"].checks[0])}
    names = {f.split("/")[-2] + "/" + f.split("/")[-1] for f in files}
    assert {"experiments/e_2.py", "torch_check/trainer.py", "numerics/softmax.py", "ncdepth/runner.py",
            "reports/figures.py"} <= names
    assert "reports/builder.py" not in names  # the report does not compute results
    xpd = {p.name for p in code_files(claims_by_id()["X-PD"].checks[0])}
    assert "x_pd_grid.json" in xpd  # data beside the module


TOY = '''
from ncdepth.registry import Check, Claim, Domain, Level, Outcome

CALLS = []

def check(ctx, answer):
    CALLS.append(answer)
    if answer == "fail":
        return Outcome.refuted({{"x": 1}}, {{"v": 0}})
    if answer == "budget":
        return Outcome.undecided("iterations ran out after 3", {{"v": 3}})
    return Outcome.held({{"v": {value}}}) if answer == "yes" else Outcome.refuted({{"x": 2}})

def claim(statement):
    return Claim(id="Z-C.1", title="toy", statement="toy", latex="x", reference="none",
                 domain=Domain(uses_K=False, uses_L=False),
                 checks=(Check(name="toy", level=Level.NUMERIC, fn=check, description="toy", precision="exact",
                               statement={{"answer": statement}}, control={{"answer": "no"}},
                               control_description="flipped"),))
'''


def _toy(tmp_path, monkeypatch, value=1):
    (tmp_path / "ncdepth_toy_mod.py").write_text(textwrap.dedent(TOY.format(value=value)))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("ncdepth_toy_mod", None)
    mod = importlib.import_module("ncdepth_toy_mod")
    monkeypatch.setattr("ncdepth.cache.STARTED", time.time() + 1)  # the file predates "this process"
    return mod


def test_cache_reuses_decided_results_only_and_a_cached_fail_stays_a_fail(tmp_path, monkeypatch):
    mod = _toy(tmp_path, monkeypatch)
    cache = ResultCache(tmp_path / "cache")
    for statement, verdict, cached_second in (("yes", "PASS", True), ("fail", "FAIL", True),
                                              ("budget", "INCONCLUSIVE", False)):
        claim = mod.claim(statement)
        first = run_claims([claim], RunOptions(), cache=cache)[0].checks[0]
        second = run_claims([claim], RunOptions(), cache=cache)[0].checks[0]
        assert first.verdict.value == second.verdict.value == verdict
        assert (not first.cached) and second.cached is cached_second
        if verdict == "FAIL":
            assert second.counterexample == {"x": 1}


def test_editing_a_check_invalidates_its_cached_result(tmp_path, monkeypatch):
    mod = _toy(tmp_path, monkeypatch, value=1)
    cache = ResultCache(tmp_path / "cache")
    assert run_claims([mod.claim("yes")], RunOptions(), cache=cache)[0].checks[0].evidence == {"v": 1}
    assert run_claims([mod.claim("yes")], RunOptions(), cache=cache)[0].checks[0].cached
    mod = _toy(tmp_path, monkeypatch, value=22)  # the check's source changed
    r = run_claims([mod.claim("yes")], RunOptions(), cache=cache)[0].checks[0]
    assert not r.cached and r.evidence == {"v": 22}
    # a file modified after this process started is never trusted (the code that ran may be older)
    monkeypatch.setattr("ncdepth.cache.STARTED", time.time() - 3600)
    assert not run_claims([mod.claim("yes")], RunOptions(), cache=cache)[0].checks[0].cached


# ----------------------------------------------------------------------------- chunks
def _chunk(verdict, K, rejected=None, cex=None):
    control = {} if rejected == "none" else {"description": "wrong", "rejected": rejected}
    return CheckResult("Z", "c", Level.FUZZ, Verdict(verdict), {"K": K, "seed": 1}, {"n": len(K)}, 1.0,
                       counterexample=cex, control=control)


@pytest.mark.parametrize("chunks,expected", [
    ([("PASS", [2, 3], True), ("PASS", [4, 5], True)], "PASS"),
    ([("UNSOUND", [2, 3], False), ("PASS", [4, 5], True)], "PASS"),       # the control is refuted somewhere
    ([("UNSOUND", [2, 3], False), ("UNSOUND", [4, 5], False)], "UNSOUND"),
    ([("PASS", [2, 3], True), ("FAIL", [4, 5], "none", {"K": 5})], "FAIL"),  # the worst statement verdict
    ([("PASS", [2, 3], True), ("INCONCLUSIVE", [4, 5], "none")], "INCONCLUSIVE"),
    ([("UNSOUND", [2, 3], False), ("INCONCLUSIVE", [4, 5], None)], "INCONCLUSIVE"),  # control undecided
    ([("ERROR", [2, 3], "none"), ("FAIL", [4, 5], "none", {"K": 5})], "FAIL"),
    ([("SKIP", [2, 3], "none"), ("PASS", [4, 5], True)], "PASS"),
])
def test_chunks_combine_with_the_verdict_rules(chunks, expected):
    check = Check(name="c", level=Level.FUZZ, fn=lambda ctx, a: Outcome.held(), description="d", precision="p",
                  statement={"a": 1}, control={"a": 2}, control_description="wrong", K=(2, 3, 4, 5))
    claim = Claim(id="Z", title="t", statement="t", latex="x", reference="r", domain=Domain(), checks=(check,))
    parts = [_chunk(*c) for c in chunks]
    r = combine_chunks(claim, check, parts, "K")
    assert r.verdict.value == expected
    assert r.params["K"] == [2, 3, 4, 5] and len(r.evidence["chunks"]) == 2
    if expected == "FAIL":
        assert r.counterexample["K"] == 5 and r.counterexample["chunk"] == 2


def test_only_splittable_checks_are_split():
    from theorems import claims_by_id

    claim = claims_by_id()["S3.2"]
    by = {c.name: c for c in claim.checks}
    opts, axis = plan_chunks(claim, by["fuzz_norms"], RunOptions(), 4)
    assert axis == "K" and len(opts) == 4 and sorted(k for o in opts for k in o.K) == list(by["fuzz_norms"].K)
    assert all(o.L == tuple(by["fuzz_norms"].L) for o in opts)
    assert plan_chunks(claim, by["numeric_constructions"], RunOptions(), 4) == ([RunOptions()], "")


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_cli_runs_on_workers_and_on_a_dask_scheduler(capsys, tmp_path, serial):
    distributed = pytest.importorskip("distributed")
    expected = {(cr.claim.id, r.name): r.verdict.value for cr in serial for r in cr.checks}

    def verdicts(path):
        data = json.loads((path / "report.json").read_text())
        return data, {(c["id"], ch["name"]): ch["verdict"] for c in data["claims"] for ch in c["checks"]}

    assert cli.main(["verify", "--only", *CHEAP, "--workers", "2", "--no-cache", "--quiet", "--out", str(tmp_path / "w")]) == 0
    data, got = verdicts(tmp_path / "w")
    assert got == expected and data["run"]["workers"] == 2
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                  host="127.0.0.1", protocol="tcp://") as cluster:
        addr = cluster.scheduler_address
        assert cli.main(["verify", "--only", *CHEAP, "--dask", addr, "--split", "2", "--no-cache", "--quiet",
                         "--out", str(tmp_path / "d")]) == 0
    data, got = verdicts(tmp_path / "d")
    assert got == expected and data["run"]["dask"] == addr and data["run"]["split"] == 2
    capsys.readouterr()
