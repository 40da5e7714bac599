"""The formal level: scanner, Print Assumptions parser, a bad tiny project, and one formal check end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ncdepth import formal
from ncdepth.registry import Verdict
from ncdepth.runner import RunOptions, run_check
from theorems import claims_by_id

needs_coqc = pytest.mark.skipif(shutil.which("coqc") is None, reason=f"coqc missing: {formal.INSTALL_HINT}")


# --------------------------------------------------------------------------- scanner
def test_scanner_flags_admitted_axioms_and_friends():
    src = """
Theorem a : 1 = 1. Proof. Admitted.
Lemma b : True. Proof. admit. Qed.
Axiom c : False.
Parameter p : nat.
Hypothesis h : False.
Conjecture q : False.
Unset   Guard Checking.
"""
    words = {w for _, w in formal.scan_text(src)}
    assert {"Admitted", "admit", "Axiom", "Parameter", "Hypothesis", "Conjecture", "Unset Guard Checking"} <= words


def test_scanner_ignores_comments_strings_and_longer_identifiers():
    src = """(* This file has no Axiom, nothing is Admitted (* nested: admit *) here. *)
Definition readmit := 1.  Definition Axiomatic := 2.  Definition admit_free' := 3.
Redirect "Admitted" Check readmit.
Theorem ok : readmit = 1. Proof. by []. Qed."""
    assert formal.scan_text(src) == []
    assert "nested" not in formal.strip_comments(src) and "Axiomatic" in formal.strip_comments(src)


def test_the_real_formal_tree_is_clean():
    assert formal.scan_sources(formal.FORMAL_DIR) == []
    files = formal.project_files()
    assert files[0] == "Hadamard.v" and len(files) == len(set(files))
    for f in files:  # one file per claim id (and the shared definitions)
        assert f == "Hadamard.v" or f[:-2] in {"L_D_6", "L_D_5", "L_D_8", "L_D_4", "P_C_1", "L_D_2", "T3_1", "S3_2"}


# --------------------------------------------------------------------------- Print Assumptions
def test_parse_assumptions():
    assert formal.parse_assumptions("Closed under the global context") == (True, [])
    out = "Axioms:\ncheat : False\nfunext : forall A B (f g : A -> B),\n         (forall x, f x = g x) -> f = g\n"
    ok, bad = formal.parse_assumptions(out)
    assert not ok and bad == ["cheat", "funext"]
    ok, bad = formal.parse_assumptions(out, allowed=("cheat", "funext"))
    assert ok and bad == []
    assert formal.parse_assumptions("") == (False, ["(no output from Print Assumptions)"])
    assert formal.parse_assumptions("garbage") == (False, ["garbage"])


def test_statement_extraction_and_imports():
    src = "From NCdepth Require Import Hadamard L_D_6.\n(* c *) Theorem t (m : nat) :\n  m = m.\nProof. by []. Qed.\n"
    assert formal.source_statement(src, "t") == "Theorem t (m : nat) :\n  m = m."
    assert formal.declared_theorems(src) == ["t"]
    assert formal.local_imports(src) == ["Hadamard.v", "L_D_6.v"]


def test_proved_counts():
    c = formal.proved_counts(16)
    assert (c["odd"], c["both_odd"]) == (8, 4)
    assert c["theorems"]["odd"] == "formal/L_D_8.v:count_odd"


# --------------------------------------------------------------------------- coqc end to end
@needs_coqc
def test_tiny_bad_project_is_caught(tmp_path: Path):
    (tmp_path / "_CoqProject").write_text("-Q . NCdepth\nBad.v\n")
    (tmp_path / "Bad.v").write_text(
        "Axiom cheat : False.\n"
        "Theorem one_is_two : 1 = 2.\nProof. destruct cheat. Qed.\n"
        "Theorem honest : 1 = 1.\nProof. reflexivity. Qed.\n"
        "Theorem admitted_one : 2 = 3.\nProof. Admitted.\n")
    hits = formal.scan_sources(tmp_path)
    assert {h["word"] for h in hits} == {"Axiom", "Admitted"}
    b = formal.build_project(tmp_path)
    assert b.ok, b.error
    th = {t.name: t for t in formal.query_theorems(b, "Bad.v", ["one_is_two", "honest", "admitted_one"])}
    assert not th["one_is_two"].closed and th["one_is_two"].unexpected_assumptions == ("cheat",)
    assert th["honest"].closed
    assert not th["admitted_one"].closed and "admitted_one" in th["admitted_one"].unexpected_assumptions
    assert th["one_is_two"].source_statement == "Theorem one_is_two : 1 = 2."


@needs_coqc
def test_formal_check_end_to_end():
    claim = claims_by_id()["L-D.6"]
    check = next(c for c in claim.checks if c.name == "coq_all_m")
    r = run_check(claim, check, RunOptions())
    assert r.verdict == Verdict.PASS, r.summary()
    assert r.control["rejected"] is True
    th = r.evidence["theorems"][0]
    assert th["theorem"] == "sylvester_entry" and th["print_assumptions"] == "Closed under the global context"
    assert th["coq_statement"].startswith("Theorem sylvester_entry")
    assert "coqc" in r.evidence["versions"] and r.evidence["allowed_axioms"] == []
    assert r.control["counterexample"]["negation_kernel_checked"] == "integer_product_exponent_fails"
    from ncdepth.runner import ClaimResult

    assert ClaimResult(claim, [r]).scope.parts[0].text.startswith("proved for all m (formal, Coq kernel")


def test_banned_word_in_formal_tree_is_an_error(tmp_path: Path, monkeypatch):
    tree = tmp_path / "formal"
    shutil.copytree(formal.FORMAL_DIR, tree)
    with open(tree / "L_D_6.v", "a", encoding="utf-8") as fh:
        fh.write("\nTheorem oops : False.\nProof. Admitted.\n")
    monkeypatch.setattr(formal, "FORMAL_DIR", tree)
    monkeypatch.setattr(formal.shutil, "which", lambda name: "/usr/bin/coqc")  # the scan comes before coqc
    claim = claims_by_id()["L-D.6"]
    check = next(c for c in claim.checks if c.name == "coq_all_m")
    r = run_check(claim, check, RunOptions())
    assert r.verdict == Verdict.ERROR and "Admitted" in r.message


def test_missing_coqc_is_skip(monkeypatch):
    monkeypatch.setattr(formal.shutil, "which", lambda name: None)
    claim = claims_by_id()["P-C.1"]
    check = next(c for c in claim.checks if c.level.value == "formal")
    r = run_check(claim, check, RunOptions())
    assert r.verdict == Verdict.SKIP and "apt-get install coq" in r.message


@needs_coqc
def test_counts_python_takes_are_tied_to_the_kernel_statement(monkeypatch):
    """A planted wrong divisor in proved_counts makes L-D.8's formal check an ERROR (the kernel says K/4)."""
    from dataclasses import replace

    claim = claims_by_id()["L-D.8"]
    assert run_check(claim, formal.counting_check(), RunOptions()).verdict == Verdict.PASS
    wrong = dict(formal.HADAMARD_COUNTS, both_odd=replace(formal.HADAMARD_COUNTS["both_odd"], divisor=2))
    monkeypatch.setattr(formal, "HADAMARD_COUNTS", wrong)
    r = run_check(claim, formal.counting_check(), RunOptions())
    assert r.verdict == Verdict.ERROR and "2 ^ m %/ 2" in r.message
