"""The DuckDB Arrow UDF behind ``farm_fingerprint``: pyfarmhash or the numba kernel over Arrow buffers.

Imported by ``fingerprint.register_duckdb`` only, so that ``import bqml_tools`` and ``bqml-tools
--help`` load neither pyarrow nor numpy from here (numba itself loads later still: on the first
batch that needs it). Backends and the ``auto`` rule: ``bqml_tools.core.fingerprint``'s docstring.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import farmhash
import numpy as np
import pyarrow as pa

from ...errors import EngineUnavailable
from .backends import BACKEND_ENV

AUTO_NUMBA_AFTER_ROWS = 1_000_000  # ~ the rows pyfarmhash hashes in the time numba takes to load

_kernel: Callable[..., bool] | None = None
_kernel_lock = threading.Lock()
_numba_missing: str | None = None
_auto_rows = 0  # rows hashed by pyfarmhash in auto mode, process-wide


def numba_kernel(required: bool = False) -> Callable[..., bool] | None:
    """The compiled kernel, imported (and loaded from numba's cache) on first use; None if unavailable."""
    global _kernel, _numba_missing
    if _kernel is not None:
        return _kernel
    with _kernel_lock:
        if _kernel is None and _numba_missing is None:
            try:
                from . import kernel as compiled
            except (ImportError, OSError, RuntimeError) as error:  # numba absent, built for another
                # NumPy (ImportError), or llvmlite's library not loadable: pyfarmhash does the work
                _numba_missing = str(error) or type(error).__name__
            else:
                _kernel = compiled.fingerprint_offsets
    if _kernel is None and required:
        raise EngineUnavailable(f"farm_fingerprint backend 'numba' cannot be used ({_numba_missing}): "
                                f"pip install numba, or set {BACKEND_ENV}=pyfarmhash")
    return _kernel


def _check_type(kind: pa.DataType) -> None:
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind) or _is_view(kind)):
        raise TypeError(
            f"farm_fingerprint takes VARCHAR or BLOB, as on BigQuery (got {kind}); "
            "cast the argument with CAST(x AS VARCHAR)"
        )


def _is_view(kind: pa.DataType) -> bool:
    return (getattr(pa.types, "is_string_view", lambda _: False)(kind)
            or getattr(pa.types, "is_binary_view", lambda _: False)(kind))


def _hash_pyfarmhash(values: pa.Array) -> pa.Array:
    """One pyfarmhash call per value (``str`` is hashed as its UTF-8 bytes, like ``bytes``)."""
    fingerprint64 = farmhash.fingerprint64
    hashes = np.fromiter(
        (0 if v is None else fingerprint64(v) for v in values.to_pylist()),
        dtype=np.uint64,
        count=len(values),
    )
    mask = values.is_null().to_numpy(zero_copy_only=False) if values.null_count else None
    return pa.array(hashes.view(np.int64), mask=mask, type=pa.int64())


# Arrow type id -> offsets dtype, for the types whose buffers are validity, offsets, data.
_OFFSET_DTYPES = {pa.string().id: np.int32, pa.binary().id: np.int32,
                  pa.large_string().id: np.int64, pa.large_binary().id: np.int64}
_NO_DATA = np.empty(0, dtype=np.uint8)
_INT64 = pa.int64()


def _hash_numba(kernel: Callable[..., bool], values: pa.Array) -> pa.Array:
    """The kernel over the array's own buffers: no copy in, one int64 buffer out.

    The result has the input's ``offset`` and shares its validity bitmap, so sliced arrays and
    nulls need no extra pass (a null's slot holds the hash of whatever bytes Arrow left there).
    This runs once per 2048 rows: keep it to a handful of calls.
    """
    offset_dtype = _OFFSET_DTYPES.get(values.type.id)
    if offset_dtype is None:  # views are not offsets + data: convert (a copy), or hash value by value
        try:
            values = values.cast(pa.large_binary())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            return _hash_pyfarmhash(values)
        offset_dtype = np.int64
    length, offset = len(values), values.offset
    validity, offsets_buffer, data_buffer = values.buffers()
    if length == 0 or offsets_buffer is None:
        return pa.array([], type=pa.int64()) if length == 0 else _hash_pyfarmhash(values)
    offsets = np.frombuffer(offsets_buffer, dtype=offset_dtype)
    data = _NO_DATA if data_buffer is None else np.frombuffer(data_buffer, dtype=np.uint8)
    out = np.empty(offset + length, dtype=np.uint64)
    if not kernel(offsets[offset:] if offset else offsets, data, out[offset:] if offset else out):
        raise ValueError(f"farm_fingerprint: malformed Arrow {values.type} array (offsets outside its data)")
    null_count = values.null_count
    return pa.Array.from_buffers(pa.int64(), length, [validity if null_count else None, pa.py_buffer(out)],
                                 null_count=null_count, offset=offset)


class ArrowFingerprint:
    """The Arrow UDF body: a string or binary (chunked) array in, an int64 array out.

    DuckDB calls it once per 2048 rows, so the common case (numba loaded, one chunk of a plain
    string array) takes the shortest path: a few attribute reads, the kernel, one ``from_buffers``.
    """

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.__name__ = "farm_fingerprint"

    def _kernel_for(self, rows: int) -> Callable[..., bool] | None:
        """The numba kernel, or None for pyfarmhash; in auto mode counts rows until numba pays off."""
        global _auto_rows
        if self.backend == "pyfarmhash":
            return None
        if self.backend == "numba":
            return numba_kernel(required=True)
        if _kernel is None and _auto_rows < AUTO_NUMBA_AFTER_ROWS:
            _auto_rows += rows
            return None
        return numba_kernel()

    def _hash(self, kernel: Callable[..., bool] | None, values: pa.Array) -> pa.Array:
        if _OFFSET_DTYPES.get(values.type.id) is None:
            _check_type(values.type)
        return _hash_pyfarmhash(values) if kernel is None else _hash_numba(kernel, values)

    def __call__(self, values: Any) -> pa.Array:
        kernel = _kernel
        if kernel is None or self.backend == "pyfarmhash":
            kernel = self._kernel_for(len(values))
        if isinstance(values, pa.ChunkedArray):
            if values.num_chunks != 1:
                _check_type(values.type)
                chunks = [self._hash(kernel, chunk) for chunk in values.chunks]
                return pa.concat_arrays(chunks) if chunks else pa.array([], type=_INT64)
            values = values.chunk(0)
        offset_dtype = _OFFSET_DTYPES.get(values.type.id)
        if kernel is None or offset_dtype is None or values.offset:
            return self._hash(kernel, values)
        # The common case, inlined (DuckDB: one unsliced string chunk per 2048 rows): _hash_numba
        # without its checks for slices, views and empty buffers.
        validity, offsets_buffer, data_buffer = values.buffers()
        length = len(values)
        if data_buffer is None or length == 0:
            return self._hash(kernel, values)
        out = np.empty(length, dtype=np.uint64)
        if not kernel(np.frombuffer(offsets_buffer, dtype=offset_dtype), np.frombuffer(data_buffer, dtype=np.uint8),
                      out):
            raise ValueError(f"farm_fingerprint: malformed Arrow {values.type} array (offsets outside its data)")
        null_count = values.null_count
        return pa.Array.from_buffers(_INT64, length, [validity if null_count else None, pa.py_buffer(out)],
                                     null_count)
