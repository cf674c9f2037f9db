"""Key columns and their canonical string, shared byte for byte by BigQuery and DuckDB.

A key column's engine type maps to one *kind*; the dialect macro ``key_string`` writes the
kind's canonical string (see README, "Keys"):

=========  =====================================================  =========================
kind       canonical string                                       BigQuery / DuckDB types
=========  =====================================================  =========================
STRING     the text itself                                        STRING / VARCHAR, UUID
INT64      decimal digits, ``-`` for negatives                    INT64 / all integer types
BOOL       ``true`` or ``false``                                  BOOL / BOOLEAN
DATE       ``YYYY-MM-DD``                                         DATE / DATE
DATETIME   ``YYYY-MM-DDTHH:MM:SS.ffffff``                         DATETIME / TIMESTAMP
TIMESTAMP  the same, in UTC                                       TIMESTAMP / TIMESTAMPTZ
BYTES      lowercase hex                                          BYTES / BLOB
NUMERIC    plain decimal, no trailing zeros (``1.5``, ``-2``)     (BIG)NUMERIC / DECIMAL
=========  =====================================================  =========================

FLOAT64 keys are refused: float-to-string differs between the engines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UnsupportedKeyType
from .options import refusal

KINDS = ("STRING", "INT64", "BOOL", "DATE", "DATETIME", "TIMESTAMP", "BYTES", "NUMERIC")

_ALIASES = {
    # BigQuery names
    "STRING": "STRING", "INT64": "INT64", "INTEGER": "INT64", "INT": "INT64", "BOOL": "BOOL",
    "BOOLEAN": "BOOL", "DATE": "DATE", "DATETIME": "DATETIME",
    "BYTES": "BYTES", "NUMERIC": "NUMERIC", "BIGNUMERIC": "NUMERIC", "DECIMAL": "NUMERIC",
    "BIGDECIMAL": "NUMERIC",
    # DuckDB names
    "VARCHAR": "STRING", "TEXT": "STRING", "UUID": "STRING", "BIGINT": "INT64",
    "SMALLINT": "INT64", "TINYINT": "INT64", "HUGEINT": "INT64", "UBIGINT": "INT64",
    "UINTEGER": "INT64", "USMALLINT": "INT64", "UTINYINT": "INT64", "UHUGEINT": "INT64",
    "TIMESTAMP_S": "DATETIME", "TIMESTAMP_MS": "DATETIME", "TIMESTAMP_NS": "DATETIME",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "TIMESTAMPTZ": "TIMESTAMP", "BLOB": "BYTES",
}
_FLOATS = {"FLOAT64", "FLOAT", "DOUBLE", "REAL", "FLOAT32"}


def kind_of(engine_type: str, dialect: str, column: str) -> str:
    """The canonical kind of a column from its engine type name (``DECIMAL(18,3)`` -> NUMERIC)."""
    base = re.sub(r"\(.*\)$", "", engine_type.strip().upper()).strip()
    if base == "TIMESTAMP":  # BigQuery's TIMESTAMP is an instant; DuckDB's is a wall-clock datetime
        return "TIMESTAMP" if dialect == "bigquery" else "DATETIME"
    if base in _FLOATS:
        raise refusal(
            f"key column {column!r} is {engine_type}: float-to-string differs between BigQuery "
            "and DuckDB, so splits (and [[ci]] partitions) would not match; key on an INT64 or STRING column, or cast "
            "upstream (e.g. CAST(ROUND(x * 1000) AS INT64))", error=UnsupportedKeyType)
    if base in KINDS:
        return base
    if base in _ALIASES:
        return _ALIASES[base]
    raise UnsupportedKeyType(
        f"key column {column!r} has type {engine_type}, which has no canonical string shared by "
        f"BigQuery and DuckDB; use a column of type {', '.join(KINDS)}"
    )


@dataclass(frozen=True)
class KeyColumn:
    name: str
    kind: str | None  # None: type not checked (no engine); rendered as CAST(x AS STRING)


def salt_component(salt: str | None) -> str | None:
    """The salt as it enters the key string: ``<length>:<salt>`` (length in characters)."""
    if salt is None:
        return None
    if not isinstance(salt, str) or not salt or len(salt) > 256 or not salt.isprintable():
        raise UnsupportedKeyType(
            f"salt {salt!r} must be 1 to 256 printable characters (no newlines or control characters)"
        )
    return f"{len(salt)}:{salt}"


def key_string(parts: list[str], salt: str | None = None) -> str:
    """The canonical key string, in Python, from the parts' canonical strings (see ``_keys.sql``).

    One part and no salt: the part itself. Otherwise each part as ``<length>:<text>``, the salt first.
    """
    if len(parts) == 1 and salt is None:
        return parts[0]
    prefix = salt_component(salt) or ""
    return prefix + "".join(f"{len(p)}:{p}" for p in parts)
