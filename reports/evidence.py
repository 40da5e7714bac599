"""Evidence records as readable tables: nested dicts flattened to dotted keys, lists of records
as sub-tables, long lists summarised (count, min, max, first and last values).

The raw records stay complete in report.json; these views are for reading.  Numbers keep
up to 6 significant digits where the shortest exact form is longer (the exact form is in
the HTML cell's title and in the JSON).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Item", "flatten", "fmt", "to_html", "to_markdown", "MAX_ROWS", "MAX_LIST"]

MAX_ROWS = 12  # rows of a records table shown (head and tail)
MAX_LIST = 10  # values of a plain list shown in full
MAX_TEXT = 400


@dataclass
class Item:
    key: str
    kind: str  # "value" | "table" | "pre"
    text: str = ""
    exact: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, str]]] = field(default_factory=list)
    total_rows: int = 0
    omitted_at: int | None = None  # rows[omitted_at:] follow the "… more rows" line


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def fmt(v: Any) -> tuple[str, str]:
    """(shown text, exact text) of a scalar."""
    if v is None:
        return "—", "null"
    if isinstance(v, bool):
        return ("true" if v else "false"), str(v).lower()
    if isinstance(v, int):
        return str(v), str(v)
    if isinstance(v, float):
        exact = repr(v)
        if not math.isfinite(v) or len(exact) <= 10:
            return exact, exact
        return f"{v:.6g}", exact
    s = str(v)
    return (s if len(s) <= MAX_TEXT else s[: MAX_TEXT - 1] + "…"), s


def _numbers(values: list) -> list[float] | None:
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in values):
        return [float(x) for x in values]
    return None


def _summary_list(values: list) -> str:
    """A short text for a list of scalars."""
    if len(values) <= MAX_LIST:
        return "[" + ", ".join(fmt(x)[0] for x in values) + "]"
    nums = _numbers(values)
    head = ", ".join(fmt(x)[0] for x in values[:4])
    tail = ", ".join(fmt(x)[0] for x in values[-2:])
    if nums is not None:
        finite = [x for x in values if math.isfinite(x)]
        rng = f"min {fmt(min(finite))[0]}, max {fmt(max(finite))[0]}; " if finite else ""
        return f"{len(values)} values: {rng}[{head}, …, {tail}]"
    return f"{len(values)} values: [{head}, …, {tail}]"


def _cell(v: Any) -> tuple[str, str]:
    """(shown, exact) for a table cell that may hold a small nested value."""
    if _is_scalar(v):
        return fmt(v)
    exact = json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, list) and all(_is_scalar(x) for x in v):
        return _summary_list(v), exact
    if isinstance(v, dict) and all(_is_scalar(x) for x in v.values()) and len(v) <= 6:
        return ", ".join(f"{k} = {fmt(x)[0]}" for k, x in v.items()), exact
    if isinstance(v, list) and all(isinstance(x, list) for x in v):
        return f"{len(v)} × {max((len(x) for x in v), default=0)} array", exact
    return (exact if len(exact) <= 120 else exact[:119] + "…"), exact


def _flat_record(r: dict, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """A record with nested dicts spread into dotted columns (two levels deep)."""
    out: dict[str, Any] = {}
    for k, v in r.items():
        if isinstance(v, dict) and v and depth < 2:
            out.update(_flat_record(v, f"{prefix}{k}.", depth + 1))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _table(key: str, records: list[dict], first: str | None = None) -> Item:
    records = [_flat_record(r) for r in records]
    columns: list[str] = [first] if first else []
    for r in records:
        for k in r:
            if k not in columns:
                columns.append(k)
    rows = [[_cell(r.get(c)) if c in r else ("", "") for c in columns] for r in records]
    item = Item(key, "table", columns=columns, total_rows=len(rows))
    if len(rows) > MAX_ROWS:
        head, tail = MAX_ROWS - 3, 3
        item.rows = rows[:head] + rows[-tail:]
        item.omitted_at = head
    else:
        item.rows = rows
    return item


def _uniform_dicts(values: list) -> bool:
    if len(values) < 2 or not all(isinstance(v, dict) and v for v in values):
        return False
    keys = [set(v) for v in values]
    common = set.intersection(*keys)
    return len(common) >= max(1, len(set.union(*keys)) // 2)


def flatten(evidence: dict[str, Any], prefix: str = "") -> list[Item]:
    """Readable items for an evidence record (see the module docstring)."""
    items: list[Item] = []
    for k, v in evidence.items():
        key = f"{prefix}{k}"
        if k == "traceback" and isinstance(v, str):
            items.append(Item(key, "pre", text=v, exact=v))
        elif isinstance(v, dict):
            if not v:
                items.append(Item(key, "value", "{}", "{}"))
            elif _uniform_dicts(list(v.values())):  # {"4,2": {...}, "6,3": {...}}: one row per entry
                items.append(_table(key, [{"key": kk, **vv} for kk, vv in v.items()], first="key"))
            else:
                items.extend(flatten(v, key + "."))
        elif isinstance(v, list):
            if not v:
                items.append(Item(key, "value", "[]", "[]"))
            elif all(_is_scalar(x) for x in v):
                items.append(Item(key, "value", _summary_list(v), json.dumps(v, default=str)))
            elif all(isinstance(x, dict) for x in v):
                items.append(_table(key, v))
            elif all(isinstance(x, list) and all(_is_scalar(y) for y in x) for x in v):
                n_cols = max(len(x) for x in v)
                if len(v) <= 8 and n_cols <= 8:
                    item = Item(key, "table", columns=[], total_rows=len(v))
                    item.rows = [[fmt(y) for y in x] for x in v]
                    items.append(item)
                else:
                    flat = [y for x in v for y in x]
                    nums = [y for y in flat if isinstance(y, (int, float)) and not isinstance(y, bool)
                            and math.isfinite(y)] if _numbers(flat) is not None else []
                    rng = f"; min {fmt(min(nums))[0]}, max {fmt(max(nums))[0]}" if nums else ""
                    items.append(Item(key, "value", f"{len(v)} × {n_cols} array{rng}",
                                      json.dumps(v, default=str)[:2000]))
            else:
                shown, exact = _cell(v)
                items.append(Item(key, "value", shown, exact))
        else:
            shown, exact = fmt(v)
            items.append(Item(key, "value", shown, exact))
    return items


# ----------------------------------------------------------------------------- renderers
def _td(cell: tuple[str, str]) -> str:
    shown, exact = cell
    title = f" title='{html.escape(exact, quote=True)}'" if exact and exact != shown else ""
    if "\n" in shown or "\\" in shown:  # verbatim source (Coq statements, formulas as typed): code, not prose
        return f"<td{title}><code class='verbatim'>{html.escape(shown)}</code></td>"
    return f"<td{title}>{html.escape(shown)}</td>"


def to_html(items: list[Item]) -> str:
    e = html.escape
    out = ["<table class='ev'>"]
    for it in items:
        if it.kind == "pre":
            out.append(f"<tr><th>{e(it.key)}</th><td><pre>{e(it.text)}</pre></td></tr>")
        elif it.kind == "value":
            out.append(f"<tr><th>{e(it.key)}</th>{_td((it.text, it.exact))}</tr>")
        else:
            sub = ["<table class='sub'>"]
            if it.columns:
                sub.append("<tr>" + "".join(f"<th>{e(c)}</th>" for c in it.columns) + "</tr>")
            for i, row in enumerate(it.rows):
                if it.omitted_at is not None and i == it.omitted_at:
                    n = it.total_rows - len(it.rows)
                    sub.append(f"<tr class='more'><td colspan='{max(1, len(row))}'>… {n} more rows "
                               "(all rows in report.json)</td></tr>")
                sub.append("<tr>" + "".join(_td(c) for c in row) + "</tr>")
            sub.append("</table>")
            out.append(f"<tr><th>{e(it.key)}<br><small>{it.total_rows} rows</small></th>"
                       f"<td><div class='scroll'>{''.join(sub)}</div></td></tr>")
    out.append("</table>")
    return "".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(items: list[Item]) -> list[str]:
    lines: list[str] = []
    values = [it for it in items if it.kind == "value"]
    if values:
        lines += ["| quantity | value |", "|---|---|"]
        lines += [f"| {_md(it.key)} | {_md(it.text)} |" for it in values]
    for it in items:
        if it.kind == "pre":
            lines += ["", f"{it.key}:", "", "```", it.text, "```"]
        elif it.kind == "table":
            lines += ["", f"*{it.key}* ({it.total_rows} rows):", ""]
            cols = it.columns or [f"[{j}]" for j in range(max(len(r) for r in it.rows))]
            lines += ["| " + " | ".join(_md(c) for c in cols) + " |", "|" + "---|" * len(cols)]
            for i, row in enumerate(it.rows):
                if it.omitted_at is not None and i == it.omitted_at:
                    lines.append(f"| … {it.total_rows - len(it.rows)} more rows (report.json) |" + " |" * (len(cols) - 1))
                lines.append("| " + " | ".join(_md(c[0]) for c in row) + " |")
    return lines
