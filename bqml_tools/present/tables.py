"""Render result DataFrames as a text table, JSON (a list of objects) or CSV."""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "json", "csv")
# Columns printed as the shortest text that parses back to the same double (repr), never rounded: a
# threshold pasted back into `evaluate --threshold` must give the counts that were reported at it. JSON
# and CSV write every double that way already (json.dumps and pandas' to_csv use repr).
EXACT_COLUMNS = ("threshold", "threshold_upper")


def exact(value: Any) -> str:
    """A double as the shortest text that parses back to it: repr (``0.6673998533957295``) without a
    trailing ``.0`` (``0``, ``1``); NaN as NaN."""
    from ..core.plan import shortest_text

    return "NaN" if value is None or value != value else shortest_text(value)


def _plain(value: Any) -> Any:
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def format_frame(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(records(frame), indent=2)
    if fmt == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if frame.empty:
        return "(no rows)"
    formatters = {c: exact for c in frame.columns if c in EXACT_COLUMNS and frame[c].dtype.kind == "f"}
    # one more character than the widest cell, as pandas leaves before every float (room for a sign)
    widths = {c: 1 + max(len(str(c)), *(len(exact(v)) for v in frame[c])) for c in formatters}
    return frame.to_string(index=False, float_format=lambda v: f"{v:.6g}", formatters=formatters,
                           col_space=widths or None)


def format_plain(rows: list[dict[str, Any]], fmt: str) -> str:
    """``format_frame(pd.DataFrame(rows), fmt)`` without importing pandas, for rows of printable
    strings, ints and bools (what ``fingerprint`` and ``which-split`` print); anything else goes through pandas. A property
    test checks the two agree character for character."""
    columns = list(rows[0]) if rows else []
    plain = rows and all(list(r) == columns for r in rows) and all(
        type(v) in (int, bool) or (type(v) is str and v.isprintable()) for r in rows for v in r.values())
    plain = plain and all(len({type(r[c]) for r in rows}) == 1 for c in columns)
    if not plain:
        import pandas as pd

        return format_frame(pd.DataFrame(rows), fmt)
    if fmt == "json":
        return json.dumps(rows, indent=2)
    if fmt == "csv":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([r[c] for c in columns] for r in rows)
        return out.getvalue().rstrip("\n")
    cells = []
    for c in columns:
        numeric = type(rows[0][c]) in (int, bool)
        # pandas' to_string(index=False): a leading space before numeric (and bool) headers only
        header = (" " + c) if numeric else c
        values = [str(r[c]) for r in rows]
        width = max(len(header), *map(len, values))
        cells.append([header.rjust(width)] + [v.rjust(width) for v in values])
    return "\n".join(" ".join(line) for line in zip(*cells))


NATURAL_ORDER = ("train", "valid", "test")


def natural_order(frame: Any, columns: Sequence[str]) -> Any:
    """Rows with train, valid, test first (in that order) in each of ``columns``, the rest as they came."""
    if not columns or frame.empty:
        return frame
    rank = {name: i for i, name in enumerate(NATURAL_ORDER)}
    keys = [frame[c].map(lambda v: rank.get(v, len(rank)) if isinstance(v, str) else len(rank)) for c in columns]
    order = sorted(range(len(frame)), key=lambda i: tuple(int(k.iat[i]) for k in keys))
    out = frame.iloc[order].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def splits_in_natural_order(strata: Any, splits: Sequence[str]) -> Any:
    """The strata table with its per-split columns (``splits``, in natural order) where they were."""
    columns = list(strata.columns)
    named = [c for c in columns if c in splits]
    if not named:
        return strata
    first = columns.index(named[0])
    others = [c for c in columns if c not in named]
    return strata[others[:first] + [c for c in splits if c in named] + others[first:]]


def transposed(frame: Any) -> str:
    """One row as ``metric  value`` lines: names on the left, values right-aligned."""
    import pandas as pd

    def cell(value: Any) -> str:
        if value is None or value is pd.NA:
            return "NULL"
        if isinstance(value, float):
            return "NaN" if math.isnan(value) else f"{value:.6g}"
        return str(value.item() if hasattr(value, "item") else value)

    names = [str(c) for c in frame.columns]
    values = [exact(v) if n in EXACT_COLUMNS and isinstance(v, float) else cell(v)
              for n, v in zip(names, frame.iloc[0])]
    left = max(len("metric"), *map(len, names))
    right = max(len("value"), *map(len, values))
    lines = [f"{'metric':<{left}}  {'value':>{right}}"]
    lines += [f"{n:<{left}}  {v:>{right}}" for n, v in zip(names, values)]
    return "\n".join(lines)
