"""Row filters (``--where COLUMN=VALUE``): parsed, the column validated, the value typed against the column.

A filter keeps the rows where a column equals a value; several are ANDed. The value is always bound as a
query parameter (or written as an escaped literal when the SQL is printed), typed by the column's type
when the source's schema is known: text for string columns, a whole number for integer columns, a number
for other numeric columns, true/false for BOOL. Without a schema (printing SQL with nothing to read it)
a whole number is read as a number and anything else as text.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

from ..core import identifiers
from ..core.options import refusal
from ..errors import BqmlToolsError

INTEGER = re.compile(r"^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|"
                     r"INT64|INT32|INT16|INT8)\b", re.I)
REAL = re.compile(r"^(FLOAT|FLOAT64|DOUBLE|REAL|NUMERIC|BIGNUMERIC|DECIMAL|BIGDECIMAL)\b", re.I)
BOOLEAN = re.compile(r"^BOOL(EAN)?$", re.I)
TEXT = re.compile(r"^(VARCHAR|STRING|TEXT)\b", re.I)
WHOLE = re.compile(r"^[+-]?[0-9]{1,18}$")

Filter = tuple[str, Any]


def parse(where: Any) -> tuple[Filter, ...]:
    """``where`` as (column, value) pairs: from a mapping, pairs, or ``COLUMN=VALUE`` strings."""
    if isinstance(where, (str, bytes)):
        where = [where]
    if isinstance(where, Mapping):
        pairs = list(where.items())
    elif isinstance(where, (list, tuple)):
        pairs = []
        for item in where:
            if isinstance(item, str):
                column, sep, value = item.partition("=")
                if not sep or not column.strip():
                    raise refusal(f"[[where]] {item!r}: write COLUMN=VALUE, e.g. [[where=split=valid]]")
                pairs.append((column.strip(), value))
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                raise BqmlToolsError(f"where {item!r} must be COLUMN=VALUE text or a (column, value) pair")
    else:
        raise BqmlToolsError(f"where {where!r} must be a mapping of column to value, or COLUMN=VALUE texts")
    for column, value in pairs:
        identifiers.column(column, "--where column")
        identifiers.refuse_reserved_options([("--where", column)])
        if isinstance(value, str) and not value.isprintable():
            raise refusal(f"[[where]] {column}={value!r}: the value must be printable text")
        if value is None or not isinstance(value, (str, int, float)) \
                or isinstance(value, float) and not math.isfinite(value):
            raise refusal(f"[[where]] {column}={value!r}: the value must be text, a finite number or a boolean")
    lowered = [c.lower() for c, _ in pairs]
    if len(set(lowered)) != len(lowered):
        raise refusal(f"[[where]] names a column twice ({', '.join(c for c, _ in pairs)}): a row cannot equal "
                             "two values; give each column once")
    return tuple(pairs)


def typed(column: str, value: Any, sql_type: str | None) -> Any:
    """The value as the column's type holds it (see the module docstring), or a one-line error."""
    text = value if isinstance(value, str) else None
    if sql_type is None:
        return int(text) if text is not None and WHOLE.match(text.strip()) else value
    shown = f"[[where]] {column}={value!r}"
    if TEXT.match(sql_type):
        return str(value) if not isinstance(value, bool) else str(value).lower()
    if BOOLEAN.match(sql_type):
        if isinstance(value, bool):
            return value
        if text is not None and text.strip().lower() in ("true", "false"):
            return text.strip().lower() == "true"
        raise refusal(f"{shown}: {column} is {sql_type}; write true or false")
    if INTEGER.match(sql_type):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if text is not None and WHOLE.match(text.strip()):
            return int(text)
        raise refusal(f"{shown}: {column} is {sql_type}; write a whole number")
    if REAL.match(sql_type):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            number = float(text.strip()) if text is not None else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise refusal(f"{shown}: {column} is {sql_type}; write a finite number")
        return number
    raise refusal(f"{shown}: {column} is {sql_type}, and [[where]] compares string, number and BOOL columns; "
                         f"filter in a query source instead (SELECT * FROM ... WHERE {column} = ...)")


def context(where: tuple[Filter, ...], schema: Mapping[str, str] | None) -> list[tuple[str, str, Any]]:
    """The templates' ``where``: (column, parameter name, typed value) triples."""
    return [(column, f"where_{i}", typed(column, value, None if schema is None else schema[column]))
            for i, (column, value) in enumerate(where)]


def describe(where: tuple[Filter, ...]) -> str:
    """``split = 'valid' AND fold = 3``, for headers and histories (empty without filters)."""
    return " AND ".join(f"{column} = {value!r}" for column, value in where)
