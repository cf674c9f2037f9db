"""Options of the tables ``split --destination`` creates on BigQuery: CLUSTER BY, PARTITION BY,
expiration, description and labels (``materialize.sql``, ``sql.table_options``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from ..core import identifiers
from ..core.options import refusal
from ..errors import InvalidSplitSpec

_LABEL = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")


@dataclass(frozen=True)
class TableOptions:
    """``cluster_by``: up to 4 columns (BigQuery's limit); ``partition_by``: a DATE, TIMESTAMP or
    DATETIME column, partitioned by day; ``expiration_days``: the table expires that many days after
    it is created; ``description``; ``labels``: lowercase KEY=VALUE pairs, as BigQuery accepts them."""

    cluster_by: tuple[str, ...] = ()
    partition_by: str | None = None
    expiration_days: int | None = None
    description: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cluster_by", tuple(self.cluster_by))
        if len(self.cluster_by) > 4:
            raise refusal(f"[[cluster_by]] takes at most 4 columns (BigQuery's limit), not {len(self.cluster_by)}",
                          error=InvalidSplitSpec)
        for column in self.cluster_by + ((self.partition_by,) if self.partition_by else ()):
            identifiers.column(column, "table option column")
        days = self.expiration_days
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 36_500):
            raise refusal(f"[[expiration_days]] {days!r} must be a whole number of days from 1 to 36,500",
                          error=InvalidSplitSpec)
        for key, value in self.labels.items():
            if not _LABEL.fullmatch(key) or not _LABEL_VALUE.fullmatch(value):
                raise InvalidSplitSpec(f"table label {key}={value} must be a lowercase key (letters, digits, _ and -, "
                                       "starting with a letter) and a value of at most 63 such characters")

    def __bool__(self) -> bool:
        return bool(self.cluster_by or self.partition_by or self.expiration_days is not None
                    or self.description is not None or self.labels)
