"""The CLI's parameter types: numbers as typed (``0.5``, ``1/3``, ``50%``), seconds, URLs, COLUMN=TYPE."""
from __future__ import annotations

import math
import re
from typing import Any, Sequence
from urllib.parse import urlsplit

import click

from ..errors import BqmlToolsError


def key_types(pairs: Sequence[str]) -> dict[str, str]:
    """--key-type COLUMN=TYPE pairs as a mapping, or a one-line error naming the bad pair."""
    out = {}
    for pair in pairs:
        column, sep, kind = pair.partition("=")
        if not sep or not column or not kind:
            raise click.BadParameter(f"{pair!r}: write COLUMN=TYPE, e.g. created_at=TIMESTAMP",
                                     param_hint="--key-type")
        out[column] = kind
    return out


class Typed(float):
    """A number as the user typed it: ``repr`` (what error messages quote, ``{value!r}``) gives the text
    (``-1``, ``50%``), while ``str``, formatting, arithmetic and query parameters see the plain float."""

    text: str
    chosen: dict[str, Any] | None = None  # a threshold read from a file (ThresholdValue): what it was chosen on

    def __new__(cls, value: float, text: str) -> Typed:
        number = super().__new__(cls, value)
        number.text = text
        return number

    def __repr__(self) -> str:
        return self.text

    __str__ = float.__repr__


class Number(click.ParamType):
    """Every numeric option: ``0.5``, ``1/3`` or ``50%``, read by the parser of ``--fractions``
    (bqml_tools.core.plan.parse_fraction: exact, at most 30 significant digits and exponents within +-30,
    so nothing can hang). ``whole`` options take plain whole numbers only (``3``, ``-2``), never a
    fraction, a percentage or an exponent. Errors are one line naming the option and the value."""

    name = "number"

    def __init__(self, whole: bool = False, low: int | None = None, high: int | None = None) -> None:
        self.whole, self.low, self.high = whole, low, high

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = repr(value)  # a default
        from ..core.plan import parse_fraction
        from ..errors import InvalidSplitSpec

        option = param.opts[0] if param is not None and param.opts else "value"
        text = str(value).strip()
        example = "a whole number like 3" if self.whole else "a number like 0.5, 1/3 or 50%"
        if self.whole and not re.fullmatch(r"[+-]?[0-9]{1,30}", text):
            raise BqmlToolsError(f"{option} {value!r} is not a whole number: write {example}")
        try:
            exact = parse_fraction(text, option)
        except InvalidSplitSpec as error:
            raise BqmlToolsError(f"{str(error).split(':')[0]}: write {example}") from None
        if self.whole and exact.denominator != 1:
            raise BqmlToolsError(f"{option} {value!r} is not a whole number: write {example}")
        number = int(exact) if self.whole else Typed(float(exact), text)
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise BqmlToolsError(f"{option} {value!r} is out of range: write a whole number from {self.low:,} "
                                 f"to {self.high:,}")
        return number


class ThresholdValue(Number):
    """--threshold: a number (``0.5``, ``1/3``, ``50%``) or ``@FILE``, a threshold saved by ``threshold
    --save-threshold FILE`` (the exact double that was chosen, with what it was chosen on in ``.chosen``)."""

    name = "threshold"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if not (isinstance(value, str) and value.startswith("@")):
            return super().convert(value, param, ctx)
        from .saved import read_threshold

        chosen = read_threshold(value[1:])
        number = Typed(chosen["threshold"], value)
        number.chosen = chosen
        return number


class Seconds(Number):
    """A finite number of seconds in (0, 21600]: BigQuery's longest query job runs 6 hours."""

    name = "seconds"
    LIMIT = 6 * 3600.0

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            seconds = super().convert(value, param, ctx)
        except BqmlToolsError:
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or not 0 < seconds <= self.LIMIT:
            self.fail(f"{value!r} must be a finite number of seconds above 0 and at most {self.LIMIT:g} "
                      "(6 hours, BigQuery's job limit)", param, ctx)
        return seconds


def endpoint(ctx: Any, param: Any, value: str | None) -> str | None:
    """An --api-endpoint must be an http(s) URL with a host (and a valid port, if any)."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or 0 < parts.port
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise click.BadParameter(f"{value!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:9050",
                                 ctx=ctx, param=param)
    return value
