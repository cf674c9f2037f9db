"""Turn fractions, a sample rate and an optional bucket count into bucket ranges.

All arithmetic is exact (``fractions.Fraction``). Splits take consecutive bucket ranges in the
order listed, starting at bucket 0, inside the sample ``bucket < sample_upper``; the bucket
count is the smallest at which every boundary is a whole number of buckets.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from .errors import InvalidSplitSpec

TOLERANCE = Fraction(1, 10**9)
MAX_BUCKETS = 10**12
_SPLIT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def parse_fraction(text: str | float | Fraction, what: str) -> Fraction:
    """``'0.8'``, ``'4/5'``, ``'80%'`` or a number, as an exact fraction.

    Values within 1e-9 of a fraction with a denominator up to 10,000 snap to it, so that
    ``0.3333333333`` means one third.
    """
    if isinstance(text, Fraction):
        value = text
    else:
        raw = str(text).strip()
        try:
            value = Fraction(raw[:-1]) / 100 if raw.endswith("%") else Fraction(raw)
        except (ValueError, ZeroDivisionError):
            raise InvalidSplitSpec(
                f"{what} {text!r} is not a number: write it like 0.8, 4/5 or 80%"
            ) from None
    snapped = value.limit_denominator(10_000)
    return snapped if abs(snapped - value) <= TOLERANCE else value


def parse_fractions(spec: str | dict[str, object]) -> dict[str, Fraction]:
    """``'train=0.8,valid=0.1,test=0.1'`` (or a dict) as ordered exact fractions summing to 1."""
    if isinstance(spec, dict):
        items = [(str(k), v) for k, v in spec.items()]
    else:
        items = []
        for part in str(spec).split(","):
            name, sep, value = part.partition("=")
            if not sep:
                raise InvalidSplitSpec(
                    f"fractions {spec!r}: {part.strip()!r} has no '=': write name=fraction pairs "
                    "like train=0.8,valid=0.1,test=0.1"
                )
            items.append((name.strip(), value.strip()))
    fractions: dict[str, Fraction] = {}
    for name, value in items:
        if not _SPLIT_NAME.fullmatch(name):
            raise InvalidSplitSpec(
                f"split name {name!r} is not allowed: use letters, digits and underscores, "
                "starting with a letter (e.g. train, valid, test)"
            )
        if name in fractions:
            raise InvalidSplitSpec(f"split name {name!r} appears twice in the fractions")
        fraction = parse_fraction(value, f"fraction for {name!r}")
        if fraction <= 0:
            raise InvalidSplitSpec(f"fraction for {name!r} is {value}: every fraction must be positive")
        fractions[name] = fraction
    if not fractions:
        raise InvalidSplitSpec("no fractions given: write e.g. train=0.8,valid=0.1,test=0.1")
    total = sum(fractions.values())
    if abs(total - 1) > TOLERANCE:
        listed = " + ".join(f"{float(f):g}" for f in fractions.values())
        raise InvalidSplitSpec(
            f"fractions add up to {float(total):.10g} ({listed}), not 1: adjust them so they sum to 1"
        )
    return fractions


@dataclass(frozen=True)
class BucketPlan:
    """Where each split lives in the bucket space ``ABS(MOD(FARM_FINGERPRINT(key), buckets))``."""

    names: tuple[str, ...]
    fractions: tuple[Fraction, ...]  # of the sample, in listed order, summing to 1
    sample: Fraction  # share of all keys kept before splitting; 1 means no sampling
    buckets: int
    upper: tuple[int, ...]  # exclusive upper bucket of each split; upper[-1] == sample_upper

    @property
    def sample_upper(self) -> int:
        return self.upper[-1]

    @property
    def lower(self) -> tuple[int, ...]:
        return (0,) + self.upper[:-1]

    def ranges(self) -> dict[str, tuple[int, int]]:
        """Split name -> (first bucket, last bucket), inclusive."""
        return {n: (lo, hi - 1) for n, lo, hi in zip(self.names, self.lower, self.upper)}

    def split_of_bucket(self, bucket: int) -> str | None:
        for name, hi in zip(self.names, self.upper):
            if bucket < hi:
                return name
        return None

    def describe(self) -> str:
        parts = []
        for name, (lo, hi) in self.ranges().items():
            parts.append(f"{name} = bucket {lo}" if lo == hi else f"{name} = buckets {lo}-{hi}")
        return ", ".join(parts)


def _boundaries(fractions: tuple[Fraction, ...], sample: Fraction) -> list[Fraction]:
    cumulative, bounds = Fraction(0), []
    for fraction in fractions[:-1]:
        cumulative += fraction
        bounds.append(sample * cumulative)
    return bounds + [sample]


def plan_buckets(
    fractions: str | dict[str, object],
    sample: str | float | Fraction | None = None,
    buckets: int | None = None,
) -> BucketPlan:
    parsed = parse_fractions(fractions)
    rate = Fraction(1) if sample in (None, "", 1, "1") else parse_fraction(sample, "sample rate")
    if not 0 < rate <= 1:
        raise InvalidSplitSpec(f"sample rate {sample} must be in (0, 1]: e.g. 1/70 or 0.01")
    names, values = tuple(parsed), tuple(parsed.values())
    bounds = _boundaries(values, rate)
    if buckets is None:
        count = math.lcm(*(b.denominator for b in bounds))
        if count > MAX_BUCKETS:
            raise InvalidSplitSpec(
                f"these fractions need {count:,} buckets to be exact: round them (e.g. to 4 "
                "decimals) or pass --buckets with a count that makes every boundary whole"
            )
    else:
        if isinstance(buckets, bool) or not isinstance(buckets, int) or not 1 <= buckets <= MAX_BUCKETS:
            raise InvalidSplitSpec(f"bucket count {buckets!r} must be a whole number from 1 to {MAX_BUCKETS:,}")
        count = buckets
        for name, bound in zip(names, bounds):
            if (bound * count).denominator != 1:
                smallest = math.lcm(*(b.denominator for b in bounds))
                raise InvalidSplitSpec(
                    f"with {count} buckets the upper boundary of split {name!r} falls at bucket "
                    f"{float(bound * count):g}, not a whole bucket: use a multiple of {smallest}"
                )
    upper = tuple(int(b * count) for b in bounds)
    return BucketPlan(names=names, fractions=values, sample=rate, buckets=count, upper=upper)
