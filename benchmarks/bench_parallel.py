"""``ncdepth verify --workers N`` against a serial run on the default profile: prints the ratio.

    python benchmarks/bench_parallel.py                    # every claim, --workers 2
    python benchmarks/bench_parallel.py --workers 2 --only T4.3 L-D.7 P-C.1

Both runs bypass the result cache (--no-cache) and run as a user would (``python -m ncdepth
verify``, worker start-up included).  The script then compares the two JSON reports: every
check's verdict must agree, and every evidence and negative-control record must agree apart from
wall-clock fields.  Target (issue 12): >= 1.6x with 2 workers on the 2-core reference machine.
The pool starts the checks longest first, by the timings of the previous run (kept in the cache
folder), so a second benchmark run balances better than the first.
"""

from __future__ import annotations

import argparse

from _runs import compare, tmpdir, verify


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--only", nargs="+", default=None)
    p.add_argument("--repeat", type=int, default=1,
                   help="alternate serial and parallel runs this many times; the ratio of the fastest of each "
                        "(on a shared machine the load changes between runs)")
    args = p.parse_args()
    only = ["--only", *args.only] if args.only else []
    work = tmpdir("ncdepth-bench-par-")
    cache = ["--cache-dir", str(work / "cache")]  # --no-cache: no results reused, but the timings are kept
    t_sers, t_pars = [], []
    for i in range(args.repeat):
        t_ser, ser, _ = verify([*only, "--no-cache", *cache], work / f"ser{i}")
        # the pool starts the longest checks first, by the timings the serial run recorded
        t_par, par, _ = verify([*only, "--no-cache", *cache, "--workers", str(args.workers)], work / f"par{i}")
        t_sers.append(t_ser)
        t_pars.append(t_par)
        print(f"run {i + 1}: serial {t_ser:.1f} s, --workers {args.workers} {t_par:.1f} s, ratio {t_ser / t_par:.2f}x",
              flush=True)
    verdicts, evidence = compare(ser, par)
    n = sum(len(c["checks"]) for c in ser["claims"])
    t_ser, t_par = min(t_sers), min(t_pars)
    print(f"checks: {n}; serial {t_ser:.1f} s; --workers {args.workers} {t_par:.1f} s (fastest of {args.repeat}); "
          f"ratio {t_ser / t_par:.2f}x")
    print(f"verdicts differing: {len(verdicts)} {verdicts[:10]}")
    print(f"evidence records differing (timings aside): {len(evidence)} {evidence[:10]}")
    times = sorted((ch["evidence"]["elapsed_s"] for c in ser["claims"] for ch in c["checks"]), reverse=True)
    loads = [0.0] * args.workers
    for t in times:  # longest first onto the least loaded worker
        loads[loads.index(min(loads))] += t
    print(f"bound from the serial per-check times: sum {sum(times):.1f} s, longest-first makespan on "
          f"{args.workers} workers {max(loads):.1f} s -> at most {sum(times) / max(loads):.2f}x "
          f"(plus start-up and report: serial overhead {t_ser - sum(times):.1f} s)")


if __name__ == "__main__":
    main()
