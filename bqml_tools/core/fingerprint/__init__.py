"""BigQuery's ``FARM_FINGERPRINT`` in Python and as a DuckDB function.

BigQuery's ``FARM_FINGERPRINT(x)`` is FarmHash *Fingerprint64* of the UTF-8 bytes of a STRING
(or the raw bytes of BYTES), returned as a signed INT64. ``pyfarmhash.fingerprint64`` computes the
same function (as an unsigned 64-bit integer); ``hash64`` is a different function on inputs over
64 bytes and must not be used.

On DuckDB the function is an Arrow UDF with two interchangeable backends, bit-identical (tests run
both against BigQuery's values and pyfarmhash on every length 0..300):

- ``numba``: ``bqml_tools.core.fingerprint.kernel``, a compiled port reading the Arrow array's offsets and
  data buffers in place; close to the speed of a do-nothing Arrow UDF (BENCHMARKS.md).
- ``pyfarmhash``: one C call per value from Python; about 4x slower on large columns, but nothing
  to load. Used where numba is not installed or cannot be imported.
- ``auto`` (default): pyfarmhash for the first ``AUTO_NUMBA_AFTER_ROWS`` rows a process hashes,
  then numba. Loading numba and its cached machine code takes about half a second, about what
  pyfarmhash spends on a million keys, so small runs never import numba (and ``bqml-tools --help``
  never does) while large ones hash at full speed after the first million rows.

Pick one with the ``backend`` argument of :func:`register_duckdb` or the environment variable
``BQML_TOOLS_FINGERPRINT`` (``auto``, ``numba`` or ``pyfarmhash``).
"""
from __future__ import annotations

from typing import Any

import farmhash

from .backends import BACKEND_ENV, BACKENDS, resolve_backend  # noqa: F401 (public here)

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


def arrow_farm_fingerprint(values: Any, backend: str | None = None) -> Any:
    """``FARM_FINGERPRINT`` of every value of an Arrow string/binary array (nulls stay null)."""
    from .arrow import ArrowFingerprint

    return ArrowFingerprint(resolve_backend(backend))(values)


def register_duckdb(connection: Any, backend: str | None = None) -> Any:
    """Register ``farm_fingerprint(VARCHAR|BLOB) -> BIGINT`` on a DuckDB connection.

    DuckDB's Python ``create_function`` cannot overload one name by type, so the function is
    registered with ``parameters=None``: the Arrow UDF then receives whatever string or binary
    array the query passes. ``backend``: ``auto``, ``numba`` or ``pyfarmhash`` (module docstring);
    ``numba`` is loaded here, so a missing numba fails now with the fix rather than mid-query.
    """
    from .arrow import ArrowFingerprint, numba_kernel  # pyarrow and numpy: not for --help

    chosen = resolve_backend(backend)
    if chosen == "numba":
        numba_kernel(required=True)
    try:
        from duckdb import sqltypes
    except ImportError:  # DuckDB < 1.4 named the module duckdb.typing
        from duckdb import typing as sqltypes

    connection.create_function(
        "farm_fingerprint",
        ArrowFingerprint(chosen),
        None,
        sqltypes.BIGINT,
        type="arrow",
        null_handling="special",
    )
    return connection
