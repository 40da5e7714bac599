"""Run checks in worker processes or on a dask cluster, reuse cached results, split long grids.

The unit of work is a *task*: (claim id, check name, run options).  Workers look the
check up in their own registry (``theorems.claims_by_id()``) and run it with
:func:`ncdepth.runner.run_check`, exactly as a serial run does (same options, hence the
same seeds and grids), and send back the :class:`~ncdepth.runner.CheckResult` (figures
included) with the hash of the code they ran; a hash that differs from this process's is
reported as ERROR instead of a result.  Functions are never pickled.  A claim that is not
the registry's own object (a test's toy claim) runs in this process.

Splitting (``split=N``): a check that declares ``splittable=True`` (fuzz checks by
default) and has N >= 2 values on its K grid (else its L grid) is run as up to N tasks,
each on a contiguous chunk of that grid with the same seed and options; a cluster can run
them side by side.  The runner combines the chunks with the verdict rules applied to the
union of the grid:

* the statement: the worst chunk wins (FAIL, then ERROR, then undecided); the first
  refuting chunk's counterexample is the check's;
* the control is a claim over the whole grid, so it is rejected when any chunk rejects it
  (PASS); if no chunk rejects it and some chunk's control is undecided: INCONCLUSIVE; if
  every chunk's control held: UNSOUND;
* the evidence lists every chunk's record (its grid, verdict, message, evidence).

A split run is not the same computation as an unsplit one (a fuzz check draws its examples
per chunk), so its evidence differs; unsplit runs (the default) give the same evidence as a
serial run, in any executor.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from .registry import Check, Claim, Level, Verdict
from .runner import CheckResult, ClaimResult, RunOptions, _resolve, run_check, selected_checks

__all__ = ["Task", "run_task", "execute", "plan_chunks", "combine_chunks", "connect_dask", "DaskUnavailable"]


class DaskUnavailable(RuntimeError):
    """dask.distributed is not installed, or the scheduler cannot be reached."""


@dataclass(frozen=True)
class Task:
    claim_index: int
    check_index: int
    chunk: int
    n_chunks: int
    claim_id: str
    check_name: str
    options: RunOptions
    local: bool = False

    @property
    def slot(self) -> tuple[int, int]:
        return self.claim_index, self.check_index


def _registry() -> dict[str, Claim]:
    from theorems import claims_by_id

    return claims_by_id()


# One check at a time per process: checks use process-global state (hypothesis, z3, sympy caches,
# matplotlib), so a dask worker with several threads still runs them one after another.  Run several
# worker processes (``dask worker --nworkers N --nthreads 1``) for parallelism.
_ONE_AT_A_TIME = threading.Lock()


def run_task(claim_id: str, check_name: str, options: RunOptions) -> tuple[CheckResult, str]:
    """Worker side: look the check up by id and name, run it, return (result, hash of its code)."""
    from .cache import code_hash

    claim = _registry()[claim_id]
    check = next(c for c in claim.checks if c.name == check_name)
    with _ONE_AT_A_TIME:
        result = run_check(claim, check, options)
    return result, code_hash(check)[0]


# ----------------------------------------------------------------------------- chunks
def _splittable(check: Check) -> bool:
    declared = getattr(check, "splittable", None)
    return check.level == Level.FUZZ if declared is None else bool(declared)


def plan_chunks(claim: Claim, check: Check, options: RunOptions, split: int) -> tuple[list[RunOptions], str]:
    """The options of each chunk (one element: no split) and the axis split ("K", "L" or "")."""
    if split <= 1 or not _splittable(check):
        return [options], ""
    K, L, pairs, _ = _resolve(claim, check, options)
    if claim.domain.uses_K and check.K and len(K) >= 2:
        axis, values = "K", K
    elif claim.domain.uses_L and check.L and len(L) >= 2:
        axis, values = "L", L
    else:
        return [options], ""
    n = min(split, len(values))
    size, extra = divmod(len(values), n)
    chunks, start = [], 0
    for i in range(n):
        stop = start + size + (1 if i < extra else 0)
        chunks.append(tuple(values[start:stop]))
        start = stop
    if axis == "K":
        return [replace(options, K=c, L=tuple(L) if (options.L is None and claim.domain.uses_L and check.L) else options.L)
                for c in chunks], axis
    return [replace(options, L=c, K=tuple(K) if (options.K is None and claim.domain.uses_K and check.K) else options.K)
            for c in chunks], axis


def _side(r: CheckResult) -> str:
    """Which run decided a chunk's verdict: 'statement' or 'control'."""
    return "control" if r.control else "statement"


def _merge_established(parts: Sequence[CheckResult]) -> dict[str, Any] | None:
    ests = [p.established for p in parts if p.established]
    if not ests:
        return None
    out: dict[str, Any] = {}
    for est in ests:
        for k, v in est.items():
            if isinstance(v, list) and all(isinstance(x, int) for x in v):
                out[k] = sorted(set(out.get(k, [])) | set(v)) if isinstance(out.get(k, []), list) else v
            elif k not in out:
                out[k] = v
            elif out[k] != v:
                out[k] = f"{out[k]}; {v}"
    return out


def combine_chunks(claim: Claim, check: Check, parts: Sequence[CheckResult], axis: str,
                   messages: Sequence[str] = ()) -> CheckResult:
    """One result for a check run in chunks (rules in the module docstring)."""
    if len(parts) == 1:
        return parts[0]
    live = [p for p in parts if p.verdict != Verdict.SKIP]
    records = []
    for i, p in enumerate(parts):
        rec = {"chunk": i + 1, axis: p.params.get(axis), "verdict": p.verdict.value, "elapsed_s": round(p.elapsed_s, 4),
               "cached": p.cached, "message": p.message, "evidence": p.evidence}
        if p.params.get("KL_pairs") is not None:
            rec["KL_pairs"] = p.params["KL_pairs"]
        if p.counterexample:
            rec["counterexample"] = p.counterexample
        records.append(rec)
    params = dict(parts[0].params)
    for name in ("K", "L"):
        vals = sorted({v for p in parts for v in (p.params.get(name) or [])})
        if vals:
            params[name] = vals
    if any(p.params.get("KL_pairs") is not None for p in parts):
        params["KL_pairs"] = sorted({tuple(x) for p in parts for x in (p.params.get("KL_pairs") or [])})
        params["KL_pairs"] = [list(x) for x in params["KL_pairs"]]
    params["chunks"] = len(parts)
    params["split_axis"] = axis
    evidence = {"combination": "statement: the worst chunk (FAIL, ERROR, undecided); control: rejected if any "
                               "chunk rejected it (it is a claim over the whole grid)",
                "chunks": records}
    figures = [replace(f, title=f"chunk {i + 1}: {f.title}") for i, p in enumerate(parts) for f in p.figures]
    elapsed = sum(p.elapsed_s for p in parts)
    cached = all(p.cached for p in parts)
    head = list(messages)

    def out(verdict: Verdict, message: str, **kw) -> CheckResult:
        return CheckResult(claim.id, check.name, check.level, verdict, params, evidence, elapsed,
                           message="; ".join([message] + head) if message else "; ".join(head),
                           figures=figures, cached=cached, **kw)

    if not live:
        return out(Verdict.SKIP, parts[0].message)
    by = {v: [i for i, p in enumerate(parts) if p.verdict == v] for v in Verdict}
    control_base = {k: parts[0].control.get(k) for k in ("description", "why_plausible", "variant")} \
        if any(p.control for p in parts) else {}
    control_chunks = [{"chunk": i + 1, **{k: v for k, v in p.control.items() if k not in ("description", "why_plausible", "variant")}}
                      for i, p in enumerate(parts) if p.control]
    if control_base:
        control_base["chunks"] = control_chunks
    if by[Verdict.FAIL]:
        i = by[Verdict.FAIL][0]
        cex = dict(parts[i].counterexample or {})
        cex.setdefault("chunk", i + 1)
        return out(Verdict.FAIL, f"chunk {i + 1} ({axis} = {parts[i].params.get(axis)}): {parts[i].message}",
                   counterexample=cex, control=control_base, established=_merge_established(live))
    if by[Verdict.ERROR]:
        i = by[Verdict.ERROR][0]
        return out(Verdict.ERROR, f"chunk {i + 1}: {parts[i].message}", control=control_base)
    undecided_statement = [i for i in by[Verdict.INCONCLUSIVE] if _side(parts[i]) == "statement"]
    if undecided_statement:
        i = undecided_statement[0]
        return out(Verdict.INCONCLUSIVE, f"chunk {i + 1}: {parts[i].message}", control=control_base)
    # the statement held on every chunk that ran
    rejected = [i for i, p in enumerate(parts) if p.control.get("rejected") is True]
    control = dict(control_base)
    established = _merge_established(live)
    if rejected:
        control["rejected"] = True
        if parts[rejected[0]].control.get("counterexample") is not None:
            control["counterexample"] = parts[rejected[0]].control["counterexample"]
        return out(Verdict.PASS, "", control=control, established=established)
    undecided_control = [i for i in by[Verdict.INCONCLUSIVE] if _side(parts[i]) == "control"]
    if undecided_control:
        control["rejected"] = None
        return out(Verdict.INCONCLUSIVE, "the statement held on every chunk but no chunk rejected the negative "
                   "control and some were undecided: the check's power is not shown", control=control,
                   established=established)
    control["rejected"] = False
    return out(Verdict.UNSOUND, f"negative control NOT rejected on any chunk ({check.control_description}): "
               "this check cannot fail", control=control, established=established)


# ----------------------------------------------------------------------------- dask
def connect_dask(address: Any):
    """A distributed.Client for ``address`` (a scheduler address, or an existing Client)."""
    try:
        from distributed import Client
    except ImportError:
        raise DaskUnavailable('dask.distributed is not installed: pip install -e ".[distributed]"') from None
    if isinstance(address, Client):
        return address, False
    try:
        client = Client(address, timeout="20s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError (bad address) ...
        raise DaskUnavailable(f"cannot reach the dask scheduler at {address!r}: {type(exc).__name__}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=60)
    except Exception:  # noqa: BLE001 - TimeoutError
        client.close()
        raise DaskUnavailable(f"the dask scheduler at {address!r} has no workers (waited 60 s); start some with "
                              f"`dask worker {address} --nworkers N --nthreads 1`") from None
    return client, True


# ----------------------------------------------------------------------------- execution
def _error_result(task: Task, check: Check, message: str, tb: str = "") -> CheckResult:
    return CheckResult(task.claim_id, task.check_name, check.level, Verdict.ERROR, {"seed": task.options.seed,
                       "profile": task.options.profile}, {"traceback": tb} if tb else {}, 0.0, message=message)


def _worker_init() -> None:  # pragma: no cover - runs in the worker
    # Workers ignore Ctrl-C; the parent shuts them down.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool(workers: int) -> cf.ProcessPoolExecutor:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["ncdepth._preload"])
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)


def execute(
    claims: Sequence[Claim],
    options: RunOptions,
    on_check_start: Callable[[Claim, Check], None] | None = None,
    on_check_done: Callable[[CheckResult], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
    *,
    workers: int = 1,
    dask: Any = None,
    cache=None,
    split: int = 1,
) -> list[ClaimResult]:
    """Run the selected checks of ``claims``: from the cache, in this process, in a pool or on dask."""
    from .cache import code_hash, forget_digests

    forget_digests()  # hash the files as they are now (a long-lived process may have seen older versions)

    try:
        registry = _registry()
    except Exception:  # noqa: BLE001 - no registry (toy claims only): everything runs locally
        registry = {}
    checks = [selected_checks(c, options.levels) for c in claims]
    slots: dict[tuple[int, int], dict[str, Any]] = {}
    tasks: list[Task] = []
    for ci, claim in enumerate(claims):
        local = registry.get(claim.id) is not claim
        for ki, check in enumerate(checks[ci]):
            chunk_opts, axis = plan_chunks(claim, check, options, split)
            _, _, _, messages = _resolve(claim, check, options)
            slots[(ci, ki)] = {"parts": [None] * len(chunk_opts), "axis": axis, "messages": messages,
                               "keys": [None] * len(chunk_opts), "started": False}
            for j, o in enumerate(chunk_opts):
                tasks.append(Task(ci, ki, j, len(chunk_opts), claim.id, check.name, o, local))
    done_slots: dict[tuple[int, int], CheckResult] = {}
    timings: dict[str, float] = {}

    def claim_check(task: Task) -> tuple[Claim, Check]:
        return claims[task.claim_index], checks[task.claim_index][task.check_index]

    def finish(task: Task, result: CheckResult) -> None:
        claim, check = claim_check(task)
        slot = slots[task.slot]
        slot["parts"][task.chunk] = result
        if cache is not None and not result.cached:
            cache.store(slot["keys"][task.chunk], result)
        if not result.cached and result.verdict != Verdict.SKIP:
            timings[f"{result.test_id}#{task.chunk + 1}/{task.n_chunks}"] = result.elapsed_s
        if all(p is not None for p in slot["parts"]):
            if len(slot["parts"]) == 1:
                combined = slot["parts"][0]
            else:
                combined = combine_chunks(claim, check, slot["parts"], slot["axis"], slot["messages"])
            done_slots[task.slot] = combined
            if on_check_done:
                on_check_done(combined)

    def start(task: Task) -> None:
        slot = slots[task.slot]
        if not slot["started"]:
            slot["started"] = True
            if on_check_start:
                claim, check = claim_check(task)
                on_check_start(claim, check)

    # 1. the cache
    pending: list[Task] = []
    for task in tasks:
        claim, check = claim_check(task)
        if cache is not None:
            K, L, pairs, _ = _resolve(claim, check, task.options)
            hit, key = cache.lookup(claim, check, task.options, (K, L, pairs))
            slots[task.slot]["keys"][task.chunk] = key
            if hit is not None:
                finish(task, hit)
                continue
        pending.append(task)

    # 2. longest first when running side by side (the last run's timings), else declaration order
    if (workers > 1 or dask is not None) and cache is not None:
        known = cache.timings()

        def expected(t: Task) -> float:
            claim, check = claim_check(t)
            tid = f"{claim.id}/{check.level.value}/{check.name}"
            return known.get(f"{tid}#{t.chunk + 1}/{t.n_chunks}", known.get(f"{tid}#1/1", 1.0) / t.n_chunks)

        pending.sort(key=lambda t: -expected(t))

    def run_local(task: Task) -> CheckResult:
        claim, check = claim_check(task)
        return run_check(claim, check, task.options, progress)

    def verified(task: Task, result: CheckResult, worker_hash: str) -> CheckResult:
        claim, check = claim_check(task)
        mine = code_hash(check)[0]
        if worker_hash != mine:
            return _error_result(task, check, f"the worker ran different code (hash {worker_hash[:12]} here "
                                 f"{mine[:12]}): install the same ncdepth on the workers; result discarded")
        return result

    local = [t for t in pending if t.local]
    remote = [t for t in pending if not t.local]
    if workers <= 1 and dask is None:
        local, remote = pending, []
    for task in local:
        start(task)
        finish(task, run_local(task))

    if remote and dask is not None:
        client, own = connect_dask(dask)
        try:
            from distributed import as_completed

            futures = {}
            for task in remote:
                start(task)
                fut = client.submit(run_task, task.claim_id, task.check_name, task.options, pure=False,
                                    key=f"ncdepth-{task.claim_id}-{task.check_name}-{task.chunk}-{uuid.uuid4().hex[:8]}",
                                    retries=0)
                futures[fut] = task
            with client.as_current():
                done_order = list(as_completed(list(futures)))
            for fut in done_order:
                task = futures[fut]
                try:
                    result, worker_hash = fut.result()
                    result = verified(task, result, worker_hash)
                except Exception as exc:  # noqa: BLE001 - a lost worker, a pickling problem ...
                    result = _error_result(task, claim_check(task)[1], f"dask task failed: {type(exc).__name__}: {exc}",
                                           traceback.format_exc(limit=4))
                finish(task, result)
        finally:
            if own:
                client.close()
    elif remote:
        suspects = _run_pool(remote, workers, start, finish, verified, claim_check, progress,
                             lambda: (len(done_slots), len(slots)))
        # tasks that were running when a worker process died: once more, one at a time, alone
        for task in suspects:
            left = _run_pool([task], 1, start, finish, verified, claim_check, progress,
                             lambda: (len(done_slots), len(slots)))
            for t in left:
                finish(t, _error_result(t, claim_check(t)[1], "a worker process died while running this check, "
                                        "also when it ran alone (a crash in native code, or out of memory)"))
    if cache is not None:
        cache.record_timings(timings)
    return [ClaimResult(claim, [done_slots[(ci, ki)] for ki in range(len(checks[ci]))])
            for ci, claim in enumerate(claims)]


def _run_pool(tasks, workers, start, finish, verified, claim_check, progress, counts) -> list[Task]:
    """Run ``tasks`` in a process pool, at most ``workers`` at a time, longest first as given.

    Returns the tasks that were running when a worker process died (they are not finished).
    """
    queue = list(tasks)
    suspects: list[Task] = []
    pool = _pool(workers)
    running: dict[cf.Future, Task] = {}
    try:
        while queue or running:
            while queue and len(running) < workers:
                task = queue.pop(0)
                start(task)
                running[pool.submit(run_task, task.claim_id, task.check_name, task.options)] = task
            if progress:
                done, total = counts()
                progress(done / max(1, total), f"{len(running)} running: "
                         + ", ".join(f"{t.claim_id}/{t.check_name}" for t in running.values())[:200])
            finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            broken = False
            for fut in finished:
                task = running.pop(fut)
                try:
                    result, worker_hash = fut.result()
                    result = verified(task, result, worker_hash)
                except cf.process.BrokenProcessPool:
                    broken = True
                    suspects.append(task)
                    continue
                except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be unpickled
                    result = _error_result(task, claim_check(task)[1], f"worker failed: {type(exc).__name__}: {exc}",
                                           traceback.format_exc(limit=4))
                finish(task, result)
            if broken:
                suspects.extend(running.values())
                running.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _pool(workers)
    except BaseException:  # Ctrl-C, or an error here: do not wait for the running checks
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        raise
    finally:
        for fut in running:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
    return suspects
