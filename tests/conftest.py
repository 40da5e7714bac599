"""pytest configuration: hypothesis profiles and the --profile switch.

`pytest` runs the claims registry with the fast `ci` profile; `pytest --profile thorough`
(the same words as `ncdepth verify --profile thorough`; also `--thorough` or
HYPOTHESIS_PROFILE=thorough) runs the long sweeps and the tests marked `thorough`.
"""

from __future__ import annotations

import os

# The suite asserts verdicts, not speed: a loaded CI machine must not turn a slow check INCONCLUSIVE.
# `ncdepth verify` keeps its 60 s budget per check; the tests allow 240 s unless NCDEPTH_BUDGET_S says otherwise.
os.environ.setdefault("NCDEPTH_BUDGET_S", "240")

import pytest
from hypothesis import settings

import ncdepth.fuzzing  # noqa: F401  (registers the `ci` and `thorough` hypothesis profiles)


def pytest_addoption(parser):
    parser.addoption("--profile", choices=("ci", "thorough"), default=None,
                     help="ncdepth profile: ci (fast, default) or thorough (long sweeps and tests marked `thorough`)")
    parser.addoption("--thorough", action="store_true", default=False, help="the same as --profile thorough")


def pytest_configure(config):
    chosen = config.getoption("--profile")
    if config.getoption("--thorough"):
        chosen = "thorough"
    profile = chosen or os.environ.get("HYPOTHESIS_PROFILE", "ci")
    settings.load_profile(profile)
    config._ncdepth_profile = profile


def pytest_collection_modifyitems(config, items):
    if config._ncdepth_profile == "thorough":
        return
    skip = pytest.mark.skip(reason="thorough sweep: run with --profile thorough")
    for item in items:
        if "thorough" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def profile(pytestconfig) -> str:
    return pytestconfig._ncdepth_profile
