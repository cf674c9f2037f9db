"""GoogleSQL's own analyzer and reference implementation as a test engine (PyPI's ``zetasql``).

``zetasql`` (an extra of ``dev``) runs Google's ZetaSQL compiled to WebAssembly with wasmtime, offline. The
first start compiles the 28 MB module (one to three minutes of CPU); wasmtime's compile cache keeps the result
under ``.cache/wasmtime`` (``BQML_TOOLS_WASMTIME_CACHE`` points elsewhere, e.g. one folder for every worktree
or a CI cache), so later starts take a fraction of a second.

``GoogleSQLEngine`` is the Engine protocol as the library uses a BigQuery engine: ``dialect = "bigquery"``,
``run`` and ``dry_run`` (with ``@name`` parameters), ``execute`` (CREATE [OR REPLACE] TABLE|VIEW ... AS), and
``client.project`` for messages. Its catalog holds tables loaded from Python rows (``create_table``), each under
its name and its project-qualified name; a statement runs exactly as the toolkit prints it. The requests are
ZetaSQL's local-service protos, sent directly (the package's dataclass layer is slow on thousands of cells).
"""
from __future__ import annotations

import ctypes
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from bqml_tools.engines import DryRun, bigquery_dtypes
from bqml_tools.errors import BadQuery, DestinationExists, QueryError, TableNotFound
from bqml_tools.sql.render import Query, as_query

ROOT = Path(__file__).resolve().parents[1]
CACHE_VARIABLE = "BQML_TOOLS_WASMTIME_CACHE"
PROJECT = "bqml-test"
REQUIREMENT = "zetasql==0.1.5"


class ReferenceUnavailable(RuntimeError):
    pass


def cache_directory() -> Path:
    return Path(os.environ.get(CACHE_VARIABLE) or ROOT / ".cache" / "wasmtime").resolve()


@dataclass
class Reference:
    """The started service: ZetaSQL's local service in this process, and the language it is asked to speak."""

    client: Any  # zetasql.core.wasm_client.WasmClient
    language: Any  # LanguageOptionsProto
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, method: str, request: Any, response_type: Any) -> Any:
        with self.lock:  # one wasm store: one call at a time
            return self.client.call_grpc_func(f"ZetaSqlLocalService_{method}", request, response_type)


_STARTED: Reference | None = None

# BigQuery's GoogleSQL, as close as the analyzer's switches allow. The base is the released language
# (VERSION_CURRENT: every versioned feature that is not in development; not maximum_features, which also turns
# on every opt-in feature), in external product mode (FLOAT64, no INT32/UINT64/FLOAT). Then, feature by feature
# for what the toolkit prints, each checked against BigQuery's documentation:
BIGQUERY_ADDS = (
    "FEATURE_ANALYTIC_FUNCTIONS",  # window functions: opt-in in ZetaSQL, everywhere in BigQuery
    "FEATURE_NUMERIC_TYPE",  # NUMERIC keys (BigQuery's NUMERIC: precision 38, scale 9)
    "FEATURE_BIGNUMERIC_TYPE",  # BIGNUMERIC columns in a source
    "FEATURE_JSON_TYPE", "FEATURE_GEOGRAPHY", "FEATURE_INTERVAL_TYPE",  # BigQuery column types a source may hold
    "FEATURE_NAMED_ARGUMENTS",  # fn(x => v): BigQuery's ML.* and AI.* functions
    "FEATURE_TABLE_VALUED_FUNCTIONS",  # FROM fn(...): BigQuery's ML.EVALUATE, ML.PREDICT, ML.TRAINING_INFO
    "FEATURE_CREATE_TABLE_PARTITION_BY", "FEATURE_CREATE_TABLE_CLUSTER_BY",  # CREATE TABLE ... PARTITION BY / CLUSTER BY
    "FEATURE_CREATE_TABLE_NOT_NULL",  # CREATE TABLE (c INT64 NOT NULL)
    "FEATURE_CREATE_TABLE_FIELD_ANNOTATIONS",  # column OPTIONS(description=...)
    "FEATURE_CREATE_TABLE_AS_SELECT_COLUMN_LIST",  # CREATE TABLE t (c TYPE, ...) AS SELECT
    "FEATURE_CREATE_VIEW_WITH_COLUMN_LIST",  # CREATE VIEW v (c, ...) AS
    "FEATURE_PARAMETERIZED_TYPES",  # STRING(10), NUMERIC(10, 2)
    "FEATURE_TABLESAMPLE",  # TABLESAMPLE SYSTEM (n PERCENT)
    "FEATURE_GROUP_BY_ROLLUP",  # GROUP BY ROLLUP(...)
    "FEATURE_CBRT_FUNCTIONS", "FEATURE_JSON_VALUE_EXTRACTION_FUNCTIONS", "FEATURE_JSON_CONSTRUCTOR_FUNCTIONS",
)
BIGQUERY_REMOVES = (
    "FEATURE_GROUP_BY_ARRAY",  # BigQuery: "Grouping by expressions of type ARRAY is not allowed"
    "FEATURE_PROTO_MAPS", "FEATURE_PROTO_EXTENSIONS_WITH_NEW", "FEATURE_PROTO_EXTENSIONS_WITH_SET",  # no protos
    "FEATURE_SQL_GRAPH",  # GQL: not BigQuery SQL
    "FEATURE_MATCH_RECOGNIZE",  # not in BigQuery
)
# QUALIFY stays a non-reserved keyword (the analyzer's default; maximum_features reserves it): a QUALIFY then
# needs a WHERE, GROUP BY or HAVING before it, as BigQuery answers "QUALIFY clause must be used in conjunction
# with WHERE or GROUP BY or HAVING clause". The stricter reading: what passes here passes there.


def bigquery_language(released: Any) -> Any:
    """The released LanguageOptionsProto made BigQuery's (BIGQUERY_ADDS, BIGQUERY_REMOVES, external types)."""
    from zetasql.wasi._pb2.zetasql.public import options_pb2 as public_options

    features = set(released.enabled_language_features)
    features |= {public_options.LanguageFeature.Value(name) for name in BIGQUERY_ADDS}
    features -= {public_options.LanguageFeature.Value(name) for name in BIGQUERY_REMOVES}
    language = type(released)()
    language.CopyFrom(released)
    del language.enabled_language_features[:]
    language.enabled_language_features.extend(sorted(features))
    del language.reserved_keywords[:]
    language.product_mode = public_options.PRODUCT_EXTERNAL
    del language.supported_statement_kinds[:]  # empty: every statement kind (DDL too), not queries only
    return language


def _read_bytes(self: Any, ptr: int, size: int) -> bytes:
    base = ctypes.addressof(self.memory.data_ptr().contents)  # again each call: memory may have grown
    return ctypes.string_at(base + ptr, size)


def _write_bytes(self: Any, ptr: int, data: bytes) -> None:
    ctypes.memmove(ctypes.addressof(self.memory.data_ptr().contents) + ptr, data, len(data))


def start() -> Reference:
    """The reference, compiled (or read from the compile cache) once per process."""
    global _STARTED
    if _STARTED is not None:
        return _STARTED
    try:
        import wasmtime
        from zetasql.core import wasm_client
        from zetasql.core.local_service import ZetaSqlLocalService
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls
        from zetasql.wasi._pb2.zetasql.proto import options_pb2
        from zetasql.wasi._pb2.zetasql.public import options_pb2 as public_options
    except ImportError as error:
        raise ReferenceUnavailable(f"{REQUIREMENT} is not installed ({error}): pip install -e '.[dev]'") from None
    folder = cache_directory()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        settings = folder / "wasmtime-cache.toml"
        text = f"[cache]\ndirectory = {str(folder)!r}\n".replace("'", '"')
        if not settings.exists() or settings.read_text() != text:
            settings.write_text(text)
    except OSError as error:
        raise ReferenceUnavailable(f"wasmtime compile cache {folder} is not writable: {error}; set {CACHE_VARIABLE}") from None

    class CachedConfig(wasmtime.Config):
        """The package builds its own ``wasmtime.Config()``: this one also reads and fills the compile cache."""

        def __init__(self) -> None:
            super().__init__()
            self.cache = str(settings)

    wasm_client.Config = CachedConfig
    # the package copies WebAssembly memory one byte at a time in Python; whole slices are the same bytes
    wasm_client.WasmClient.read_bytes = _read_bytes
    wasm_client.WasmClient.write_bytes = _write_bytes
    try:
        client = ZetaSqlLocalService.get_instance().wasm_client
        released = client.call_grpc_func("ZetaSqlLocalService_GetLanguageOptions",
                                         ls.LanguageOptionsRequest(language_version=public_options.VERSION_CURRENT),
                                         options_pb2.LanguageOptionsProto)
    except Exception as error:  # noqa: BLE001 - wasmtime, the module or the service: the reference is not there
        raise ReferenceUnavailable(f"ZetaSQL's WebAssembly module did not start: {type(error).__name__}: {error}") from None
    language = bigquery_language(released)
    _STARTED = Reference(client, language)
    return _STARTED


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


@dataclass
class Table:
    columns: dict[str, Any]  # name -> TypeProto
    rows: list[Any]  # TableData.Row


_DDL = re.compile(r"\A\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?P<kind>TABLE|VIEW)\s+`(?P<name>[^`]+)`\s+AS\s+(?P<body>.*)\Z",
                  re.IGNORECASE | re.DOTALL)


class GoogleSQLEngine:
    """A BigQuery engine whose jobs run on GoogleSQL's reference implementation (tables live in memory)."""

    dialect = "bigquery"

    def __init__(self, reference: Reference | None = None, project: str = PROJECT) -> None:
        self.reference = reference or start()
        self.project = project
        self.client = SimpleNamespace(project=project)  # what the library reads for its messages
        self.max_bytes_billed = None
        self.tables: dict[str, Table] = {}
        self._registered: int | None = None

    # ------------------------------------------------------------ catalog

    def _canonical(self, name: str) -> str:
        name = name.strip("`")
        return name if name.count(".") >= 2 else f"{self.project}.{name}"

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
        self.tables[key] = table
        self._unregister()

    def _unregister(self) -> None:
        if self._registered is not None:
            from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls
            from google.protobuf import empty_pb2

            self.reference.call("UnregisterCatalog", ls.UnregisterRequest(registered_id=self._registered), empty_pb2.Empty)
            self._registered = None

    def __del__(self) -> None:
        try:
            self._unregister()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def _catalog(self) -> int:
        """The registered catalog id: every table under its full name as one identifier (`p.ds.t`), without the
        project (`ds.t`), and as a path (`p`.`ds`.`t` as dbt-bigquery renders a relation, or ds.t: nested catalogs
        project -> dataset -> table). The service gives content to top-level tables only, so a statement naming
        a table as a path is analyzed (``analyze``, ``dry_run``) but not run."""
        if self._registered is None:
            from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls
            from zetasql.wasi._pb2.zetasql.proto import options_pb2, simple_catalog_pb2
            from zetasql.wasi._pb2.zetasql.public import simple_table_pb2

            tables, content, nested = [], {}, {}
            for key, table in self.tables.items():
                columns = [simple_table_pb2.SimpleColumnProto(name=c, type=t) for c, t in table.columns.items()]
                data = ls.TableContent(table_data=ls.TableData(row=table.rows))
                for alias in {key, key.split(".", 1)[1] if key.startswith(self.project + ".") else key}:
                    tables.append(simple_table_pb2.SimpleTableProto(name=alias, column=columns))
                    content[alias] = data
                *path, last = key.split(".")
                if len(path) == 2:  # the content is found by the table's name: the full name, unique
                    nested.setdefault(tuple(path), []).append(simple_table_pb2.SimpleTableProto(
                        name=f"{key}#parts", name_in_catalog=last, column=columns))
                    content[f"{key}#parts"] = data
            projects: dict[str, list[Any]] = {}
            for (project, dataset), members in nested.items():
                projects.setdefault(project, []).append(simple_catalog_pb2.SimpleCatalogProto(name=dataset,
                                                                                             table=members))
            catalog = simple_catalog_pb2.SimpleCatalogProto(
                name=self.project, table=tables,
                catalog=[simple_catalog_pb2.SimpleCatalogProto(name=project, catalog=datasets)
                         for project, datasets in projects.items()] + projects.get(self.project, []),
                builtin_function_options=options_pb2.ZetaSQLBuiltinFunctionOptionsProto(
                    language_options=self.reference.language))
            reply = self.reference.call("RegisterCatalog", ls.RegisterCatalogRequest(simple_catalog=catalog,
                                                                                     table_content=content),
                                        ls.RegisterResponse)
            self._registered = reply.registered_id
        return self._registered

    # ------------------------------------------------------------ statements

    def _options(self, params: Mapping[str, Any]) -> tuple[Any, list[Any]]:
        from googlesql_values import infer_type, to_value
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls
        from zetasql.wasi._pb2.zetasql.proto import options_pb2
        from zetasql.wasi._pb2.zetasql.public import options_pb2 as public_options

        declared, values = [], []
        for name, value in params.items():
            kind = infer_type(value)
            declared.append(options_pb2.AnalyzerOptionsProto.QueryParameterProto(name=name, type=kind))
            values.append(ls.Parameter(name=name, value=to_value(value, kind)))
        options = options_pb2.AnalyzerOptionsProto(
            language_options=self.reference.language, parameter_mode=public_options.PARAMETER_NAMED,
            error_message_mode=public_options.ERROR_MESSAGE_ONE_LINE, query_parameters=declared,
            default_timezone="UTC")
        return options, values

    def _failure(self, error: Exception, query: Query) -> QueryError:
        """ZetaSQL's status as the BigQuery engine's exception classes (BigQuery answers 400 or 404)."""
        code = getattr(getattr(error, "code", None), "name", None)
        message = (getattr(error, "message", None) or str(error)).strip().splitlines()[0]
        what = f"query {query.template}"
        if code == "NOT_FOUND" or re.search(r"\b(Table|Dataset) not found\b", message):
            return TableNotFound(f"BigQuery: not found in {what}: {message}")
        if code in ("INVALID_ARGUMENT", "OUT_OF_RANGE", "UNIMPLEMENTED", "FAILED_PRECONDITION"):
            return BadQuery(f"BigQuery rejected {what}: {message}")
        return QueryError(f"BigQuery failed {what}: {message}")

    def _evaluate(self, sql: str, query: Query) -> Any:
        from zetasql.core.exceptions import ServerError
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls

        if query.dialect != self.dialect:
            raise QueryError(f"query {query.template} was rendered for {query.dialect}, not bigquery")
        options, values = self._options(query.params or {})
        try:
            return self.reference.call("EvaluateQuery", ls.EvaluateQueryRequest(
                sql=sql, options=options, registered_catalog_id=self._catalog(), params=values), ls.EvaluateQueryResponse)
        except ServerError as error:
            raise self._failure(error, query) from error

    @staticmethod
    def _names(columns: Sequence[Any]) -> list[str]:
        """Output names as BigQuery gives them: an anonymous column is ``f0_``, ``f1_``, ..."""
        names, anonymous = [], 0
        for column in columns:
            if column.name and not column.name.startswith("$"):
                names.append(column.name)
            else:
                names.append(f"f{anonymous}_")
                anonymous += 1
        return names

    def _frame(self, reply: Any) -> pd.DataFrame:
        from googlesql_values import arrow_table

        columns = list(reply.prepared.columns)
        table = arrow_table(self._names(columns), [c.type for c in columns], list(reply.content.table_data.row))
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

    def dry_run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> DryRun:
        """The analyzed result schema (type names as BigQuery's dry run gives them); no byte estimate."""
        from google.protobuf import empty_pb2
        from googlesql_values import type_name
        from zetasql.core.exceptions import ServerError
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls

        query = as_query(query, self.dialect, params)
        if query.dialect != self.dialect:
            raise QueryError(f"query {query.template} was rendered for {query.dialect}, not bigquery")
        options, _ = self._options(query.params or {})
        try:
            reply = self.reference.call("PrepareQuery", ls.PrepareQueryRequest(
                sql=query.sql, options=options, registered_catalog_id=self._catalog()), ls.PrepareQueryResponse)
        except ServerError as error:
            raise self._failure(error, query) from error
        self.reference.call("UnprepareQuery", ls.UnprepareQueryRequest(prepared_query_id=reply.prepared.prepared_query_id),
                            empty_pb2.Empty)
        columns = list(reply.prepared.columns)
        return DryRun(schema={n: type_name(c.type) for n, c in zip(self._names(columns), columns)}, bytes_processed=None)

    def analyze(self, sql: Query | str, params: Mapping[str, Any] | None = None) -> None:
        """Run GoogleSQL's analyzer on any statement (DDL too); BadQuery / TableNotFound with its message."""
        from google.protobuf import empty_pb2
        from zetasql.core.exceptions import ServerError
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls

        query = as_query(sql, self.dialect, params)
        options, _ = self._options(query.params or {})
        try:
            # the reply (the resolved tree) is not read: nested deeper than protobuf's parser allows
            self.reference.call("Analyze", ls.AnalyzeRequest(options=options, registered_catalog_id=self._catalog(),
                                                            sql_statement=query.sql), empty_pb2.Empty)
        except ServerError as error:
            raise self._failure(error, query) from error

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
        self._store(name, Table(dict(zip(self._names(columns), [c.type for c in columns])),
                                list(reply.content.table_data.row)), replace=True)
