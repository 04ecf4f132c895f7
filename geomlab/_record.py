"""Small frozen result records that print, render in notebooks and export.

A result class is a frozen dataclass that inherits :class:`Record` and defines
``rows()`` (a list of flat dicts, the table it shows). The mixin gives it ``to_dict``,
``to_json``, ``to_csv``, a terminal table (``str``) and ``_repr_html_``.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import math
from pathlib import Path

import numpy as np

__all__ = ["Record", "to_jsonable", "format_table"]


def to_jsonable(obj):
    """Convert numpy values, records, tuples and paths into plain JSON types."""
    if isinstance(obj, Record):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _cell(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return str(v)


def format_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A plain aligned text table."""
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])
    cells = [[_cell(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    num = [all(isinstance(r.get(c), (int, float, np.number)) for r in rows) for c in columns]

    def fmt(vals):
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(vals, widths, num))

    lines = [fmt(columns), "  ".join("-" * w for w in widths)]
    lines += [fmt(row) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _dataframe(rows: list[dict]):
    """A pandas DataFrame of ``rows`` (pandas imported only here)."""
    try:
        import pandas as pd
    except ImportError:
        from .errors import MissingDependencyError

        raise MissingDependencyError(
            "to_pandas needs pandas: pip install 'geomlab[pandas]' (or pip install pandas)"
        ) from None
    return pd.DataFrame.from_records(rows)


class Record:
    """Mixin for frozen dataclass results."""

    def rows(self) -> list[dict]:
        """The result as a table: a list of flat dicts (one per word, question, ...)."""
        return [self.summary()]

    def summary(self) -> dict:
        """Scalar fields (numbers and strings) as a flat dict."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float, str, bool, np.number)) or v is None:
                out[f.name] = v
        return out

    def to_dict(self) -> dict:
        """Every field, converted to plain JSON types."""
        return {
            f.name: to_jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not f.name.startswith("_")
        }

    def to_pandas(self):
        """:meth:`rows` as a pandas DataFrame (pandas is imported only when called)."""
        return _dataframe(self.rows())

    def to_json(self, path: str | Path | None = None, *, indent: int | None = 2) -> str:
        """JSON text of :meth:`to_dict`; also written atomically to ``path`` when given."""
        # to_jsonable again: a record's own to_dict may hand over arrays as they are
        text = json.dumps(to_jsonable(self.to_dict()), indent=indent, ensure_ascii=False)
        if path is not None:
            from ._io import write_text_atomic

            write_text_atomic(path, text + "\n")
        return text

    def to_csv(self, path: str | Path | None = None) -> str:
        """CSV text of :meth:`rows`; also written atomically to ``path`` when given."""
        rows = self.rows()
        buf = io.StringIO()
        if rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            for r in rows:
                writer.writerow({k: to_jsonable(v) for k, v in r.items()})
        text = buf.getvalue()
        if path is not None:
            from ._io import write_text_atomic

            write_text_atomic(path, text)
        return text

    def __str__(self) -> str:
        return format_table(self.rows())

    def _repr_html_(self) -> str:
        rows = self.rows()
        title = html.escape(type(self).__name__)
        if not rows:
            return f"<b>{title}</b>: no rows"
        cols = list(rows[0])
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c, '')))}</td>" for c in cols) + "</tr>"
            for r in rows
        )
        return f"<b>{title}</b><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
