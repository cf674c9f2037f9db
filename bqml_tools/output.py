"""Render result DataFrames as a text table, JSON (a list of objects) or CSV."""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "json", "csv")


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
    return frame.to_string(index=False, float_format=lambda v: f"{v:.6g}")


def format_plain(rows: list[dict[str, Any]], fmt: str) -> str:
    """``format_frame(pd.DataFrame(rows), fmt)`` without importing pandas, for rows of printable
    strings and ints (what ``fingerprint`` prints); anything else goes through pandas. A property
    test checks the two agree character for character."""
    columns = list(rows[0]) if rows else []
    plain = rows and all(list(r) == columns for r in rows) and all(
        type(v) is int or (type(v) is str and v.isprintable()) for r in rows for v in r.values())
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
        numeric = type(rows[0][c]) is int
        # pandas' to_string(index=False): a leading space before numeric headers only
        header = (" " + c) if numeric else c
        values = [str(r[c]) for r in rows]
        width = max(len(header), *map(len, values))
        cells.append([header.rjust(width)] + [v.rjust(width) for v in values])
    return "\n".join(" ".join(line) for line in zip(*cells))
