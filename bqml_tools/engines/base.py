"""The engine protocol: what every engine is (``dialect``) and does (``run``, ``dry_run``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Protocol, runtime_checkable

from ..sql.render import Query

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class DryRun:
    """What an engine can say about a query without running it."""

    schema: dict[str, str]  # column name -> the engine's type name, in result order
    bytes_processed: int | None = None  # None where the engine cannot tell


@runtime_checkable
class Engine(Protocol):
    dialect: str

    def run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> pd.DataFrame: ...

    def dry_run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> DryRun: ...
