"""Validation of user-supplied names before they reach SQL.

Names are validated against conservative patterns and then quoted by the dialect macros;
nothing the user types is pasted into SQL raw. Values (salts, thresholds, split names) are
never identifiers: they become query parameters or escaped literals.
"""
from __future__ import annotations

import itertools
import re
import sys
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import InvalidIdentifier
from .options import refusal

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
# An in-memory source (a pandas DataFrame or a pyarrow Table) is named _bqml_frame_<n> in the SQL;
# DuckDBEngine registers the object under that name while a query that mentions it runs.
FRAME_PREFIX = RESERVED_PREFIX + "frame_"
FRAME_NAME = re.compile(r'"(' + FRAME_PREFIX + r'[0-9]+)"')  # as duckdb__relation quotes it
_frame_numbers = itertools.count(1)
_frame_lock = threading.Lock()
_frames: "weakref.WeakValueDictionary[str, Source]" = weakref.WeakValueDictionary()
_read_readers: "weakref.WeakSet[Any]" = weakref.WeakSet()


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
    """Raise InvalidIdentifier when a column of ``where`` (a source's schema) starts with the reserved
    prefix ``_bqml_``."""
    clashing = [c for c in columns if c.lower().startswith(RESERVED_PREFIX)]
    if clashing:
        one = len(clashing) == 1
        raise InvalidIdentifier(
            f"{where} has {'a column' if one else 'columns'} {', '.join(map(repr, clashing))}: names starting "
            f"with {RESERVED_PREFIX!r} are reserved for bqml_tools' working columns; rename "
            f"{'it' if one else 'them'} in a view first (e.g. SELECT {clashing[0]} AS "
            f"{_unreserved(clashing[0])}, ...)"
        )


def refuse_reserved_options(named: Iterable[tuple[str, str | None]], outputs: Iterable[str] = ()) -> None:
    """Raise InvalidIdentifier when an option's column name starts with the reserved prefix ``_bqml_``.

    ``named``: (argument, column name) pairs, e.g. ("key", "user_id"); ``outputs``: the arguments that
    name a column bqml_tools adds (e.g. split_column), which only need another name. The message names
    the argument in Python and its flag on the command line (core.options).
    """
    for option, name in named:
        if name is None or not name.lower().startswith(RESERVED_PREFIX):
            continue
        other = _unreserved(name)
        if option in set(outputs):
            fix = f"pass [[{option}]] with another name, e.g. [[{option}={other}]]"
        else:
            fix = (f"no source column may have such a name either: rename it in a view (SELECT {name} AS "
                   f"{other}, ...) and pass [[{option}={other}]]")
        raise refusal(f"[[{option}]] {name!r}: names starting with {RESERVED_PREFIX!r} are reserved for "
                      f"bqml_tools' working columns; {fix}", error=InvalidIdentifier)


def _unreserved(name: str) -> str:
    """``name`` without the reserved prefix, as a suggestion (``_bqml_bucket`` -> ``bucket``)."""
    return name[len(RESERVED_PREFIX):] or "column"


def same_name(a: str, b: str) -> bool:
    """Whether two column names are the same column on BigQuery and DuckDB (case-insensitive)."""
    return a.lower() == b.lower()


@dataclass(frozen=True)
class Source:
    """What a query reads: a table (``project.dataset.table``) or, on DuckDB, a data file."""

    parts: tuple[str, ...] = ()
    path: str | None = None
    file_format: str | None = None  # "csv" | "parquet" for files
    frame: Any = field(default=None, compare=False, repr=False)  # a DataFrame / Arrow table (DuckDB only)
    frame_kind: str | None = None  # "pandas DataFrame" | "pyarrow Table", for messages
    query: str | None = None  # a query source: one SELECT or WITH statement, read as a subquery

    @property
    def is_file(self) -> bool:
        return self.path is not None

    @property
    def is_query(self) -> bool:
        return self.query is not None

    @property
    def is_frame(self) -> bool:
        return self.frame_kind is not None

    def __str__(self) -> str:
        if self.query is not None:  # one line (headers are SQL comments), cut short
            text = " ".join(self.query.split())
            return f"query ({text if len(text) <= 80 else text[:77] + '...'})"
        if self.frame_kind is not None:
            return f"{self.frame_kind} {self.parts[0]}"
        return self.path if self.path is not None else ".".join(self.parts)


def _frame_kind(obj: Any) -> str | None:
    """ "pandas DataFrame" / "pyarrow Table" / "pyarrow RecordBatchReader", without importing either."""
    pandas, pyarrow = sys.modules.get("pandas"), sys.modules.get("pyarrow")
    if pandas is not None and isinstance(obj, pandas.DataFrame):
        return "pandas DataFrame"
    if pyarrow is not None and isinstance(obj, pyarrow.Table):
        return "pyarrow Table"
    if pyarrow is not None and isinstance(obj, pyarrow.RecordBatchReader):
        return "pyarrow RecordBatchReader"
    return None


def frame_source(obj: Any) -> Source:
    """A Source for an in-memory table, named ``_bqml_frame_<n>``; DuckDB reads it in place.

    A RecordBatchReader is read into a Table first: a split or an evaluation may scan its source
    more than once, and a reader can be read only once.
    """
    kind = _frame_kind(obj)
    if kind is None:
        raise InvalidIdentifier(f"source of type {type(obj).__name__} is not a pandas DataFrame or a pyarrow Table")
    if kind == "pyarrow RecordBatchReader":
        if obj in _read_readers:  # a second read would silently give no rows
            raise InvalidIdentifier("this pyarrow RecordBatchReader was already read by an earlier call (a reader "
                                    "can be read once): pass a pyarrow Table (reader.read_all()) to use it again")
        _read_readers.add(obj)
        obj, kind = obj.read_all(), "pyarrow Table"
    with _frame_lock:
        name = f"{FRAME_PREFIX}{next(_frame_numbers)}"
        src = Source(parts=(name,), frame=obj, frame_kind=kind)
        _frames[name] = src
    return src


def frames_in(sql: str) -> dict[str, Any]:
    """The in-memory tables a rendered DuckDB statement reads, by name (those still alive)."""
    found = {}
    for name in set(FRAME_NAME.findall(sql)):
        src = _frames.get(name)
        if src is not None:
            found[name] = src.frame
    return found


QUERY = re.compile(r"\s*\(*\s*(SELECT|WITH)\s", re.I)


def query_source(text: str) -> Source:
    """A query as a source (``SELECT ... FROM ML.PREDICT(MODEL ..., TABLE ...)``): one statement, read as a
    subquery. A ';' is refused anywhere but at the end (even in a string or a comment: bqml_tools does not
    parse the query, so it cannot tell), and so is a NUL byte."""
    body = text.strip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    if ";" in body:
        raise InvalidIdentifier("query source has a ';' before its end: give one SELECT statement (a ';' inside "
                                "a string or a comment counts too: write it as CHR(59))")
    if "\x00" in body:
        raise InvalidIdentifier("query source contains a NUL character")
    return Source(query=body)


def source(text: Any) -> Source:
    """Parse a table name, a CSV/Parquet path (recognised by its suffix), or a query (text that starts with
    SELECT or WITH: one statement, read as a subquery); a pandas DataFrame or a
    pyarrow Table (or RecordBatchReader) becomes an in-memory source that DuckDB reads in place."""
    if isinstance(text, Source):
        return text
    if not isinstance(text, str) and _frame_kind(text) is not None:
        return frame_source(text)
    if not isinstance(text, str):
        raise InvalidIdentifier(
            f"source of type {type(text).__name__} is not supported: pass a table name "
            "(project.dataset.table), a .csv/.parquet path, a pandas DataFrame or a pyarrow Table"
        )
    if QUERY.match(text):
        return query_source(text)
    if not text:
        raise InvalidIdentifier("source is empty: pass a table name (project.dataset.table), a file path, "
                                "a pandas DataFrame or a pyarrow Table")
    suffix = Path(text).suffix.lower()
    if suffix in FILE_SUFFIXES:
        if any(ch in text for ch in "\n\r\x00"):
            raise InvalidIdentifier(f"file path {text!r} contains control characters")
        return Source(path=text, file_format=FILE_SUFFIXES[suffix])
    stripped = text.strip("`") if text.startswith("`") and text.endswith("`") and len(text) > 2 else text
    for pattern in _TABLE_PATTERNS:
        match = pattern.fullmatch(stripped)
        if match:
            parts = tuple(v for v in match.groupdict().values() if v is not None)
            if parts[-1].lower().startswith(FRAME_PREFIX):
                raise InvalidIdentifier(f"table name {text!r}: names starting with {FRAME_PREFIX!r} are reserved "
                                        "for in-memory sources (DataFrames); rename the table")
            return Source(parts=parts)
    project, _, rest = stripped.partition(".")
    if (re.fullmatch(r"[a-z][a-z0-9-]*", project) and not 6 <= len(project) <= 30
            and _TABLE_PATTERNS[0].fullmatch(f"project.{rest}")):
        raise InvalidIdentifier(
            f"source {text!r}: project id {project!r} has {len(project)} characters, and BigQuery project ids "
            "have 6 to 30 (lowercase letters, digits, hyphens): check the project id, or drop it to read "
            "dataset.table"
        )
    raise InvalidIdentifier(
        f"source {text!r} is not a table name: write project.dataset.table (project ids may "
        "contain hyphens; names may not contain quotes, backticks, spaces or semicolons), or "
        "give a path ending in .csv or .parquet"
    )


def chosen(metrics: str | Sequence[str], available: Sequence[str]) -> list[str]:
    """The names ``--metrics`` chooses (comma-separated text or a list), each one of ``available``, in order."""
    wanted = [m.strip() for m in (metrics.split(",") if isinstance(metrics, str) else metrics) if m.strip()]
    text = metrics if isinstance(metrics, str) else ",".join(metrics)
    unknown = [m for m in wanted if m not in available]
    if unknown or not wanted:
        what = f"unknown metric(s) {', '.join(unknown)}" if unknown else "no metric named"
        hint = (" (the _lower and _upper bounds come with [[ci=]])"
                if any(m.endswith(("_lower", "_upper")) for m in unknown) else "")
        raise refusal(f"[[metrics]] {text!r}: {what}{hint}; choose from {', '.join(available)}")
    if len(set(wanted)) != len(wanted):
        raise refusal(f"[[metrics]] {text!r} names a metric twice")
    return wanted
