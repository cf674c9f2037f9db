"""What to split and how: ``SplitSpec`` (key, fractions, salt, sample, buckets, NULL keys, strata)."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping, Sequence

from ..core import identifiers
from ..core.keys import salt_component
from ..core.options import refusal
from ..core.plan import SPLIT_NAME, BucketPlan, plan_buckets
from ..errors import InvalidSplitSpec


@dataclass(frozen=True)
class SplitSpec:
    """What to split and how. ``key`` names one or more columns hashed together.

    ``null_keys``: ``"error"`` (default: refuse, reporting how many), ``"drop"``, or
    ``"split:NAME"`` to send rows with a NULL key to split NAME.
    ``key_types``: column -> type, used when no engine can be asked (printing SQL only).
    """

    key: Sequence[str]
    fractions: str | Mapping[str, Any] = "train=0.8,valid=0.1,test=0.1"
    salt: str | None = None
    sample: str | float | Fraction | None = None
    buckets: int | None = None
    null_keys: str = "error"
    stratify: str | None = None
    split_column: str = "split"
    key_types: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        key = self.key
        if isinstance(key, str):
            key = (key,)
        elif key is None or not isinstance(key, (list, tuple)):
            raise InvalidSplitSpec(
                f"key {key!r} must be a column name or a list of column names, e.g. key=['user_id']"
            )
        object.__setattr__(self, "key", tuple(key))
        if not self.key:
            raise refusal("no key column: pass [[key=]] (repeat it for a composite key)", error=InvalidSplitSpec)
        for column in self.key:
            identifiers.column(column, "key column")
        if len({c.lower() for c in self.key}) != len(self.key):
            raise InvalidSplitSpec(f"key columns repeat: {', '.join(self.key)}")
        if self.stratify is not None:
            identifiers.column(self.stratify, "stratify column")
        identifiers.column(self.split_column, "split column")
        named = list(self.key) + ([self.stratify] if self.stratify is not None else []) + [self.split_column]
        identifiers.refuse_reserved_options(
            [("key", c) for c in self.key] + [("stratify", self.stratify), ("split_column", self.split_column)],
            outputs=["split_column"])
        for column in named[:-1]:
            if identifiers.same_name(column, self.split_column):
                raise refusal(
                    f"split column {self.split_column!r} is also the key or stratify column {column!r}: "
                    "pass [[split_column]] with another name", error=InvalidSplitSpec)
        if not isinstance(self.key_types, Mapping):
            raise InvalidSplitSpec(f"key_types {self.key_types!r} must be a mapping of column -> type name")
        salt_component(self.salt)
        self.null_policy()
        self.plan  # fractions, sample and buckets are checked now, not at the first query

    @property
    def plan(self) -> BucketPlan:
        return plan_buckets(dict(self.fractions) if isinstance(self.fractions, Mapping) else self.fractions,
                            self.sample, self.buckets)

    def null_policy(self) -> tuple[str, str | None]:
        """('error' | 'drop' | 'split', split name or None)."""
        text = self.null_keys
        if text in ("error", "drop"):
            return text, None
        if isinstance(text, str) and text.startswith("split:") and SPLIT_NAME.fullmatch(text[6:]):
            return "split", text[6:]
        raise InvalidSplitSpec(
            f"null keys policy {text!r} is not one of: error, drop, split:NAME (NAME a split name like holdout)"
        )
