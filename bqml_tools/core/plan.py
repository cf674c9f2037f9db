"""Turn fractions, a sample rate and an optional bucket count into a split plan.

All arithmetic is exact (``fractions.Fraction``). With ``h = FARM_FINGERPRINT(key string)``:

* the split is the textbook rule ``bucket = ABS(MOD(h, N))``: splits take consecutive bucket
  ranges in the order listed, starting at bucket 0. ``N`` depends on the fractions only: the
  smallest count at which every boundary is a whole number of buckets (or ``--buckets``).
* the sample uses an independent part of the same hash,
  ``slot = ABS(MOD(DIV(h, N), SAMPLE_SLOTS))``: a key is sampled iff ``slot < threshold`` with
  ``threshold = ceil(rate * SAMPLE_SLOTS)``. A key's split is therefore the same at every rate,
  and a larger rate only adds keys.
"""
from __future__ import annotations

import decimal
import math
import numbers
import re
from dataclasses import dataclass
from fractions import Fraction

from ..errors import InvalidSplitSpec
from .options import refusal

TOLERANCE = Fraction(1, 10**9)
MAX_BUCKETS = 10**6
SAMPLE_SLOTS = 10**6  # M: the sample slot is ABS(MOD(DIV(h, N), M)); rates are whole numbers of slots
MAX_DIGITS = 30  # significant digits accepted in a fraction or rate
MAX_EXPONENT = 30  # |e| accepted in 1e-3-style numbers
SPLIT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_DECIMAL = re.compile(r"[+-]?(?P<whole>[0-9]*)(?:\.(?P<part>[0-9]*))?(?:[eE](?P<exp>[+-]?[0-9]+))?")
_RATIO = re.compile(r"(?P<num>[+-]?[0-9]+)\s*/\s*(?P<den>[+-]?[0-9]+)")


def _bounded(raw: str) -> bool | None:
    """Whether ``raw`` is small enough to parse exactly without a hang; None: not a number we read.

    Only ``[+-]digits[.digits][e[+-]digits]`` and ``digits/digits`` are read (Fraction() alone
    would also take underscores and expand ``1e999999999`` forever).
    """
    ratio = _RATIO.fullmatch(raw)
    if ratio:
        return all(len(ratio.group(g).lstrip("+-").lstrip("0")) <= MAX_DIGITS for g in ("num", "den"))
    number = _DECIMAL.fullmatch(raw)
    if number is None or not (number.group("whole") or number.group("part")):
        return None
    digits = ((number.group("whole") or "") + (number.group("part") or "")).strip("0")
    exponent = number.group("exp")
    if exponent is not None and (len(exponent.lstrip("+-").lstrip("0")) > 2 or abs(int(exponent)) > MAX_EXPONENT):
        return False
    return len(digits) <= MAX_DIGITS


def shortest_text(value: float) -> str:
    """The shortest text that parses back to the same double: repr (``0.6673998533957295``) without a
    trailing ``.0`` (``0``, ``1``); how every threshold is printed, so that a pasted one gives the
    reported counts exactly."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def parse_fraction(text: str | float | Fraction, what: str) -> Fraction:
    """``'0.8'``, ``'4/5'``, ``'80%'`` or a number, as an exact fraction.

    Values within 1e-9 of a fraction with a denominator up to 10,000 snap to it, so that
    ``0.3333333333`` means one third. At most 30 significant digits and exponents within
    +-30 are accepted (``1e999999999`` would take forever to expand).
    """
    if isinstance(text, Fraction):
        value = text
    else:
        if isinstance(text, bool) or not isinstance(text, (str, numbers.Real, decimal.Decimal)):
            raise InvalidSplitSpec(f"{what} {text!r} is not a number: write it like 0.8, 4/5 or 80%")
        raw = str(text).strip()
        number = raw[:-1].strip() if raw.endswith("%") else raw
        bounded = _bounded(number)
        if bounded is None:
            raise InvalidSplitSpec(f"{what} {text!r} is not a number: write it like 0.8, 4/5 or 80%")
        if not bounded:
            raise InvalidSplitSpec(
                f"{what} {text!r} has more precision than bqml_tools accepts (at most {MAX_DIGITS} "
                f"significant digits, exponents within +-{MAX_EXPONENT}): write it like 0.8, 4/5 or 80%"
            )
        ratio = _RATIO.fullmatch(number)
        try:
            value = Fraction(int(ratio["num"]), int(ratio["den"])) if ratio else Fraction(number)
        except (ValueError, ZeroDivisionError, OverflowError):
            raise InvalidSplitSpec(
                f"{what} {text!r} is not a number: write it like 0.8, 4/5 or 80%"
            ) from None
        if raw.endswith("%"):
            value /= 100
    snapped = value.limit_denominator(10_000)
    return snapped if abs(snapped - value) <= TOLERANCE else value


def parse_fractions(spec: str | dict[str, object]) -> dict[str, Fraction]:
    """``'train=0.8,valid=0.1,test=0.1'`` (or a dict) as ordered exact fractions summing to 1."""
    if isinstance(spec, dict):
        items = [(str(k), v) for k, v in spec.items()]
    elif isinstance(spec, str):
        items = []
        for part in spec.split(","):
            name, sep, value = part.partition("=")
            if not sep:
                raise InvalidSplitSpec(
                    f"fractions {spec!r}: {part.strip()!r} has no '=': write name=fraction pairs "
                    "like train=0.8,valid=0.1,test=0.1"
                )
            items.append((name.strip(), value.strip()))
    else:
        raise InvalidSplitSpec(
            f"fractions {spec!r} must be text like 'train=0.8,valid=0.1,test=0.1' or a dict of name -> fraction"
        )
    fractions: dict[str, Fraction] = {}
    for name, value in items:
        if not SPLIT_NAME.fullmatch(name):
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


def parse_rate(sample: str | float | Fraction | None) -> Fraction:
    """The sample rate in (0, 1]; None means no sampling. Rates below 1/SAMPLE_SLOTS are refused."""
    if sample is None:
        return Fraction(1)
    if isinstance(sample, str) and not sample.strip():
        raise refusal("sample rate is empty: write it like 1/70 or 0.01, or leave [[sample]] out", error=InvalidSplitSpec)
    rate = parse_fraction(sample, "sample rate")
    if not 0 < rate <= 1:
        raise InvalidSplitSpec(f"sample rate {sample} must be in (0, 1]: e.g. 1/70 or 0.01")
    if rate < Fraction(1, SAMPLE_SLOTS):
        raise InvalidSplitSpec(
            f"sample rate {sample} is below the smallest rate bqml_tools samples exactly, "
            f"1/{SAMPLE_SLOTS:,} ({1 / SAMPLE_SLOTS:g}): sample at least 1/{SAMPLE_SLOTS:,}"
        )
    return rate


@dataclass(frozen=True)
class BucketPlan:
    """Where each split lives in ``bucket = ABS(MOD(h, buckets))``, and which keys the sample keeps.

    ``h = FARM_FINGERPRINT(key string)``. A key is sampled iff
    ``ABS(MOD(DIV(h, buckets), SAMPLE_SLOTS)) < threshold``.
    """

    names: tuple[str, ...]
    fractions: tuple[Fraction, ...]  # in listed order, summing to 1
    sample: Fraction  # the asked share of keys; 1 means no sampling
    buckets: int
    upper: tuple[int, ...]  # exclusive upper bucket of each split; upper[-1] == buckets
    threshold: int  # sample slots kept: ceil(sample * SAMPLE_SLOTS)
    slots: int = SAMPLE_SLOTS

    @property
    def sampled(self) -> bool:
        """Whether the plan keeps only part of the keys."""
        return self.threshold < self.slots

    @property
    def realised_rate(self) -> Fraction:
        """The share of slots kept: ``threshold / slots`` (the asked rate, rounded up to whole slots)."""
        return Fraction(self.threshold, self.slots)

    @property
    def lower(self) -> tuple[int, ...]:
        return (0,) + self.upper[:-1]

    def ranges(self) -> dict[str, tuple[int, int]]:
        """Split name -> (first bucket, last bucket), inclusive."""
        return {n: (lo, hi - 1) for n, lo, hi in zip(self.names, self.lower, self.upper)}

    def split_of_bucket(self, bucket: int) -> str:
        for name, hi in zip(self.names, self.upper):
            if bucket < hi:
                return name
        raise ValueError(f"bucket {bucket} is outside 0-{self.buckets - 1}")

    def describe(self) -> str:
        parts = []
        for name, (lo, hi) in self.ranges().items():
            parts.append(f"{name} = bucket {lo}" if lo == hi else f"{name} = buckets {lo}-{hi}")
        return ", ".join(parts)

    def describe_sample(self) -> str:
        """How much the sample keeps, e.g. ``1/70 of keys (14286/1000000 = 1.4286%)``."""
        realised = self.realised_rate
        percent = f"{float(realised) * 100:.6g}%"
        if realised == self.sample:
            return f"{self.sample} of keys ({percent})"
        return f"{self.sample} of keys ({self.threshold}/{self.slots} = {percent})"


def _boundaries(fractions: tuple[Fraction, ...]) -> list[Fraction]:
    cumulative, bounds = Fraction(0), []
    for fraction in fractions[:-1]:
        cumulative += fraction
        bounds.append(cumulative)
    return bounds + [Fraction(1)]


def plan_buckets(
    fractions: str | dict[str, object],
    sample: str | float | Fraction | None = None,
    buckets: int | None = None,
) -> BucketPlan:
    parsed = parse_fractions(fractions)
    rate = parse_rate(sample)
    names, values = tuple(parsed), tuple(parsed.values())
    bounds = _boundaries(values)
    smallest = math.lcm(*(b.denominator for b in bounds))
    if buckets is None:
        if smallest > MAX_BUCKETS:
            raise InvalidSplitSpec(
                f"these fractions need {smallest:,} buckets to be exact (at most {MAX_BUCKETS:,}): "
                "round them (e.g. to 4 decimals)"
            )
        count = smallest
    else:
        if isinstance(buckets, bool) or not isinstance(buckets, int) or not 1 <= buckets <= MAX_BUCKETS:
            raise InvalidSplitSpec(f"bucket count {buckets!r} must be a whole number from 1 to {MAX_BUCKETS:,}")
        count = buckets
        for name, bound in zip(names, bounds):
            if (bound * count).denominator != 1:
                raise InvalidSplitSpec(
                    f"with {count} buckets the upper boundary of split {name!r} falls at bucket "
                    f"{float(bound * count):g}, not a whole bucket: use a multiple of {smallest}"
                )
    upper = tuple(int(b * count) for b in bounds)
    threshold = math.ceil(rate * SAMPLE_SLOTS)
    return BucketPlan(names=names, fractions=values, sample=rate, buckets=count, upper=upper,
                      threshold=threshold)
