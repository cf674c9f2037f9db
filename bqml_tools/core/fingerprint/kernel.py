"""FarmHash Fingerprint64 (``farmhashna::Hash64``) compiled with numba over Arrow buffers.

Imported only when a DuckDB connection first hashes a batch (``bqml_tools.core.fingerprint``), never by
``import bqml_tools`` or ``bqml-tools --help``. The kernel reads an Arrow string/binary array's
offsets and data buffers in place (no copy) and writes unsigned 64-bit fingerprints; the caller
views them as INT64, which is BigQuery's ``FARM_FINGERPRINT``.

Integer typing: numba turns ``uint64 <op> int64`` into float64, so every constant and every shift
amount below is a ``np.uint64`` and lengths are converted with ``np.uint64(...)`` before use; uint64
multiplication and addition wrap modulo 2**64 as in C. Fetch64/Fetch32 are single unaligned
little-endian loads (a small LLVM intrinsic) rather than eight indexed byte reads, each of which
numba guards with a negative-index fix-up. The helpers are inlined into the kernel (``_inline``).

Compiled code is cached on disk (``cache=True``) so only the first process on a machine pays the
compilation. numba writes the cache beside this file, or under the user's cache directory when the
package sits in a read-only site-packages; when neither is writable numba would refuse to define a
cached function, so ``_cache_dir_fallback`` points it at a per-user directory under the temporary
directory instead; with no writable place at all the kernel is compiled in each process (a warning
says so). ``BQML_TOOLS_NUMBA_CACHE`` / ``NUMBA_CACHE_DIR`` choose the place outright.
"""
from __future__ import annotations

import os
import sys
import tempfile
import warnings
from typing import Any, Callable

import numba
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

if sys.byteorder != "little":  # the loads below are little-endian, as FarmHash's Fetch64 on x86
    raise ImportError("bqml_tools.core.fingerprint.kernel needs a little-endian machine")

_U = np.uint64
K0 = _U(0xC3A5C85C97CB3127)
K1 = _U(0xB492B66FBE98F273)
K2 = _U(0x9AE16A3B2F90404F)
K_MUL = _U(0x9DDFEA08EB382D69)
SEED = _U(81)
S113 = _U(113)
U0, U1, U2, U3, U8, U9 = _U(0), _U(1), _U(2), _U(3), _U(8), _U(9)
U16, U24, U32, U40, U48, U56 = _U(16), _U(24), _U(32), _U(40), _U(48), _U(56)
U18, U21, U25, U30, U33, U37, U42, U43, U44, U47 = (
    _U(18), _U(21), _U(25), _U(30), _U(33), _U(37), _U(42), _U(43), _U(44), _U(47))
U63, U64, U0XFF = _U(63), _U(64), _U(0xFF)


def _cache_dir_fallback() -> None:
    """Give numba a writable cache directory when neither its in-tree nor user-wide one is."""
    chosen = os.environ.get("BQML_TOOLS_NUMBA_CACHE")
    if chosen:
        numba.config.CACHE_DIR = chosen
        return
    if numba.config.CACHE_DIR:  # NUMBA_CACHE_DIR set by the user: numba uses it first
        return
    here = os.path.dirname(os.path.abspath(__file__))
    if os.access(os.path.join(here, "__pycache__") if os.path.isdir(os.path.join(here, "__pycache__"))
                 else here, os.W_OK):
        return
    user_cache = os.path.join(os.path.expanduser("~"), ".cache")
    if os.access(user_cache if os.path.isdir(user_cache) else os.path.expanduser("~"), os.W_OK):
        return
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    try:
        folder = tempfile.gettempdir()
    except OSError:  # no usable temporary directory either: _jit compiles without a cache
        return
    if os.path.abspath(folder) != os.getcwd():  # gettempdir's last resort is the working directory
        numba.config.CACHE_DIR = os.path.join(folder, f"bqml_tools-numba-cache-{uid}")


def _jit(func: Callable[..., Any]) -> Any:
    """``njit(nogil=True, cache=True)``, or uncached (compiled per process) if no cache can be had."""
    try:
        return njit(nogil=True, cache=True)(func)
    except RuntimeError as error:  # numba: "cannot cache function ...: no locator available"
        warnings.warn(f"bqml_tools: numba cannot cache farm_fingerprint ({error}); each process will "
                      "compile it (about a second). Set BQML_TOOLS_NUMBA_CACHE or NUMBA_CACHE_DIR to a "
                      "writable directory.", RuntimeWarning, stacklevel=2)
        return njit(nogil=True, cache=False)(func)


_cache_dir_fallback()

# Helpers are inlined into the kernel at numba's IR level: as separate functions each call passed
# the array by value with a reference-count increment and decrement per row (3x slower).
_inline = njit(inline="always")


def _unaligned_load(bits: int) -> Any:
    """An intrinsic ``(uint8 array, index) -> uint64``: one unaligned little-endian load of ``bits``."""

    @intrinsic
    def load(typingctx: Any, data: Any, index: Any) -> Any:
        if not (isinstance(data, types.Array) and data.dtype == types.uint8
                and isinstance(index, types.Integer)):
            return None

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            array = context.make_array(signature.args[0])(context, builder, args[0])
            position = context.cast(builder, args[1], signature.args[1], types.intp)
            word = ir.IntType(bits)
            pointer = builder.bitcast(builder.gep(array.data, [position]), word.as_pointer())
            try:
                value = builder.load(pointer, align=1, typ=word)
            except TypeError:  # llvmlite < 0.44 (typed pointers) has no ``typ``
                value = builder.load(pointer, align=1)
            return value if bits == 64 else builder.zext(value, ir.IntType(64))

        return types.uint64(data, index), codegen

    return load


# Fetch64 / Fetch32 of FarmHash: no bounds check (the caller checked offsets against the buffer).
_fetch64 = _unaligned_load(64)
_fetch32 = _unaligned_load(32)


@_inline
def _rotate(value: Any, shift: Any) -> Any:
    # Every caller passes 0 < shift < 64, where C's ``shift == 0`` special case never applies.
    return (value >> shift) | (value << (U64 - shift))


@_inline
def _shift_mix(value: Any) -> Any:
    return value ^ (value >> U47)


@_inline
def _hash_len16(u: Any, v: Any, mul: Any) -> Any:
    a = (u ^ v) * mul
    a ^= a >> U47
    b = (v ^ a) * mul
    b ^= b >> U47
    return b * mul


@_inline
def _hash_len0_to16(data: Any, s: int, n: int) -> Any:
    length = _U(n)
    if n >= 8:
        mul = K2 + length * U2
        a = _fetch64(data, s) + K2
        b = _fetch64(data, s + n - 8)
        c = _rotate(b, U37) * mul + a
        d = (_rotate(a, U25) + b) * mul
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = K2 + length * U2
        a = _fetch32(data, s)
        return _hash_len16(length + (a << U3), _fetch32(data, s + n - 4), mul)
    if n > 0:
        a = _U(data[s])
        b = _U(data[s + (n >> 1)])
        c = _U(data[s + n - 1])
        y = (a + (b << U8)) & _U(0xFFFFFFFF)
        z = (length + (c << U2)) & _U(0xFFFFFFFF)
        return _shift_mix(y * K2 ^ z * K0) * K2
    return K2


@_inline
def _hash_len17_to32(data: Any, s: int, n: int) -> Any:
    mul = K2 + _U(n) * U2
    a = _fetch64(data, s) * K1
    b = _fetch64(data, s + 8)
    c = _fetch64(data, s + n - 8) * mul
    d = _fetch64(data, s + n - 16) * K2
    return _hash_len16(_rotate(a + b, U43) + _rotate(c, U30) + d, a + _rotate(b + K2, U18) + c, mul)


@_inline
def _hash_len33_to64(data: Any, s: int, n: int) -> Any:
    mul = K2 + _U(n) * U2
    a = _fetch64(data, s) * K2
    b = _fetch64(data, s + 8)
    c = _fetch64(data, s + n - 8) * mul
    d = _fetch64(data, s + n - 16) * K2
    y = _rotate(a + b, U43) + _rotate(c, U30) + d
    z = _hash_len16(y, a + _rotate(b + K2, U18) + c, mul)
    e = _fetch64(data, s + 16) * mul
    f = _fetch64(data, s + 24)
    g = (y + _fetch64(data, s + n - 32)) * mul
    h = (z + _fetch64(data, s + n - 24)) * mul
    return _hash_len16(_rotate(e + f, U43) + _rotate(g, U30) + h, e + _rotate(f + a, U18) + g, mul)


@_inline
def _hash_over64(data: Any, s: int, n: int) -> Any:
    x = SEED
    y = SEED * K1 + S113
    z = _shift_mix(y * K2 + S113) * K2
    v0 = U0
    v1 = U0
    w0 = U0
    w1 = U0
    x = x * K2 + _fetch64(data, s)
    end = s + ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    while True:
        x = _rotate(x + y + v0 + _fetch64(data, s + 8), U37) * K1
        y = _rotate(y + v1 + _fetch64(data, s + 48), U42) * K1
        x ^= w1
        y += v0 + _fetch64(data, s + 40)
        z = _rotate(z + w0, U33) * K1
        # WeakHashLen32WithSeeds(s, v1 * K1, x + w0)
        a = v1 * K1
        b = x + w0
        p, q, r, t = _fetch64(data, s), _fetch64(data, s + 8), _fetch64(data, s + 16), _fetch64(data, s + 24)
        a += p
        b = _rotate(b + a + t, U21)
        c = a
        a += q
        a += r
        b += _rotate(a, U44)
        v0, v1 = a + t, b + c
        # WeakHashLen32WithSeeds(s + 32, z + w1, y + Fetch64(s + 16))
        a = z + w1
        b = y + r
        p, q, r, t = _fetch64(data, s + 32), _fetch64(data, s + 40), _fetch64(data, s + 48), _fetch64(data, s + 56)
        a += p
        b = _rotate(b + a + t, U21)
        c = a
        a += q
        a += r
        b += _rotate(a, U44)
        w0, w1 = a + t, b + c
        x, z = z, x
        s += 64
        if s == end:
            break
    mul = K1 + ((z & U0XFF) << U1)
    s = last64
    w0 += _U((n - 1) & 63)
    v0 += w0
    w0 += v0
    x = _rotate(x + y + v0 + _fetch64(data, s + 8), U37) * mul
    y = _rotate(y + v1 + _fetch64(data, s + 48), U42) * mul
    x ^= w1 * U9
    y += v0 * U9 + _fetch64(data, s + 40)
    z = _rotate(z + w0, U33) * mul
    a = v1 * mul
    b = x + w0
    p, q, r, t = _fetch64(data, s), _fetch64(data, s + 8), _fetch64(data, s + 16), _fetch64(data, s + 24)
    a += p
    b = _rotate(b + a + t, U21)
    c = a
    a += q
    a += r
    b += _rotate(a, U44)
    v0, v1 = a + t, b + c
    a = z + w1
    b = y + r
    p, q, r, t = _fetch64(data, s + 32), _fetch64(data, s + 40), _fetch64(data, s + 48), _fetch64(data, s + 56)
    a += p
    b = _rotate(b + a + t, U21)
    c = a
    a += q
    a += r
    b += _rotate(a, U44)
    w0, w1 = a + t, b + c
    x, z = z, x
    return _hash_len16(_hash_len16(v0, w0, mul) + _shift_mix(y) * K0 + z,
                       _hash_len16(v1, w1, mul) + x, mul)


@_inline
def _fingerprint64(data: Any, s: int, n: int) -> Any:
    if n <= 16:
        return _hash_len0_to16(data, s, n)
    if n <= 32:
        return _hash_len17_to32(data, s, n)
    if n <= 64:
        return _hash_len33_to64(data, s, n)
    return _hash_over64(data, s, n)


@_jit
def fingerprint_offsets(offsets: Any, data: Any, out: Any) -> bool:
    """``out[i] = Fingerprint64(data[offsets[i]:offsets[i + 1]])`` for ``i < len(out)``.

    ``offsets`` are an Arrow array's int32 or int64 offsets from the array's ``offset`` on (at least
    ``len(out) + 1`` of them); ``data`` is its uint8 data buffer. Slots of null values are hashed
    like any other (Arrow gives them some offsets); the caller masks them. Returns False, having
    read nothing out of bounds, if an offset points outside ``data`` (a malformed array).
    """
    size = data.shape[0]
    for i in range(out.shape[0]):
        start = np.int64(offsets[i])
        end = np.int64(offsets[i + 1])
        if start < 0 or end < start or end > size:
            return False
        out[i] = _fingerprint64(data, start, end - start)
    return True
