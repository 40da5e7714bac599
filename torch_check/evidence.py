"""Small helpers the empirical claims share: seeds from the run context, summaries, trends."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["seeds_from", "summary", "trend_holds"]


def seeds_from(ctx, salt: int, count: int) -> tuple[int, ...]:
    """``count`` seeds drawn from ``ctx.rng(salt)`` (recorded in the evidence)."""
    return tuple(int(s) for s in ctx.rng(salt).integers(0, 2**31 - 1, size=count))


def summary(values: Sequence[float]) -> dict:
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()), "max": float(v.max()),
            "runs": [float(x) for x in v]}


def trend_holds(means: Sequence[float], direction: str) -> bool:
    """Strictly monotone means along the sweep: ``direction`` is 'falls' or 'rises'."""
    d = np.diff(np.asarray(means, dtype=float))
    if direction == "falls":
        return bool(np.all(d < 0))
    if direction == "rises":
        return bool(np.all(d > 0))
    raise ValueError(f"direction must be 'falls' or 'rises', got {direction!r}")
