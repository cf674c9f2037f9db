"""GoogleSQL's own analyzer and reference implementation as a test engine (PyPI's ``zetasql``).

The analyzer, its catalog and BigQuery's language are the library's (``bqml_tools.engines.googlesql``, the
``check`` extra, also in ``dev``); this module adds what only tests need: tables with content and a run.
The first start compiles the 28 MB module (one to three minutes of CPU); wasmtime's compile cache keeps the
result under ``.cache/wasmtime`` here (``BQML_TOOLS_WASMTIME_CACHE`` points elsewhere, e.g. one folder for
every worktree or a CI cache), so later starts take a fraction of a second.

``GoogleSQLEngine`` is the Engine protocol as the library uses a BigQuery engine: ``dialect = "bigquery"``,
``run`` and ``dry_run`` (with ``@name`` parameters), ``execute`` (CREATE [OR REPLACE] TABLE|VIEW ... AS), and
``client.project`` for messages. Its catalog holds tables loaded from Python rows (``create_table``), each under
its name and its project-qualified name; a statement runs exactly as the toolkit prints it. The requests are
ZetaSQL's local-service protos, sent directly (the package's dataclass layer is slow on thousands of cells).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from bqml_tools.engines import bigquery_dtypes
from bqml_tools.engines.googlesql import (CACHE_VARIABLE, GoogleSQLAnalyzer, Reference, ReferenceUnavailable,
                                          Table)
from bqml_tools.engines.googlesql_language import BIGQUERY_ADDS, BIGQUERY_REMOVES, bigquery_language
from bqml_tools.engines import googlesql as library
from bqml_tools.errors import BadQuery, DestinationExists, QueryError
from bqml_tools.sql.render import Query, as_query

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "bqml-test"
REQUIREMENT = "zetasql==0.1.5"
__all__ = ["BIGQUERY_ADDS", "BIGQUERY_REMOVES", "GoogleSQLEngine", "Reference", "ReferenceUnavailable",
           "bigquery_language", "start"]


def cache_directory() -> Path:
    return Path(os.environ.get(CACHE_VARIABLE) or ROOT / ".cache" / "wasmtime").resolve()


def start() -> Reference:
    """The reference, compiled (or read from this checkout's compile cache) once per process."""
    return library.start(cache_directory())


# The reference implements no approximate aggregate. The one declared list of what that costs: function ->
# the result columns it computes (median_absolute_error on BigQuery is APPROX_QUANTILES(|p - y|, 2)[OFFSET(1)]).
# A statement calling one must fail on the reference with "Unsupported built-in function" (checked: the
# engine raises AssertionError when it does not, and the entry must go); the engine then runs it with each call
# replaced by a typed NULL, and checks that the declared columns came back NULL. Every other column is
# compared with its oracle as on any engine.
APPROXIMATE_COLUMNS: dict[str, tuple[str, ...]] = {"APPROX_QUANTILES": ("median_absolute_error",)}
_APPROXIMATE_CALL = re.compile(r"\b(" + "|".join(APPROXIMATE_COLUMNS) + r")\(", re.IGNORECASE)


def approximate_columns(engine: Any) -> set[str]:
    """The result columns ``engine`` cannot compute (APPROXIMATE_COLUMNS on the reference; none elsewhere)."""
    if not isinstance(engine, GoogleSQLEngine):
        return set()
    return {column for columns in APPROXIMATE_COLUMNS.values() for column in columns}


def without_approximate(sql: str) -> tuple[str, set[str]]:
    """``sql`` with every call of a declared approximate aggregate (and its ``[OFFSET(n)]``) as a FLOAT64 NULL,
    and which functions were replaced."""
    replaced, out, at = set(), [], 0
    for match in _APPROXIMATE_CALL.finditer(sql):
        if match.start() < at:
            continue
        depth, end = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        offset = re.match(r"\s*\[\s*(?:SAFE_)?(?:OFFSET|ORDINAL)\s*\(\s*\d+\s*\)\s*\]", sql[end:], re.IGNORECASE)
        end += offset.end() if offset else 0
        out += [sql[at:match.start()], "CAST(NULL AS FLOAT64)"]
        replaced.add(match.group(1).upper())
        at = end
    return "".join(out) + sql[at:], replaced


# table options (PARTITION BY, CLUSTER BY, OPTIONS: split --destination) sit between the name and AS
_DDL = re.compile(r"\A\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?P<kind>TABLE|VIEW)\s+`(?P<name>[^`]+)`"
                  r"(?P<options>(?:\s+(?:PARTITION BY|CLUSTER BY|OPTIONS)\b[^\n]*)*)\s+AS\s+(?P<body>.*)\Z",
                  re.IGNORECASE | re.DOTALL)


class GoogleSQLEngine(GoogleSQLAnalyzer):
    """A BigQuery engine whose jobs run on GoogleSQL's reference implementation (tables live in memory)."""

    def __init__(self, reference: Reference | None = None, project: str = PROJECT) -> None:
        super().__init__(reference or start(), project)
        self.client = SimpleNamespace(project=project)  # what the library reads for its messages
        self.max_bytes_billed = None

    def create_table(self, name: str, columns: Mapping[str, str], rows: Iterable[Sequence[Any]], *,
                     replace: bool = True) -> str:
        """Table ``name`` (``ds.t`` or ``project.ds.t``) with ``columns`` (name -> GoogleSQL type) and ``rows``."""
        from googlesql_values import parse_type, to_value
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls

        kinds = {column: parse_type(kind) if isinstance(kind, str) else kind for column, kind in columns.items()}
        types = list(kinds.values())
        cells = [ls.TableData.Row(cell=[to_value(v, k) for v, k in zip(row, types)]) for row in rows]
        self._store(name, Table(kinds, cells), replace)
        return name

    def _store(self, name: str, table: Table, replace: bool) -> None:
        key = self._canonical(name)
        if key in self.tables and not replace:
            raise DestinationExists(f"BigQuery: Already Exists: Table {key} (query materialize.sql): pass --replace "
                                    "to overwrite it")
        self.add_table(name, table.columns, table.rows)

    def parameter(self, value: Any) -> tuple[Any, Any]:
        from googlesql_values import infer_type, to_value

        kind = infer_type(value)
        return kind, to_value(value, kind)

    # ------------------------------------------------------------ statements

    def _evaluate(self, sql: str, query: Query) -> Any:
        from zetasql.core.exceptions import ServerError
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls

        if query.dialect != self.dialect:
            raise QueryError(f"query {query.template} was rendered for {query.dialect}, not bigquery")
        options, values = self.options(query.params or {})
        try:
            return self.reference.call("EvaluateQuery", ls.EvaluateQueryRequest(
                sql=sql, options=options, registered_catalog_id=self._catalog(), params=values), ls.EvaluateQueryResponse)
        except ServerError as error:
            raise self.failure(error, query) from error

    def _frame(self, reply: Any) -> pd.DataFrame:
        from googlesql_values import arrow_table

        columns = list(reply.prepared.columns)
        table = arrow_table(self.output_names(columns), [c.type for c in columns], list(reply.content.table_data.row))
        return bigquery_dtypes(table)

    def run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The rows with the dtypes google-cloud-bigquery's ``to_dataframe`` gives (``bigquery_dtypes``); the
        columns of a declared approximate aggregate (APPROXIMATE_COLUMNS) are NULL."""
        query = as_query(query, self.dialect, params)
        stand_in, replaced = without_approximate(query.sql)
        if not replaced:
            return self._frame(self._evaluate(query.sql, query))
        try:
            self._evaluate(query.sql, query)
        except BadQuery as error:
            if "Unsupported built-in function" not in str(error):
                raise
        else:
            raise AssertionError(f"the reference now runs {', '.join(sorted(replaced))}: take it out of "
                                 "APPROXIMATE_COLUMNS in tests/googlesql.py")
        frame = self._frame(self._evaluate(stand_in, query))
        declared = {column for function in replaced for column in APPROXIMATE_COLUMNS[function]}
        nulls = {column for column in frame.columns if len(frame) and frame[column].isna().all()}
        missing = declared & set(frame.columns) - nulls
        assert not missing, f"declared approximate columns {sorted(missing)} are not computed by {sorted(replaced)}"
        return frame

    def execute(self, query: Query) -> None:
        """CREATE [OR REPLACE] TABLE|VIEW `name` AS SELECT ...: analyzed whole, then the SELECT's rows stored.
        A view is stored as its rows at creation (the reference has no views; nothing changes tables later)."""
        ddl = _DDL.match(query.sql)
        if ddl is None:
            raise QueryError(f"the GoogleSQL test engine runs CREATE ... AS statements only, not query {query.template}")
        name = ddl.group("name")
        if self._canonical(name) in self.tables and not ddl.group("replace"):
            raise DestinationExists(f"BigQuery: Already Exists: Table {self._canonical(name)} (query {query.template}): "
                                    "pass --replace to overwrite it")
        self.analyze(query.sql, query.params)
        reply = self._evaluate(ddl.group("body"), query)
        columns = list(reply.prepared.columns)
        self._store(name, Table(dict(zip(self.output_names(columns), [c.type for c in columns])),
                                list(reply.content.table_data.row)), replace=True)
