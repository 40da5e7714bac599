"""Every check of the claims registry is a test: `pytest -k T4.2` checks one claim.

Test ids are `CLAIM/level/check`.  A test passes when the check's verdict is PASS
(the statement survived *and* its negative control was rejected); a SKIP is a pytest
skip with its reason; FAIL, INCONCLUSIVE, UNSOUND and ERROR fail the test.  Two declared
exceptions, both strict xfails: a ``finding`` (the check refutes the rebuilt statement) must reproduce
its FAIL, and an ``open_problem`` (a question the paper leaves open) must stay INCONCLUSIVE.
"""

from __future__ import annotations

import pytest

from ncdepth.registry import Verdict
from ncdepth.runner import RunOptions, run_check
from theorems import load_claims

CASES = [(claim, check) for claim in load_claims() for check in claim.checks]


def _param(claim, check):
    marks = [pytest.mark.thorough] if check.thorough_only else []
    return pytest.param(claim, check, id=f"{claim.id}/{check.level.value}/{check.name}", marks=marks)


@pytest.mark.parametrize("claim,check", [_param(c, k) for c, k in CASES])
def test_claim_check(claim, check, profile):
    result = run_check(claim, check, RunOptions(profile=profile))
    if result.verdict == Verdict.SKIP:
        pytest.skip(result.message or "not applicable")
    if check.finding:
        # a declared refutation of the paper's (rebuilt) statement: it must reproduce, with its counterexample
        assert result.verdict == Verdict.FAIL and result.counterexample, (
            f"the declared finding no longer reproduces: {check.finding}\n{result.summary()}")
        pytest.xfail(f"refuted (a finding, reproduced): {check.finding}")
    if check.open_problem:
        # a declared open question: the check must stay undecided (with its certified numbers), not break
        assert result.verdict == Verdict.INCONCLUSIVE, (
            f"the declared open problem is no longer undecided (settled? then drop open_problem): "
            f"{check.open_problem}\n{result.summary()}")
        pytest.xfail(f"undecided (an open problem, as declared): {check.open_problem}: {result.message}")
    assert result.verdict == Verdict.PASS, result.summary()
    assert result.control["rejected"] is True
