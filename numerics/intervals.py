"""Rigorous ball arithmetic helpers (python-flint ``arb``) for certified checks.

flint semantics, stated once: only a comparison that returns True proves
anything (``x > 0`` is False when the ball straddles 0), ``bool(arb(0))`` is True,
and ``arb(0.1)`` is the binary double nearest 0.1: exact constants are built
from integers, strings or fractions with :func:`exact`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Union

import flint

__all__ = ["arb", "exact", "certainly_positive", "certainly_negative", "certainly_less", "working_precision", "ball_str"]

arb = flint.arb
Number = Union[int, Fraction, str]


def exact(x: Number) -> flint.arb:
    """An exact ball from an int, a Fraction, or a decimal/rational string."""
    if isinstance(x, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(x, int):
        return arb(x)
    if isinstance(x, Fraction):
        return arb(x.numerator) / arb(x.denominator)
    if isinstance(x, str):
        if "/" in x:
            return exact(Fraction(x))
        return arb(x)
    raise TypeError(f"build exact balls from int, Fraction or str, not {type(x).__name__} (floats are binary)")


def certainly_positive(x: flint.arb) -> bool:
    return bool(x > 0)


def certainly_negative(x: flint.arb) -> bool:
    return bool(x < 0)


def certainly_less(a: flint.arb, b: flint.arb) -> bool:
    return bool(a < b)


class working_precision:
    """Context manager: ``with working_precision(256): ...`` sets flint's precision in bits."""

    def __init__(self, bits: int):
        self.bits = int(bits)

    def __enter__(self):
        self._old = flint.ctx.prec
        flint.ctx.prec = self.bits
        return self

    def __exit__(self, *exc):
        flint.ctx.prec = self._old
        return False


def ball_str(x: flint.arb, digits: int = 12) -> str:
    return x.str(digits, radius=True)
