"""BigQuery's ``FARM_FINGERPRINT`` in Python and as a DuckDB function.

BigQuery's ``FARM_FINGERPRINT(x)`` is FarmHash *Fingerprint64* of the UTF-8 bytes of a STRING
(or the raw bytes of BYTES), returned as a signed INT64. ``pyfarmhash.fingerprint64`` computes the
same function (as an unsigned 64-bit integer); ``hash64`` is a different function on inputs over
64 bytes and must not be used.
"""
from __future__ import annotations

from typing import Any

import farmhash
import numpy as np
import pyarrow as pa

_TWO_63 = 1 << 63
_TWO_64 = 1 << 64


def farm_fingerprint(value: str | bytes | None) -> int | None:
    """BigQuery ``FARM_FINGERPRINT(value)``: signed INT64, or None for None."""
    if value is None:
        return None
    if isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    unsigned = farmhash.fingerprint64(value)
    return unsigned - _TWO_64 if unsigned >= _TWO_63 else unsigned


def _arrow_farm_fingerprint(values: Any) -> pa.Array:
    """Vectorised UDF body: a string or binary Arrow array in, an int64 array out."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    kind = values.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind) or getattr(pa.types, "is_string_view", bool)(kind)
            or getattr(pa.types, "is_binary_view", bool)(kind)):
        raise TypeError(
            f"farm_fingerprint takes VARCHAR or BLOB, as on BigQuery (got {kind}); "
            "cast the argument with CAST(x AS VARCHAR)"
        )
    fingerprint64 = farmhash.fingerprint64
    hashes = np.fromiter(
        (0 if v is None else fingerprint64(v) for v in values.to_pylist()),
        dtype=np.uint64,
        count=len(values),
    )
    mask = values.is_null().to_numpy(zero_copy_only=False) if values.null_count else None
    return pa.array(hashes.view(np.int64), mask=mask, type=pa.int64())


def register_duckdb(connection: Any) -> Any:
    """Register ``farm_fingerprint(VARCHAR|BLOB) -> BIGINT`` on a DuckDB connection.

    DuckDB's Python ``create_function`` cannot overload one name by type, so the function is
    registered with ``parameters=None``: the Arrow UDF then receives whatever string or binary
    array the query passes, and pyfarmhash hashes ``str`` as UTF-8 exactly like ``bytes``.
    """
    try:
        from duckdb import sqltypes
    except ImportError:  # DuckDB < 1.4 named the module duckdb.typing
        from duckdb import typing as sqltypes

    connection.create_function(
        "farm_fingerprint",
        _arrow_farm_fingerprint,
        None,
        sqltypes.BIGINT,
        type="arrow",
        null_handling="special",
    )
    return connection
