"""The toolkit's exceptions: every message names the bad value and the fix."""
from __future__ import annotations


class BqmlToolsError(ValueError):
    """Base class. ``str(error)`` names the Python arguments (``EvalSpec(ci=0.9) needs key=...``); ``cli``,
    when the message names options, is the same message in the command line's words (``--ci needs --key
    COLUMN``), which the CLI prints on one line before exiting with status 2."""

    def __init__(self, *args: object, cli: str | None = None) -> None:
        super().__init__(*args)
        self.cli = cli

    def in_cli_words(self) -> str:
        """The message as the command line says it: its flags where the library names its arguments."""
        return self.cli if self.cli is not None else str(self)


class InvalidIdentifier(BqmlToolsError):
    """A column or table name that is not a plain identifier (quotes, backticks, semicolons...)."""


class InvalidSplitSpec(BqmlToolsError):
    """Fractions, sample rate or bucket count that cannot describe a split."""


class UnknownColumn(BqmlToolsError):
    """A column named by the user that the source does not have."""


class UnsupportedKeyType(BqmlToolsError):
    """A key column whose type has no canonical string shared by BigQuery and DuckDB."""


class NullKeys(BqmlToolsError):
    """NULL keys (or labels) found while the policy says to refuse them."""


class TemplateError(BqmlToolsError):
    """A template could not be rendered; the message names the template and the parameter."""


class QueryError(BqmlToolsError):
    """The engine refused or failed a query; the message carries the engine's own words."""


class TableNotFound(QueryError):
    """The table (or dataset) a query reads or writes does not exist."""


class PermissionDenied(QueryError):
    """The credentials may not read or write what the query touches."""


class BadQuery(QueryError):
    """The engine rejected the SQL (syntax, types, a failed ERROR() guard...)."""


class BytesLimitExceeded(QueryError):
    """The query would bill more bytes than --max-bytes-billed allows."""


class DestinationExists(QueryError):
    """A materialised split would overwrite an existing table or view without --replace."""


class EngineUnavailable(BqmlToolsError):
    """The engine could not be set up (no credentials, no project...)."""


# What lowers bytes billed (on-demand pricing), for messages about --max-bytes-billed: --sample does
# not, as it filters on a hash after the scan and BigQuery cannot prune on it.
READ_LESS = ("bytes billed count every column the statement reads over every partition it scans, so read "
             "fewer columns or a table partitioned or clustered on what you filter; a sample of the keys filters "
             "after the scan and bills the same bytes")


class UnsupportedEngine(BqmlToolsError):
    """An engine object lacks what a call needs: the ``Engine`` protocol or a capability (``CanExecute``...)."""
