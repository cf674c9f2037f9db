"""Printing a result: warnings on stderr, groups in natural order, chosen columns, one row transposed."""
from __future__ import annotations

from typing import Any, Sequence

import click

from ..present.tables import format_frame, natural_order, transposed


def emit(frame: Any, fmt: str, groups: Sequence[str] = (), metrics: str | None = None,
         transpose: bool = False) -> None:
    """Print a result: warnings on stderr; groups in natural order; only ``metrics`` (with the group
    columns) when given; one row in table format as (metric, value) lines."""
    for warning in frame.attrs.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    frame = natural_order(frame, [c for c in groups if c in frame.columns])
    if metrics is not None:
        frame = choose(frame, metrics, groups)
    if transpose and fmt == "table" and len(frame) == 1:
        click.echo(transposed(frame))
        return
    click.echo(format_frame(frame, fmt))


def choose(frame: Any, metrics: str, groups: Sequence[str]) -> Any:
    """The group columns and the ``--metrics`` columns, in the order given."""
    from ..core.identifiers import chosen

    wanted = chosen(metrics, [c for c in frame.columns if c not in groups])
    return frame[[c for c in groups if c in frame.columns] + wanted]


def points(frame: Any, groups: list[str]) -> str:
    """``1,234 points``, and per group ``(train 1,000, valid 234)`` when there are groups."""
    total = f"{len(frame):,} point{'s' if len(frame) != 1 else ''}"
    if not groups or frame.empty:
        return total
    import pandas as pd

    counts = natural_order(frame.groupby(groups, dropna=False, sort=False).size().reset_index(name="n"), groups)
    parts = [f"{' '.join('NULL' if pd.isna(v) else str(v) for v in row[:-1])} {row[-1]:,}"
             for row in counts.itertuples(index=False)]
    return f"{total} ({', '.join(parts)})"
