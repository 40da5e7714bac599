"""Matplotlib figures rendered to PNG bytes for the report (Agg backend, no display)."""

from __future__ import annotations

import io
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ncdepth.registry import Figure  # noqa: E402

__all__ = ["render", "plt"]


def render(title: str, draw: Callable[[plt.Figure], None], caption: str = "",
           size: tuple[float, float] = (6.0, 4.0)) -> Figure:
    """Create a figure, let ``draw(fig)`` fill it, and return it as an embedded PNG."""
    fig = plt.figure(figsize=size, dpi=110)
    try:
        draw(fig)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return Figure(title=title, png=buf.getvalue(), caption=caption)
