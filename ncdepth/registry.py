"""The claims registry: claims, checks, evidence levels and verdicts.

A :class:`Claim` is one numbered result of the paper (``T4.2``, ``L-D.5``, ``E-2`` ...)
with its statement, paper reference, parameter domain, dependencies and checks.

A :class:`Check` is one piece of evidence at one level.  Its function is written
against the *statement* of the claim, passed as keyword arguments: the check runs
once with ``statement`` (the claim as the paper states it) and once with
``control`` (a deliberately wrong variant: another threshold, exponent or
construction).  The same machinery must accept the first and reject the second;
a check whose control is *not* rejected could not have failed and is reported as
FAIL.  Check functions return an :class:`Outcome`; they never print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = [
    "Level",
    "Verdict",
    "Domain",
    "Figure",
    "Outcome",
    "Context",
    "Check",
    "Claim",
    "paper_order",
]


class Level(str, Enum):
    """Kinds of evidence, from proof to experiment."""

    SYMBOLIC = "symbolic"  # sympy / z3: for all parameters where possible
    CERTIFIED = "certified"  # arb ball arithmetic over an explicit range: a computer-assisted proof
    NUMERIC = "numeric"  # mpmath / float64 at stated precision
    FUZZ = "fuzz"  # hypothesis over (K, L) and the other inputs
    EMPIRICAL = "empirical"  # gradient-flow training of the full model (torch_check)

    def __str__(self) -> str:
        return self.value


class Verdict(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    SKIP = "SKIP"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Domain:
    """Where a claim's (K, L) live.  ``uses_K=False`` means the claim has no K."""

    uses_K: bool = True
    uses_L: bool = True
    K_min: int = 2
    K_max: int | None = None
    K_power_of_two: bool = False
    L_min: int = 1
    L_max: int | None = None

    def K_problem(self, K: int) -> str | None:
        """Why ``K`` is outside the domain, or None."""
        if K < self.K_min:
            return f"K={K} < {self.K_min}"
        if self.K_max is not None and K > self.K_max:
            return f"K={K} > {self.K_max}"
        if self.K_power_of_two and (K & (K - 1)) != 0:
            return f"K={K} is not a power of two (Hadamard structure needs K = 2^m)"
        return None

    def L_problem(self, L: int) -> str | None:
        if L < self.L_min:
            return f"L={L} < {self.L_min}"
        if self.L_max is not None and L > self.L_max:
            return f"L={L} > {self.L_max}"
        return None

    def describe(self) -> str:
        parts = []
        if self.uses_K:
            k = f"K >= {self.K_min}"
            if self.K_max is not None:
                k += f", K <= {self.K_max}"
            if self.K_power_of_two:
                k += ", K = 2^m"
            parts.append(k)
        if self.uses_L:
            l_ = f"L >= {self.L_min}"
            if self.L_max is not None:
                l_ += f", L <= {self.L_max}"
            parts.append(l_)
        return "; ".join(parts) if parts else "no (K, L) parameters"


@dataclass(frozen=True)
class Figure:
    """A PNG figure attached to a check's evidence."""

    title: str
    png: bytes
    caption: str = ""


@dataclass
class Outcome:
    """What one run of a check found.

    ``holds`` says whether the statement it was given survived.  ``evidence`` holds
    the measured numbers (JSON-friendly scalars, lists, dicts).  When ``holds`` is
    False, ``counterexample`` gives the exact inputs that refute the statement.
    """

    holds: bool
    evidence: dict[str, Any] = field(default_factory=dict)
    counterexample: dict[str, Any] | None = None
    figures: list[Figure] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Context:
    """What a check function is given besides the statement.

    ``K`` and ``L`` are the grids to use: the check's defaults, or the user's
    override filtered to the claim's domain.  ``examples`` is the number of
    hypothesis examples for fuzz checks; ``thorough`` asks for the long sweep.
    """

    K: tuple[int, ...] = ()
    L: tuple[int, ...] = ()
    seed: int = 20260
    profile: str = "ci"
    examples: int = 40
    progress: Callable[[float, str], None] | None = None

    @property
    def thorough(self) -> bool:
        return self.profile == "thorough"

    def rng(self, salt: int = 0) -> np.random.Generator:
        """A generator seeded from ``seed`` (and a salt, for independent streams)."""
        return np.random.default_rng([self.seed, salt])

    def report(self, fraction: float, message: str = "") -> None:
        if self.progress is not None:
            self.progress(fraction, message)


CheckFn = Callable[..., Outcome]


@dataclass(frozen=True)
class Check:
    """One piece of evidence for a claim, with its negative control.

    ``fn(ctx, **statement)`` checks the claim; ``fn(ctx, **control)`` runs the same
    machinery on a wrong variant (``control_description`` says which), which must
    come back with ``holds=False``.  ``precision`` states the arithmetic and
    tolerance used; ``K``/``L`` are the default grids (``thorough_K``/``thorough_L``
    for the thorough profile); ``K_cap``/``L_cap`` bound what a user override may ask for.
    """

    name: str
    level: Level
    fn: CheckFn
    description: str
    precision: str
    control: Mapping[str, Any]
    control_description: str
    statement: Mapping[str, Any] = field(default_factory=dict)
    K: tuple[int, ...] = ()
    L: tuple[int, ...] = ()
    thorough_K: tuple[int, ...] | None = None
    thorough_L: tuple[int, ...] | None = None
    thorough_only: bool = False
    K_cap: int | None = None
    L_cap: int | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]+", self.name):
            raise ValueError(f"check name {self.name!r} must be snake_case")
        if not isinstance(self.level, Level):
            raise TypeError("level must be a Level")
        if self.control is None or not self.control_description:
            raise ValueError(f"check {self.name!r} must ship a negative control")
        if dict(self.control) == dict(self.statement):
            raise ValueError(f"check {self.name!r}: the control must differ from the statement")

    def caps(self) -> tuple[int | None, int | None]:
        """Largest K and L this check accepts from a user override.

        Explicit ``K_cap``/``L_cap`` win; a fuzz check otherwise draws from at most the
        largest value of its own grids (default and thorough), so ``ncdepth fuzz --K 4:65536``
        restricts each check to the part of the range it supports instead of stalling on it.
        """
        def cap(explicit, *grids):
            if explicit is not None:
                return explicit
            if self.level != Level.FUZZ:
                return None
            values = [v for g in grids if g for v in g]
            return max(values) if values else None

        return cap(self.K_cap, self.K, self.thorough_K), cap(self.L_cap, self.L, self.thorough_L)

    def default_grid(self, thorough: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
        K = self.thorough_K if (thorough and self.thorough_K is not None) else self.K
        L = self.thorough_L if (thorough and self.thorough_L is not None) else self.L
        return tuple(K), tuple(L)


@dataclass(frozen=True)
class Claim:
    """One claim of the paper, one node of the dependency graph."""

    id: str
    title: str
    statement: str
    latex: str
    reference: str
    domain: Domain
    checks: tuple[Check, ...]
    depends_on: tuple[str, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        names = [c.name for c in self.checks]
        if len(set(names)) != len(names):
            raise ValueError(f"claim {self.id}: duplicate check names {names}")
        if not self.checks:
            raise ValueError(f"claim {self.id} has no checks")

    @property
    def levels(self) -> tuple[Level, ...]:
        seen: list[Level] = []
        for c in self.checks:
            if c.level not in seen:
                seen.append(c.level)
        return tuple(seen)


def paper_order(claim_id: str) -> tuple:
    """Sort key: main text by section, then appendices by letter, then experiments."""
    m = re.fullmatch(r"([A-Z])(\d+)\.(\d+)", claim_id)
    if m:  # T3.1, S3.2, T4.5 ...
        return (0, int(m.group(2)), int(m.group(3)), m.group(1))
    m = re.fullmatch(r"([A-Z])-([A-Z])\.(\d+)", claim_id)
    if m:  # L-D.5, P-C.1 ...
        return (1, m.group(2), int(m.group(3)), m.group(1))
    m = re.fullmatch(r"E-(\d+)(\w*)", claim_id)
    if m:  # E-2, E-3b
        return (2, int(m.group(1)), m.group(2), "")
    if claim_id.startswith("E-"):  # E-ODE comes first among the experiments
        return (2, 0, claim_id, "")
    return (3, claim_id, 0, "")
