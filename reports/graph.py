"""The claims' dependency graph as inline SVG: graphviz ``dot`` when present, else a networkx layering.

Nodes are claims coloured by their established scope category (:data:`ncdepth.scope.CATEGORIES`);
an edge ``B -> A`` means A depends on B (A's ``depends_on`` lists B), so prerequisites sit above
the results that use them.  Each node links to its claim's section (``#ID``) and carries the
CSS classes ``anc-X`` for every claim X it is an ancestor of (or is), and ``self-X`` for its own id,
so a stylesheet can highlight a claim's ancestors from the URL fragment (``#focus-X``).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from typing import Mapping, Sequence

__all__ = ["Node", "CATEGORY_STYLE", "slug", "ancestors", "descendants", "dependency_svg", "layout_engine"]

# fill, text colour; strongest evidence darkest green, refuted red, broken magenta, undecided amber
CATEGORY_STYLE = {
    "formal": ("#1b7837", "#ffffff"),
    "proved": ("#4dac26", "#ffffff"),
    "certified range": ("#b8e186", "#1a1a1a"),
    "numerical": ("#92c5de", "#1a1a1a"),
    "empirical": ("#d1c4e9", "#1a1a1a"),
    "FAIL": ("#d73027", "#ffffff"),
    "INCONCLUSIVE": ("#fee08b", "#1a1a1a"),
    "broken": ("#c51b7d", "#ffffff"),
    "not run": ("#e0e0e0", "#333333"),
}


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    category: str
    tooltip: str
    linked: bool = True  # the claim has a section in this report


def slug(claim_id: str) -> str:
    """A CSS-safe form of a claim id: ``L-D.5`` -> ``L_D_5``."""
    return re.sub(r"[^A-Za-z0-9]", "_", claim_id)


def ancestors(deps: Mapping[str, Sequence[str]], claim_id: str) -> list[str]:
    """Every claim ``claim_id`` rests on, transitively (not itself), nearest first."""
    seen: list[str] = []
    frontier = list(deps.get(claim_id, ()))
    while frontier:
        nxt = []
        for d in frontier:
            if d not in seen and d != claim_id:
                seen.append(d)
                nxt.extend(deps.get(d, ()))
        frontier = nxt
    return seen


def descendants(deps: Mapping[str, Sequence[str]], claim_id: str) -> list[str]:
    """Every claim that rests on ``claim_id``, transitively."""
    return [c for c in deps if c != claim_id and claim_id in ancestors(deps, c)]


def layout_engine() -> str:
    return "graphviz dot" if shutil.which("dot") else "networkx layers"


def _classes(node_id: str, deps: Mapping[str, Sequence[str]]) -> str:
    """``anc-X`` for X = the node itself and every claim that rests on it."""
    return " ".join(["self-" + slug(node_id), "anc-" + slug(node_id)]
                    + ["anc-" + slug(c) for c in descendants(deps, node_id)])


def _edge_classes(src: str, dst: str, deps: Mapping[str, Sequence[str]]) -> str:
    """An edge belongs to X's ancestor view when its head is X or an ancestor of X."""
    return " ".join(["anc-" + slug(dst)] + ["anc-" + slug(c) for c in descendants(deps, dst)])


def _wrap(title: str, width: int = 22, lines: int = 2) -> list[str]:
    parts = textwrap.wrap(title, width) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1] + "…"
    return parts


def _dot_source(nodes: Sequence[Node], deps: Mapping[str, Sequence[str]]) -> str:
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    out = ["digraph claims {",
           '  graph [rankdir=TB, bgcolor="transparent", nodesep=0.22, ranksep=0.42, fontname="Helvetica", '
           'id="depgraph-root"];',
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.10,0.04", '
           'penwidth=1.0, color="#555555"];',
           '  edge [color="#777777", arrowsize=0.6, penwidth=1.0];']
    ids = {n.id for n in nodes}
    for n in nodes:
        fill, ink = CATEGORY_STYLE.get(n.category, CATEGORY_STYLE["not run"])
        title = "<br/>".join(html.escape(t) for t in _wrap(n.title))
        label = f'<<b>{html.escape(n.id)}</b><br/><font point-size="8">{title}</font>>'
        attrs = [f"id={q('node-' + slug(n.id))}", f"class={q(_classes(n.id, deps))}", f"label={label}",
                 f"fillcolor={q(fill)}", f"fontcolor={q(ink)}", f"tooltip={q(n.tooltip)}"]
        if n.linked:
            attrs.append(f"URL={q('#' + n.id)}")
        else:
            attrs.append('style="rounded,filled,dashed"')
        out.append(f"  {q(n.id)} [{', '.join(attrs)}];")
    for n in nodes:
        for d in deps.get(n.id, ()):
            if d in ids:
                out.append(f"  {q(d)} -> {q(n.id)} [id={q('edge-' + slug(d) + '-' + slug(n.id))}, "
                           f"class={q(_edge_classes(d, n.id, deps))}];")
    out.append("}")
    return "\n".join(out)


def _clean_svg(svg: str) -> str:
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S).replace("&#45;", "-")
    # scale to the page: keep the viewBox, drop the fixed size
    svg = re.sub(r'<svg width="([^"]*)" height="([^"]*)"', r'<svg width="\1" height="\2" class="depgraph" '
                 r'id="depgraph" role="img" aria-label="dependency graph of the claims" '
                 r'style="max-width:100%;height:auto"', svg, count=1)
    return svg.strip()


def _dot_svg(nodes: Sequence[Node], deps: Mapping[str, Sequence[str]]) -> str | None:
    dot = shutil.which("dot")
    if not dot:
        return None
    try:
        out = subprocess.run([dot, "-Tsvg"], input=_dot_source(nodes, deps), capture_output=True, text=True,
                             timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0 or "<svg" not in out.stdout:
        return None
    return _clean_svg(out.stdout)


def _networkx_svg(nodes: Sequence[Node], deps: Mapping[str, Sequence[str]]) -> str:
    """Layered drawing: generations of the DAG as rows, barycentre ordering, straight edges."""
    import networkx as nx

    g = nx.DiGraph()
    ids = [n.id for n in nodes]
    g.add_nodes_from(ids)
    g.add_edges_from((d, n) for n in ids for d in deps.get(n, ()) if d in ids)
    try:
        layers = [sorted(layer, key=ids.index) for layer in nx.topological_generations(g)]
    except nx.NetworkXUnfeasible:  # a cycle: one row per node, in order
        layers = [[i] for i in ids]
    pos: dict[str, float] = {}
    for _ in range(4):  # barycentre sweeps
        for layer in layers:
            for i, v in enumerate(layer):
                preds = [pos[p] for p in g.predecessors(v) if p in pos]
                pos.setdefault(v, float(i))
                if preds:
                    pos[v] = sum(preds) / len(preds)
            layer.sort(key=lambda v: pos[v])
            for i, v in enumerate(layer):
                pos[v] = float(i)
    W, H, gx, gy = 132, 40, 14, 46
    width = max(len(layer) for layer in layers) * (W + gx) + gx
    xy: dict[str, tuple[float, float]] = {}
    for r, layer in enumerate(layers):
        offset = (width - (len(layer) * (W + gx) - gx)) / 2
        for i, v in enumerate(layer):
            xy[v] = (offset + i * (W + gx), gy / 2 + r * (H + gy))
    height = len(layers) * (H + gy)
    by_id = {n.id: n for n in nodes}
    e = html.escape
    parts = [f'<svg class="depgraph" id="depgraph" role="img" aria-label="dependency graph of the claims" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" style="max-width:100%;height:auto" '
             f'xmlns="http://www.w3.org/2000/svg">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>']
    for u, v in g.edges():
        (x1, y1), (x2, y2) = xy[u], xy[v]
        parts.append(f'<g class="edge {e(_edge_classes(u, v, deps))}" id="edge-{slug(u)}-{slug(v)}">'
                     f'<title>{e(u)}-&gt;{e(v)}</title><path fill="none" stroke="#777" marker-end="url(#arrow)" '
                     f'd="M{x1 + W / 2:.1f},{y1 + H:.1f} L{x2 + W / 2:.1f},{y2:.1f}"/></g>')
    for v in ids:
        n = by_id[v]
        x, y = xy[v]
        fill, ink = CATEGORY_STYLE.get(n.category, CATEGORY_STYLE["not run"])
        lines = _wrap(n.title, 24)
        text = (f'<text x="{x + W / 2:.1f}" y="{y + 14:.1f}" text-anchor="middle" font-family="Helvetica,sans-serif" '
                f'font-size="11" font-weight="bold" fill="{ink}">{e(v)}</text>'
                + "".join(f'<text x="{x + W / 2:.1f}" y="{y + 25 + 9 * i:.1f}" text-anchor="middle" '
                          f'font-family="Helvetica,sans-serif" font-size="8" fill="{ink}">{e(t)}</text>'
                          for i, t in enumerate(lines)))
        body = (f'<title>{e(n.tooltip)}</title><path fill="{fill}" stroke="#555" '
                f'{"stroke-dasharray=" + chr(34) + "4 2" + chr(34) + " " if not n.linked else ""}'
                f'd="M{x + 5},{y} h{W - 10} a5,5 0 0 1 5,5 v{H - 10} a5,5 0 0 1 -5,5 h-{W - 10} a5,5 0 0 1 -5,-5 '
                f'v-{H - 10} a5,5 0 0 1 5,-5 z"/>{text}')
        if n.linked:
            body = f'<a href="#{e(v)}">{body}</a>'
        parts.append(f'<g class="node {e(_classes(v, deps))}" id="node-{slug(v)}">{body}</g>')
    parts.append("</svg>")
    return "".join(parts)


def dependency_svg(nodes: Sequence[Node], deps: Mapping[str, Sequence[str]], engine: str | None = None
                   ) -> tuple[str, str]:
    """(inline SVG, the engine that drew it).  ``engine``: "dot", "networkx" or None (dot if present)."""
    if engine in (None, "dot"):
        svg = _dot_svg(nodes, deps)
        if svg is not None:
            return svg, "graphviz dot"
    return _networkx_svg(nodes, deps), "networkx layers"
