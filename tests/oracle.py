"""An independent Python model of the split, written from the README's rules, not from the SQL.

Used to recompute, row by row, what the engines should return.
"""
from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter
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
    return x - n * truncated_div(x, n)


def truncated_div(x: int, n: int) -> int:
    """SQL DIV (BigQuery DIV, DuckDB //): the quotient rounded toward zero."""
    quotient = abs(x) // abs(n)
    return quotient if (x >= 0) == (n > 0) else -quotient


SAMPLE_SLOTS = 1_000_000  # README: the sample slot is ABS(MOD(DIV(h, N), 1000000))


def bucket(key: str | None, buckets: int) -> int | None:
    """README: bucket = ABS(MOD(h, N)), h = FARM_FINGERPRINT(key string)."""
    return None if key is None else abs(truncated_mod(fingerprint(key), buckets))


def slot(key: str | None, buckets: int) -> int | None:
    """README: slot = ABS(MOD(DIV(h, N), 1000000)), the part of h the sample reads."""
    return None if key is None else abs(truncated_mod(truncated_div(fingerprint(key), buckets), SAMPLE_SLOTS))


def sampled(key: str | None, buckets: int, rate: Fraction) -> bool:
    """README: a key is sampled iff slot < ceil(rate * 1000000)."""
    if key is None:
        return False
    threshold = -((-rate.numerator * SAMPLE_SLOTS) // rate.denominator)  # ceil
    return slot(key, buckets) < threshold


def split_of(bucket_: int | None, names: list[str], fractions: list[Fraction], buckets: int) -> str | None:
    """Consecutive bucket ranges from 0, in the listed order (the same at every sample rate)."""
    if bucket_ is None:
        return None
    cumulative = Fraction(0)
    for name, f in zip(names, fractions):
        cumulative += f
        if bucket_ < cumulative * buckets:
            return name
    raise AssertionError(f"bucket {bucket_} outside 0-{buckets - 1}")


def split_of_key(key: str | None, names: list[str], fractions: list[Fraction], buckets: int,
                 rate: Fraction = Fraction(1)) -> str | None:
    """The key's split, or None when the key is NULL or not in the sample."""
    if key is None or not sampled(key, buckets, rate):
        return None
    return split_of(bucket(key, buckets), names, fractions, buckets)


FINE = 10_000  # README: fine positions per bucket in a stratified split


def key_strata(frame, key: str, label: str) -> dict[str, tuple[str, int]]:
    """Key string -> (its majority label, ties to the smallest label text; its row count)."""
    counts: dict[str, Counter] = {}
    for k, y in zip(frame[key], frame[label]):
        counts.setdefault(str(k), Counter())[str(y)] += 1
    return {k: (min(c, key=lambda y: (-c[y], y)), sum(c.values())) for k, c in counts.items()}


def stratified_oracle(frame, key: str, label: str, spec, id_column: str = "id") -> dict:
    """Row id -> split. Per key: h, sampled iff ABS(MOD(DIV(h, N), 1e6)) < ceil(rate * 1e6); fine
    position ABS(MOD(h, N)) * FINE + ABS(MOD(DIV(h, N * 1e6), FINE)). Per stratum, positions in
    order take the fractions of the stratum's rows: the midpoint of a position's cumulative share
    picks the split. Every row gets its key's split."""
    plan = spec.plan
    n = plan.buckets
    rows_at: dict[tuple[str, int], int] = {}
    position_of: dict[str, tuple[str, int]] = {}
    for k, (stratum, rows) in key_strata(frame, key, label).items():
        if not sampled(k, n, plan.sample):
            continue
        h = fingerprint(k)
        tie = abs(truncated_mod(truncated_div(h, n * SAMPLE_SLOTS), FINE))
        position = bucket(k, n) * FINE + tie
        position_of[k] = (stratum, position)
        rows_at[(stratum, position)] = rows_at.get((stratum, position), 0) + rows
    totals = Counter()
    for (stratum, _), rows in rows_at.items():
        totals[stratum] += rows
    assignment, cumulative = {}, Counter()
    for (stratum, position) in sorted(rows_at):
        rows = rows_at[(stratum, position)]
        cumulative[stratum] += rows
        midpoint = Fraction(2 * cumulative[stratum] - rows, 2 * totals[stratum])
        bound = Fraction(0)
        for name, fraction in zip(plan.names, plan.fractions):
            bound += fraction
            if midpoint < bound or name == plan.names[-1]:
                assignment[(stratum, position)] = name
                break
    return {i: assignment[position_of[str(k)]] for i, k in zip(frame[id_column], frame[key]) if str(k) in position_of}
