"""The claims registry: claims, checks, evidence levels and verdicts.

A :class:`Claim` is one numbered result of the paper (``T4.2``, ``L-D.5``, ``E-2`` ...)
with its statement, paper reference, parameter domain, dependencies and checks.

A :class:`Check` is one piece of evidence at one level.  Its function is written
against the *statement* of the claim, passed as keyword arguments: the check runs
once with ``statement`` (the claim as the paper states it) and once with
``control`` (a plausible wrong variant: another threshold, exponent or
construction, with the reason someone could believe it in ``control_why``).
The same machinery must accept the first and reject the second; a check whose
control is *not* rejected could not have failed and is reported UNSOUND.

A check function returns an :class:`Outcome` that says one of three things: the
statement **held**, it was **refuted** (with a counterexample a reader can
recompute), or the check is **undecided** (a budget ran out: boxes, precision,
iterations, a solver's "unknown", a run that never converged).  It never prints.

Each check declares what it serves (:class:`Serves`: the (K, L) it can decide and
what its cost grows with) and what it establishes (``covers``: the parts of the
claim's statement, ``for_all``: whether its argument holds for every parameter, not
only the ones it ran).  The claim's *scope* is computed from these declarations
and the verdicts (:mod:`ncdepth.scope`).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = [
    "Level",
    "Verdict",
    "BudgetExhausted",
    "Domain",
    "Serves",
    "Part",
    "Figure",
    "Outcome",
    "Context",
    "Check",
    "Claim",
    "paper_order",
]


class Level(str, Enum):
    """Kinds of evidence, from proof to experiment."""

    FORMAL = "formal"  # a Coq proof checked by the kernel (coqc)
    SYMBOLIC = "symbolic"  # sympy / z3: for all parameters where possible
    CERTIFIED = "certified"  # arb ball arithmetic over an explicit range: a computer-assisted proof
    NUMERIC = "numeric"  # mpmath / float64 at stated precision
    FUZZ = "fuzz"  # hypothesis over (K, L) and the other inputs
    EMPIRICAL = "empirical"  # gradient-flow training of the full model (torch_check)

    def __str__(self) -> str:
        return self.value


class Verdict(str, Enum):
    """What a check's run says, exactly one thing.

    PASS          the statement held and the negative control was rejected
    FAIL          the statement was refuted, with a counterexample
    INCONCLUSIVE  undecided: a budget ran out (what, and how far it got, in the message)
    UNSOUND       the negative control was not rejected: the check cannot fail (a checker defect)
    SKIP          not applicable to the request (why, in the message)
    ERROR         the checker crashed
    """

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    UNSOUND = "UNSOUND"
    SKIP = "SKIP"
    ERROR = "ERROR"

    def __str__(self) -> str:
        return self.value

    @property
    def meaning(self) -> str:
        return _VERDICT_MEANING[self]

    @property
    def is_failure(self) -> bool:
        """FAIL, UNSOUND and ERROR make ``ncdepth verify`` exit 1 (INCONCLUSIVE only with --strict)."""
        return self in (Verdict.FAIL, Verdict.UNSOUND, Verdict.ERROR)


_VERDICT_MEANING = {
    Verdict.PASS: "held; the negative control was rejected",
    Verdict.FAIL: "refuted: a counterexample was found",
    Verdict.INCONCLUSIVE: "undecided: a budget ran out",
    Verdict.UNSOUND: "the check is broken: its negative control was not rejected",
    Verdict.SKIP: "not applicable to this request",
    Verdict.ERROR: "the checker crashed",
}


class BudgetExhausted(Exception):
    """Raised inside a check when a budget runs out (time, boxes, precision, iterations).

    The runner turns it into INCONCLUSIVE with this message: what ran out and how far it got.
    It is never a refutation.
    """


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


PairRule = Callable[[int, int, bool], bool]


@dataclass(frozen=True)
class Serves:
    """The part of the claim's domain one check can decide, and what its cost grows with.

    ``K_max``/``L_max`` (``*_thorough`` in the thorough profile) bound single values;
    ``pair(K, L, thorough)`` admits a pair of them (e.g. a symbolic size budget K²L <= 16),
    described by ``pair_text``.  A requested value outside is SKIP for this check, with
    ``describe()`` as the reason; a grid left empty makes the whole check SKIP.
    """

    K_max: int | None = None
    L_max: int | None = None
    K_max_thorough: int | None = None
    L_max_thorough: int | None = None
    K_min: int | None = None
    L_min: int | None = None
    pair: PairRule | None = None
    pair_text: str = ""
    cost: str = ""
    what: str = ""

    def K_bound(self, thorough: bool) -> int | None:
        return self.K_max_thorough if (thorough and self.K_max_thorough is not None) else self.K_max

    def L_bound(self, thorough: bool) -> int | None:
        return self.L_max_thorough if (thorough and self.L_max_thorough is not None) else self.L_max

    def describe(self) -> str:
        bits = []
        for name, lo, hi, hi_t in (("K", self.K_min, self.K_max, self.K_max_thorough),
                                   ("L", self.L_min, self.L_max, self.L_max_thorough)):
            if lo is not None:
                bits.append(f"{name} >= {lo}")
            if hi is not None:
                bits.append(f"{name} <= {hi}" + (f" (<= {hi_t} with --profile thorough)" if hi_t not in (None, hi) else ""))
        if self.pair_text:
            bits.append(self.pair_text)
        text = ", ".join(bits) or "every value of the claim's domain"
        if self.what:
            text = f"{self.what}: {text}"
        if self.cost:
            text += f"; cost grows with {self.cost}"
        return text


@dataclass(frozen=True)
class Part:
    """One part of a claim's statement, so that the scope can say what each check establishes."""

    id: str
    text: str


@dataclass(frozen=True)
class Figure:
    """A PNG figure attached to a check's evidence."""

    title: str
    png: bytes
    caption: str = ""


@dataclass
class Outcome:
    """What one run of a check found: held (True), refuted (False) or undecided (None).

    ``evidence`` holds the measured numbers (JSON-friendly scalars, lists, dicts), taken
    from the variables that ran.  A refutation must carry ``counterexample``: the exact
    inputs a reader can recompute; an undecided outcome says in ``note`` what ran out and
    how far it got.  ``established`` optionally narrows the range the check actually
    decided (e.g. ``{"K": [3, 4], "delta": "[2π/(4K), 2π/K]"}``); by default it is the
    (K, L) grid that ran.
    """

    holds: bool | None
    evidence: dict[str, Any] = field(default_factory=dict)
    counterexample: dict[str, Any] | None = None
    figures: list[Figure] = field(default_factory=list)
    note: str = ""
    established: dict[str, Any] | None = None

    @classmethod
    def held(cls, evidence: dict[str, Any] | None = None, **kw: Any) -> "Outcome":
        return cls(True, evidence or {}, **kw)

    @classmethod
    def refuted(cls, counterexample: dict[str, Any], evidence: dict[str, Any] | None = None, **kw: Any) -> "Outcome":
        if not counterexample:
            raise ValueError("a refutation needs a counterexample")
        return cls(False, evidence or {}, counterexample=counterexample, **kw)

    @classmethod
    def undecided(cls, reason: str, evidence: dict[str, Any] | None = None, **kw: Any) -> "Outcome":
        if not reason:
            raise ValueError("an undecided outcome must say what ran out")
        return cls(None, evidence or {}, note=reason, **kw)

    @property
    def undecided_(self) -> bool:
        return self.holds is None


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
    pairs: tuple[tuple[int, int], ...] | None = None
    deadline: float | None = None

    @property
    def thorough(self) -> bool:
        return self.profile == "thorough"

    def KL_pairs(self) -> tuple[tuple[int, int], ...]:
        """The (K, L) pairs to run: the check's admitted pairs, else the product of the grids."""
        if self.pairs is not None:
            return self.pairs
        return tuple((K, L) for K in self.K for L in self.L)

    def time_left(self) -> float:
        return math.inf if self.deadline is None else self.deadline - time.monotonic()

    def rng(self, salt: int = 0) -> np.random.Generator:
        """A generator seeded from ``seed`` (and a salt, for independent streams)."""
        return np.random.default_rng([self.seed, salt])

    def report(self, fraction: float, message: str = "") -> None:
        """Progress of a long loop; also where the time budget is enforced.

        Past the deadline this raises :class:`BudgetExhausted` (INCONCLUSIVE, never FAIL),
        saying how far the check got.
        """
        if self.progress is not None:
            self.progress(fraction, message)
        self.check_budget(f"reached {100 * fraction:.0f}%" + (f" ({message})" if message else ""))

    def check_budget(self, where: str = "") -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise BudgetExhausted(f"time budget exhausted; {where}" if where else "time budget exhausted")


CheckFn = Callable[..., Outcome]


@dataclass(frozen=True)
class Check:
    """One piece of evidence for a claim, with its negative control.

    ``fn(ctx, **statement)`` checks the claim; ``fn(ctx, **control)`` runs the same
    machinery on a plausible wrong variant (``control_description`` says which, and
    ``control_why`` why someone could make that mistake), which must come back refuted.
    ``precision`` states the arithmetic and tolerance used; ``K``/``L`` are the default
    grids (``thorough_K``/``thorough_L`` for the thorough profile).

    What the check can decide is declared in ``serves`` (``K_cap``/``L_cap`` are the
    short form of ``Serves(K_max=..., L_max=...)``); what it establishes in ``covers``
    (part ids of the claim; empty: the whole statement), ``for_all`` (non-empty, e.g.
    ``"all K, L"``, when its argument proves the part for every parameter, not only for
    the values it ran) and ``method`` (a few words for the scope, e.g. ``"exhaustive"``).

    ``finding`` is non-empty when this check is known to REFUTE the (rebuilt) statement: it
    says what was found.  The verdict is still computed (FAIL when the counterexample is
    reproduced); the finding only lets pytest expect that FAIL (a strict xfail) and the
    report name it, instead of the statement being adjusted until it passes.

    ``open_problem`` is non-empty when the check addresses a question nobody has settled (a case the
    paper leaves open) and is expected to stay undecided: it says what is open.  The verdict is still
    computed (INCONCLUSIVE with the certified numbers); pytest then expects INCONCLUSIVE (a strict
    xfail: a PASS means the question was settled and the declaration must go), and FAIL, UNSOUND or
    ERROR still fail the test.
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
    control_why: str = ""
    serves: Serves | None = None
    covers: tuple[str, ...] = ()
    for_all: str = ""
    method: str = ""
    finding: str = ""
    open_problem: str = ""
    # May ``--split N`` run this check on chunks of its K (else L) grid as separate tasks, combined by the
    # runner (ncdepth.parallel)?  None: fuzz checks yes, others no.  Declare True only when the check's
    # verdict on a grid is the conjunction of its verdicts on the grid's parts (no fit across the grid).
    splittable: bool | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]+", self.name):
            raise ValueError(f"check name {self.name!r} must be snake_case")
        if not isinstance(self.level, Level):
            raise TypeError("level must be a Level")
        if self.control is None or not self.control_description:
            raise ValueError(f"check {self.name!r} must ship a negative control")
        if dict(self.control) == dict(self.statement):
            raise ValueError(f"check {self.name!r}: the control must differ from the statement")
        if isinstance(self.covers, str):
            raise TypeError(f"check {self.name!r}: covers must be a tuple of part ids")
        if self.for_all and self.level in (Level.NUMERIC, Level.FUZZ, Level.EMPIRICAL):
            raise ValueError(f"check {self.name!r}: a {self.level.value} check cannot prove a statement for all parameters")

    def declared_serves(self) -> Serves:
        """``serves``, with ``K_cap``/``L_cap`` folded in."""
        s = self.serves or Serves()
        if self.K_cap is not None or self.L_cap is not None:
            from dataclasses import replace

            s = replace(s, K_max=self.K_cap if self.K_cap is not None else s.K_max,
                        L_max=self.L_cap if self.L_cap is not None else s.L_max)
        return s

    def caps(self, thorough: bool = False) -> tuple[int | None, int | None]:
        """Largest K and L this check accepts from a user override.

        The declared bounds win; a fuzz check otherwise draws from at most the largest value
        of its own grids (default and thorough), so ``ncdepth fuzz --K 4:65536`` restricts
        each check to the part of the range it supports instead of stalling on it.
        """
        s = self.declared_serves()

        def cap(explicit, *grids):
            if explicit is not None:
                return explicit
            if self.level != Level.FUZZ:
                return None
            values = [v for g in grids if g for v in g]
            return max(values) if values else None

        return (cap(s.K_bound(thorough), self.K, self.thorough_K),
                cap(s.L_bound(thorough), self.L, self.thorough_L))

    def default_grid(self, thorough: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
        K = self.thorough_K if (thorough and self.thorough_K is not None) else self.K
        L = self.thorough_L if (thorough and self.thorough_L is not None) else self.L
        return tuple(K), tuple(L)


@dataclass(frozen=True)
class Claim:
    """One claim of the paper, one node of the dependency graph.

    ``parts`` splits the statement into the pieces checks establish separately (default:
    one part, the whole statement); ``uncovered`` names what no check of this claim
    covers (a cited inequality, an assumption), shown with the scope.
    """

    id: str
    title: str
    statement: str
    latex: str
    reference: str
    domain: Domain
    checks: tuple[Check, ...]
    depends_on: tuple[str, ...] = ()
    notes: str = ""
    parts: tuple[Part, ...] = ()
    uncovered: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [c.name for c in self.checks]
        if len(set(names)) != len(names):
            raise ValueError(f"claim {self.id}: duplicate check names {names}")
        if not self.checks:
            raise ValueError(f"claim {self.id} has no checks")
        part_ids = {p.id for p in self.statement_parts}
        for c in self.checks:
            unknown = [p for p in c.covers if p not in part_ids]
            if unknown:
                raise ValueError(f"claim {self.id}, check {c.name}: covers unknown part(s) {unknown}")

    @property
    def statement_parts(self) -> tuple[Part, ...]:
        return self.parts or (Part("statement", self.statement),)

    def checks_covering(self, part_id: str) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.covers or part_id in c.covers)

    @property
    def levels(self) -> tuple[Level, ...]:
        seen: list[Level] = []
        for c in self.checks:
            if c.level not in seen:
                seen.append(c.level)
        return tuple(seen)


# Unnumbered results of the main text, by the section that states them.
_SECTION_OF = {"S2-BAL": 2, "L1-SADDLE": 2}


def paper_order(claim_id: str) -> tuple:
    """Sort key: main text by section, then appendices by letter, then experiments."""
    m = re.fullmatch(r"([A-Z])(\d+)\.(\d+)", claim_id)
    if m:  # T3.1, S3.2, T4.5 ...
        return (0, int(m.group(2)), int(m.group(3)), m.group(1))
    if claim_id in _SECTION_OF:  # S2-BAL, L1-SADDLE: before the section's numbered results
        return (0, _SECTION_OF[claim_id], 0, claim_id)
    m = re.fullmatch(r"([A-Z])-([A-Z])\.(\d+)", claim_id)
    if m:  # L-D.5, P-C.1 ...
        return (1, m.group(2), int(m.group(3)), m.group(1))
    m = re.fullmatch(r"E-(\d+)(\w*)", claim_id)
    if m:  # E-2, E-3b
        return (2, int(m.group(1)), m.group(2), "")
    if claim_id.startswith("E-"):  # E-ODE comes first among the experiments
        return (2, 0, claim_id, "")
    return (3, claim_id, 0, "")
