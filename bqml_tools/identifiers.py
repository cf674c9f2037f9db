"""Validation of user-supplied names before they reach SQL.

Names are validated against conservative patterns and then quoted by the dialect macros;
nothing the user types is pasted into SQL raw. Values (salts, thresholds, split names) are
never identifiers: they become query parameters or escaped literals.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import InvalidIdentifier

_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")
# BigQuery project ids: 6-30 chars of lowercase letters, digits, hyphens (legacy
# domain-scoped ids look like ``example.com:my-project``). Datasets: letters, digits,
# underscores. Tables: also hyphens.
_PROJECT = r"(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]"
_DATASET = r"[A-Za-z_][A-Za-z0-9_]{0,1023}"
_TABLE = r"[A-Za-z0-9_][A-Za-z0-9_-]{0,1023}"
_TABLE_PATTERNS = (
    re.compile(rf"(?P<project>{_PROJECT})\.(?P<dataset>{_DATASET})\.(?P<table>{_TABLE})"),
    re.compile(rf"(?P<dataset>{_DATASET})\.(?P<table>{_TABLE})"),
    re.compile(rf"(?P<table>{_TABLE})"),
)
FILE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".tsv": "csv"}
# Working columns of the templates live under this prefix; a source column that starts with it
# (in any case: both engines compare column names case-insensitively) could shadow one, so such
# sources are refused instead of giving a silently wrong answer.
RESERVED_PREFIX = "_bqml_"


def column(name: str, role: str = "column") -> str:
    """Return ``name`` if it is a plain column identifier, else raise InvalidIdentifier."""
    if not isinstance(name, str) or not _COLUMN.fullmatch(name):
        raise InvalidIdentifier(
            f"{role} name {name!r} is not a plain identifier: use letters, digits and "
            "underscores, starting with a letter or underscore (rename or alias the column "
            "in a view first)"
        )
    return name


def refuse_reserved(columns: Iterable[str], where: str = "the source") -> None:
    """Raise InvalidIdentifier when a column name starts with the reserved prefix ``_bqml_``."""
    clashing = [c for c in columns if c.lower().startswith(RESERVED_PREFIX)]
    if clashing:
        raise InvalidIdentifier(
            f"{where} has column(s) {', '.join(map(repr, clashing))}: names starting with "
            f"{RESERVED_PREFIX!r} are reserved for bqml_tools' working columns; rename them in a view first"
        )


def same_name(a: str, b: str) -> bool:
    """Whether two column names are the same column on BigQuery and DuckDB (case-insensitive)."""
    return a.lower() == b.lower()


@dataclass(frozen=True)
class Source:
    """What a query reads: a table (``project.dataset.table``) or, on DuckDB, a data file."""

    parts: tuple[str, ...] = ()
    path: str | None = None
    file_format: str | None = None  # "csv" | "parquet" for files

    @property
    def is_file(self) -> bool:
        return self.path is not None

    def __str__(self) -> str:
        return self.path if self.path is not None else ".".join(self.parts)


def source(text: str) -> Source:
    """Parse a table name, or a CSV/Parquet path (recognised by its suffix)."""
    if not isinstance(text, str) or not text:
        raise InvalidIdentifier("source is empty: pass a table name (project.dataset.table) or a file path")
    suffix = Path(text).suffix.lower()
    if suffix in FILE_SUFFIXES:
        if any(ch in text for ch in "\n\r\x00"):
            raise InvalidIdentifier(f"file path {text!r} contains control characters")
        return Source(path=text, file_format=FILE_SUFFIXES[suffix])
    stripped = text.strip("`") if text.startswith("`") and text.endswith("`") and len(text) > 2 else text
    for pattern in _TABLE_PATTERNS:
        match = pattern.fullmatch(stripped)
        if match:
            return Source(parts=tuple(v for v in match.groupdict().values() if v is not None))
    raise InvalidIdentifier(
        f"source {text!r} is not a table name: write project.dataset.table (project ids may "
        "contain hyphens; names may not contain quotes, backticks, spaces or semicolons), or "
        "give a path ending in .csv or .parquet"
    )
