"""What a claim's checks establish, computed from their declarations and verdicts.

Every check declares its level, the parts of the claim it ``covers``, whether its
argument is general (``for_all``, e.g. "all K, L") and a ``method``; its run records the
(K, L) grid (or a narrower ``established`` range).  From these, each part of a claim
gets a scope such as "proved for all K, L (symbolic)", "certified for K = 2..16
(exhaustive)", "numerical evidence for K = 3..12" or "empirical: K = 8, L = 1..6":
the strongest evidence first, then weaker evidence where it reaches other values.
A part with a refuting check says REFUTED; a part that no passing check covers says
so, with why.  Nothing here is typed as prose per claim: a claim declares only its
parts and what it leaves ``uncovered`` (a cited result, an assumption).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from .registry import Check, Level, Part, Verdict

__all__ = ["CheckScope", "PartScope", "ClaimScope", "check_scope", "claim_scope", "compress", "CATEGORIES"]

# Colour categories, strongest first (the report colours claims by these).
CATEGORIES = ("formal", "proved", "certified range", "numerical", "empirical",
              "FAIL", "INCONCLUSIVE", "broken", "not run")


@dataclass(frozen=True)
class CheckScope:
    """What one passing check establishes: a phrase, a strength (higher is stronger), a category."""

    phrase: str
    strength: int
    category: str


@dataclass
class PartScope:
    part: Part
    status: str  # established | refuted | undecided | broken | not run
    text: str
    category: str
    checks: list[str] = field(default_factory=list)


@dataclass
class ClaimScope:
    parts: list[PartScope]
    uncovered: tuple[str, ...]

    @property
    def category(self) -> str:
        """The claim's colour: REFUTED beats everything; else its weakest part."""
        cats = [p.category for p in self.parts]
        for bad in ("FAIL", "broken", "INCONCLUSIVE", "not run"):
            if bad in cats:
                return bad
        return max(cats, key=CATEGORIES.index) if cats else "not run"

    @property
    def headline(self) -> str:
        if len(self.parts) == 1:
            text = self.parts[0].text
        else:
            text = " | ".join(f"{p.part.id}: {p.text}" for p in self.parts)
        if self.uncovered:
            text += " | not covered: " + "; ".join(self.uncovered)
        return text

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "headline": self.headline,
                "parts": [{"id": p.part.id, "statement": p.part.text, "status": p.status, "scope": p.text,
                           "category": p.category, "checks": p.checks} for p in self.parts],
                "uncovered": list(self.uncovered)}


def compress(name: str, values: Sequence[int]) -> str:
    """``K = 3..12``, ``K = 2^1..2^10``, ``K = 4``, ``K ∈ {3, 5, 8}``."""
    vals = sorted(set(int(v) for v in values))
    if not vals:
        return ""
    if len(vals) == 1:
        return f"{name} = {vals[0]}"
    if vals[-1] - vals[0] + 1 == len(vals):
        return f"{name} = {vals[0]}..{vals[-1]}"
    if all(v > 0 and v & (v - 1) == 0 for v in vals):
        exps = [v.bit_length() - 1 for v in vals]
        if exps[-1] - exps[0] + 1 == len(exps) and len(vals) > 2:
            return f"{name} = 2^{exps[0]}..2^{exps[-1]}"
    shown = ", ".join(map(str, vals[:8])) + (f", … ({len(vals)} values, max {vals[-1]})" if len(vals) > 8 else "")
    return f"{name} ∈ {{{shown}}}"


def _range_text(result) -> str:
    est = result.established
    if est:
        bits = []
        for k, v in est.items():
            if isinstance(v, (list, tuple)) and v and all(isinstance(x, int) for x in v):
                bits.append(compress(k, v))
            else:
                bits.append(f"{k} {v}" if isinstance(v, str) and v[:1] in "<>≤≥∈[(" else f"{k} = {v}")
        return ", ".join(bits)
    bits = []
    if result.params.get("K"):
        bits.append(compress("K", result.params["K"]))
    if result.params.get("L"):
        bits.append(compress("L", result.params["L"]))
    return ", ".join(bits)


def check_scope(check: Check, result) -> CheckScope:
    """The scope one PASS establishes."""
    rng = _range_text(result)
    at = f" for {rng}" if rng else ""
    method = f", {check.method}" if check.method else ""
    lvl = check.level
    if check.for_all:
        if lvl == Level.FORMAL:
            return CheckScope(f"proved for {check.for_all} (formal, Coq kernel{method})", 7, "formal")
        return CheckScope(f"proved for {check.for_all} ({lvl.value}{method})", 6, "proved")
    if lvl == Level.FORMAL:
        return CheckScope(f"proved{at} (formal, Coq kernel{method})", 5, "certified range")
    if lvl == Level.SYMBOLIC:
        return CheckScope(f"proved{at} (symbolic{method})", 5, "certified range")
    if lvl == Level.CERTIFIED:
        return CheckScope(f"certified{at} ({check.method or 'rigorous arithmetic'})", 4, "certified range")
    if lvl == Level.NUMERIC:
        return CheckScope(f"numerical evidence{at}{(' (' + check.method + ')') if check.method else ''}", 3, "numerical")
    if lvl == Level.FUZZ:
        n = result.params.get("examples")
        return CheckScope(f"fuzzed{(' over ' + rng) if rng else ''}" + (f" ({n} examples)" if n else ""), 2, "numerical")
    return CheckScope(f"empirical{(': ' + rng) if rng else ''}{(' (' + check.method + ')') if check.method else ''}",
                      1, "empirical")


def _part_scope(claim, part: Part, results_by_name: dict) -> PartScope:
    covering = [c for c in claim.checks_covering(part.id) if c.name in results_by_name]
    rs = [(c, results_by_name[c.name]) for c in covering]
    refuted = [c.name for c, r in rs if r.verdict == Verdict.FAIL]
    if refuted:
        return PartScope(part, "refuted", "REFUTED (" + ", ".join(refuted) + ": counterexample in the check)", "FAIL", refuted)
    broken = [c.name for c, r in rs if r.verdict in (Verdict.UNSOUND, Verdict.ERROR)]
    passed = [(c, r) for c, r in rs if r.verdict == Verdict.PASS]
    undecided = [c.name for c, r in rs if r.verdict == Verdict.INCONCLUSIVE]
    if passed:
        scopes = sorted(((check_scope(c, r), c.name) for c, r in passed), key=lambda t: -t[0].strength)
        seen, phrases = set(), []
        for sc, _ in scopes:
            if sc.phrase not in seen:
                seen.add(sc.phrase)
                phrases.append(sc.phrase)
        text = "; ".join(phrases)
        extra = []
        if undecided:
            extra.append("undecided: " + ", ".join(undecided))
        if broken:
            extra.append("check broken: " + ", ".join(broken))
        if extra:
            text += " (" + "; ".join(extra) + ")"
        cat = scopes[0][0].category if not broken else "broken"
        return PartScope(part, "established", text, cat, [n for _, n in scopes])
    if broken:
        return PartScope(part, "broken", "not established: check broken (" + ", ".join(broken) + ")", "broken", broken)
    if undecided:
        return PartScope(part, "undecided", "undecided (" + ", ".join(undecided) + "; see the check's message)",
                         "INCONCLUSIVE", undecided)
    skipped = [c.name for c, r in rs if r.verdict == Verdict.SKIP]
    why = "no selected check covers it" if not rs else "its checks were skipped (" + ", ".join(skipped) + ")"
    return PartScope(part, "not run", f"not established by this run: {why}", "not run", skipped)


def claim_scope(claim_result) -> ClaimScope:
    claim = claim_result.claim
    by_name = {r.name: r for r in claim_result.checks}
    parts = [_part_scope(claim, p, by_name) for p in claim.statement_parts]
    return ClaimScope(parts, tuple(claim.uncovered))
