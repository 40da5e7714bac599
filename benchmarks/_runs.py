"""Shared by the run benchmarks: run ``python -m ncdepth verify`` as a user would, time it, compare reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ncdepth.runner import without_run_facts  # noqa: E402  (timings and process-local facts: one definition)


def verify(args: list[str], out: Path) -> tuple[float, dict, int]:
    """(wall seconds, report.json, exit code) of ``python -m ncdepth verify ARGS --out OUT``."""
    cmd = [sys.executable, "-m", "ncdepth", "verify", "--quiet", "--out", str(out), *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, json.loads((out / "report.json").read_text()), proc.returncode


def checks(report: dict) -> dict[str, dict]:
    return {f"{c['id']}/{ch['level']}/{ch['name']}": ch for c in report["claims"] for ch in c["checks"]}


def compare(a: dict, b: dict) -> tuple[list[str], list[str]]:
    """(checks whose verdicts differ, checks whose evidence, control record or figures differ, timings aside)."""
    ca, cb = checks(a), checks(b)
    verdicts = sorted(k for k in ca.keys() | cb.keys() if ca.get(k, {}).get("verdict") != cb.get(k, {}).get("verdict"))
    evidence = sorted(k for k in ca.keys() & cb.keys()
                      if json.dumps(without_run_facts(ca[k]["evidence"]), sort_keys=True)
                      != json.dumps(without_run_facts(cb[k]["evidence"]), sort_keys=True)
                      or json.dumps(without_run_facts(ca[k]["negative_control"]), sort_keys=True)
                      != json.dumps(without_run_facts(cb[k]["negative_control"]), sort_keys=True)
                      or ca[k].get("figures") != cb[k].get("figures"))
    return verdicts, evidence


def tmpdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
