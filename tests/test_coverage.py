"""reports/coverage.py lists every numbered result and figure of the paper with a registry claim id."""

from __future__ import annotations

import re

from reports.coverage import coverage_rows
from theorems import claims_by_id

KINDS = {"definition", "theorem", "lemma", "proposition", "corollary", "figure", "equation", "statement",
         "experiment", "beyond"}


def test_every_named_claim_exists_and_every_claim_is_named():
    rows = coverage_rows()
    registry = claims_by_id()
    named = {r["claim_id"] for r in rows if r["claim_id"]}
    assert named - set(registry) == set(), f"coverage names unknown claims: {sorted(named - set(registry))}"
    assert set(registry) - named == set(), f"registry claims missing from coverage: {sorted(set(registry) - named)}"


def test_rows_are_well_formed():
    for r in coverage_rows():
        assert set(r) == {"paper_item", "kind", "section", "claim_id", "why_not"}
        assert r["kind"] in KINDS, r
        assert bool(r["claim_id"]) != bool(r["why_not"]), f"a row needs a claim id or a reason, not both: {r}"


def test_every_numbered_item_of_the_paper_is_listed():
    items = " | ".join(r["paper_item"] for r in coverage_rows())
    for fig in range(1, 12):
        assert re.search(rf"Figure {fig}\b", items), f"Figure {fig} missing"
    for name in ["Definition 2.1", "Definition 4.1", "Definition B.1", "Theorem 3.1", "Theorem 3.2", "Theorem 4.2",
                 "Theorem 4.3", "Theorem 4.4", "Theorem 4.5", "Proposition C.1"] + [f"Lemma D.{i}" for i in range(1, 12)]:
        assert name in items, f"{name} missing"
