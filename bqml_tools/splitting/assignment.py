"""Which split a key value falls in, computed in Python: no engine, no table (``which-split``)."""
from __future__ import annotations

import numbers
import sys
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ..core.fingerprint import farm_fingerprint
from ..core.keys import key_string
from ..errors import InvalidSplitSpec
from .spec import SplitSpec

if TYPE_CHECKING:
    import pandas as pd


def _is_bool(value: object) -> bool:
    """True and False, and numpy's booleans (only possible once numpy is loaded: no import for it here)."""
    numpy = sys.modules.get("numpy")
    return isinstance(value, bool) or (numpy is not None and isinstance(value, numpy.bool_))


def _key_parts(value: object, width: int) -> list[str]:
    """One key value as its parts' canonical strings; ints are their decimal text."""
    def part(item: object) -> str:
        if isinstance(item, numbers.Integral) and not _is_bool(item):
            return str(int(item))
        if not isinstance(item, str):
            raise InvalidSplitSpec(
                f"key value {item!r} is a {type(item).__name__}: pass the key's canonical text "
                "(e.g. '42', '2024-01-31', 'true'; see README, Keys)"
            )
        try:
            item.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidSplitSpec(f"key value {item!r} is not valid UTF-8 text") from None
        return item

    parts = [part(p) for p in value] if isinstance(value, (list, tuple)) else [part(value)]
    if len(parts) != width:
        raise InvalidSplitSpec(
            f"key value {value!r} has {len(parts)} part(s) but the key has {width} column(s)"
        )
    return parts


def assignments(values: str | int | Sequence[str | int | Sequence[str | int]],
                spec: SplitSpec) -> list[dict[str, Any]]:
    """Which split each key value falls in, computed in Python (no engine, no table).

    A value is the key's canonical string (for STRING, INT64, BOOL and DATE columns, the text
    itself: ``'42'``, ``'2024-01-31'``, ``'true'``; an int stands for its digits), or a list or
    tuple of them for a composite key. A single string is one key, not a sequence of characters.
    ``split`` is the key's split, the same at every sample rate; with a sample, ``sample_slot``
    and ``sampled`` say whether the sample keeps the key. Stratified splits depend on the data
    and cannot be answered without it.
    """
    if not isinstance(spec, SplitSpec):
        raise InvalidSplitSpec(f"spec must be a SplitSpec, not {type(spec).__name__}")
    if spec.stratify is not None:
        raise InvalidSplitSpec("a stratified split depends on the data: run the split and look the key up")
    if isinstance(values, (str, numbers.Integral)) and not _is_bool(values):
        values = [values]
    elif isinstance(values, (bytes, bytearray, Mapping)) or not isinstance(values, Iterable):
        raise InvalidSplitSpec(
            f"key values {values!r} must be a string or a list of strings (a tuple or list per composite key)"
        )
    plan = spec.plan
    rows = []
    for value in values:
        parts = _key_parts(value, len(spec.key))
        fingerprint = farm_fingerprint(key_string(parts, spec.salt))
        bucket = abs(fingerprint) % plan.buckets  # == ABS(MOD(h, N)) for truncated MOD
        row = {"key": ",".join(parts), "fingerprint": fingerprint, "bucket": bucket,
               "split": plan.split_of_bucket(bucket)}
        if plan.sampled:
            quotient = abs(fingerprint) // plan.buckets  # |DIV(h, N)|: DIV truncates toward zero
            row["sample_slot"] = quotient % plan.slots
            row["sampled"] = row["sample_slot"] < plan.threshold
        rows.append(row)
    return rows


def assign(values: str | int | Sequence[str | int | Sequence[str | int]], spec: SplitSpec) -> pd.DataFrame:
    """:func:`assignments` as a DataFrame: columns key, fingerprint, bucket, split (and with a sample,
    sample_slot and sampled)."""
    import pandas as pd

    rows = assignments(values, spec)
    columns = ["key", "fingerprint", "bucket", "split"] + (["sample_slot", "sampled"] if spec.plan.sampled else [])
    return pd.DataFrame(rows, columns=columns)
