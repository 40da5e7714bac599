"""A cached rerun of ``ncdepth verify`` against a cold one: prints both times and the ratio.

    python benchmarks/bench_cache.py                  # every claim, default profile
    python benchmarks/bench_cache.py --only T4.3 E-2

The cold run starts from an empty cache folder and fills it; the rerun, with nothing changed,
reuses every decided result (PASS, FAIL, UNSOUND) and still writes the full report.  Target
(issue 12): the rerun under 10 s.  The script checks that the rerun marks every decided check
"cached" and reports the same verdicts and evidence.
"""

from __future__ import annotations

import argparse

from _runs import checks, compare, tmpdir, verify


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", nargs="+", default=None)
    p.add_argument("--workers", type=int, default=1, help="workers for the cold run")
    args = p.parse_args()
    only = ["--only", *args.only] if args.only else []
    work = tmpdir("ncdepth-bench-cache-")
    cache = ["--cache-dir", str(work / "cache")]
    t_cold, cold, _ = verify([*only, *cache, "--workers", str(args.workers)], work / "cold")
    t_warm, warm, _ = verify([*only, *cache], work / "warm")
    verdicts, evidence = compare(cold, warm)
    decided = [k for k, ch in checks(warm).items() if ch["verdict"] in ("PASS", "FAIL", "UNSOUND")]
    cached = [k for k, ch in checks(warm).items() if ch["cached"]]
    print(f"checks: {len(checks(cold))}; cold {t_cold:.1f} s; cached rerun {t_warm:.1f} s; "
          f"ratio {t_cold / t_warm:.1f}x")
    print(f"rerun: {len(cached)} of {len(decided)} decided checks reused; verdicts differing: {len(verdicts)}; "
          f"evidence differing: {len(evidence)} {evidence[:5]}")


if __name__ == "__main__":
    main()
