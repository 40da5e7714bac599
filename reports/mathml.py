"""LaTeX to MathML for the HTML report, offline (latex2mathml): browsers render MathML natively.

``to_mathml`` returns the MathML of a formula, or None when latex2mathml cannot convert it
faithfully (then the caller shows the source, marked as such).  A conversion counts as
faithful only when no LaTeX command is left in the MathML's text (latex2mathml copies some
unknown tokens through verbatim, e.g. ``\\Big\\|``; the known ones are repaired here).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

__all__ = ["to_mathml", "inline_math", "TEX_COMMAND"]

TEX_COMMAND = re.compile(r"\\[A-Za-z]+|\\[|{}]")
_TEXT = re.compile(r">([^<]*)<")
# tokens latex2mathml passes through verbatim inside <mo>/<mi>, and what they mean
_REPAIRS = {r"\|": "&#x02016;", r"\{": "{", r"\}": "}", r"\lVert": "&#x02016;", r"\rVert": "&#x02016;",
            r"\lvert": "|", r"\rvert": "|"}


@lru_cache(maxsize=1024)
def to_mathml(latex: str, display: bool = True) -> str | None:
    try:
        from latex2mathml.converter import convert
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        out = convert(latex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any parser failure means: show the source
        return None

    def repair(m: re.Match) -> str:
        text = m.group(1)
        for bad, good in _REPAIRS.items():
            text = text.replace(bad, good)
        return f">{text}<"

    out = _TEXT.sub(repair, out)
    if any(TEX_COMMAND.search(html.unescape(t)) for t in _TEXT.findall(out)):
        return None
    return out


_DOLLARS = re.compile(r"\$([^$\n]+)\$")


def inline_math(text: str) -> str:
    """HTML-escape ``text``, rendering ``$...$`` spans as inline MathML (source kept when not faithful)."""
    out, last = [], 0
    for m in _DOLLARS.finditer(text):
        out.append(html.escape(text[last:m.start()]))
        mml = to_mathml(m.group(1), display=False)
        out.append(mml if mml is not None else f"<code class='tex'>{html.escape(m.group(0))}</code>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
