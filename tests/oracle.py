"""An independent Python model of the split, written from the README's rules, not from the SQL.

Used to recompute, row by row, what the engines should return.
"""
from __future__ import annotations

import datetime as dt
import decimal
from fractions import Fraction

import farmhash


def fingerprint(text: str | bytes) -> int:
    data = text.encode("utf-8") if isinstance(text, str) else text
    value = farmhash.fingerprint64(data)
    return value - (1 << 64) if value >= (1 << 63) else value


def canonical(value, kind: str) -> str | None:
    """The canonical string of one key value (README, "Keys")."""
    if value is None:
        return None
    if kind == "STRING":
        return str(value)
    if kind == "INT64":
        return str(int(value))
    if kind == "BOOL":
        return "true" if value else "false"
    if kind == "DATE":
        return value.isoformat()
    if kind == "DATETIME":
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if kind == "TIMESTAMP":
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if kind == "BYTES":
        return bytes(value).hex()
    if kind == "NUMERIC":
        text = format(decimal.Decimal(value).normalize(), "f")
        return "0" if text in ("-0", "0") else text
    raise AssertionError(kind)


def key_string(parts: list[str | None], salt: str | None = None) -> str | None:
    if any(p is None for p in parts):
        return None
    if len(parts) == 1 and salt is None:
        return parts[0]
    pieces = ([salt] if salt is not None else []) + list(parts)
    return "".join(f"{len(p)}:{p}" for p in pieces)


def truncated_mod(x: int, n: int) -> int:
    """SQL MOD: the remainder takes the sign of the dividend."""
    quotient = -((-x) // n) if x < 0 else x // n
    return x - n * quotient


def bucket(key: str | None, buckets: int) -> int | None:
    return None if key is None else abs(truncated_mod(fingerprint(key), buckets))


def split_of(bucket_: int | None, names: list[str], fractions: list[Fraction], sample: Fraction,
             buckets: int) -> str | None:
    """Consecutive bucket ranges from 0, inside buckets < sample * buckets; None: not sampled."""
    if bucket_ is None:
        return None
    upper, cumulative = [], Fraction(0)
    for f in fractions:
        cumulative += f
        upper.append(cumulative * sample * buckets)
    for name, hi in zip(names, upper):
        if bucket_ < hi:
            return name
    return None
