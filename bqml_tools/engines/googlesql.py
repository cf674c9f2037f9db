"""GoogleSQL's own analyzer, offline: does BigQuery accept this statement, against this schema?

The ``check`` extra (``pip install "bqml-tools[check]"``) installs PyPI's ``zetasql``: Google's ZetaSQL (the
analyzer and reference implementation that define GoogleSQL) compiled to WebAssembly, run by wasmtime with no
network. Its first start compiles the 28 MB module, about a minute of CPU (three on a busy machine); wasmtime's
compile cache keeps the result (``$BQML_TOOLS_WASMTIME_CACHE``, else ``$XDG_CACHE_HOME/bqml-tools/wasmtime`` or
``~/.cache/bqml-tools/wasmtime``), and later starts take about a second.

``GoogleSQLAnalyzer`` holds a catalog of table schemas (a table is found by ``p.ds.t`` as one identifier, as
``ds.t`` in its project, and as a path ``p``.``ds``.``t``) and analyzes statements in BigQuery's language
(``bigquery_language``): ``analyze``, ``dry_run`` (the result schema, as an engine's dry run gives it) and
``check_script`` (each ``;``-separated statement the CLI prints, a CREATE TABLE/VIEW's result registered for
the statements after it). A refusal is one line naming the analyzer's message and the line it points at.
"""
from __future__ import annotations

import atexit
import ctypes
import gc
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import BadQuery, BqmlToolsError, QueryError, TableNotFound
from ..sql.render import Query, as_query
from .base import DryRun
from .googlesql_language import bigquery_language, bigquery_ml_functions

CACHE_VARIABLE = "BQML_TOOLS_WASMTIME_CACHE"
INSTALL = 'pip install "bqml-tools[check]"'

class ReferenceUnavailable(BqmlToolsError):
    """zetasql is not installed, or its WebAssembly module did not start."""


def cache_directory() -> Path:
    """Where wasmtime keeps the compiled module: $BQML_TOOLS_WASMTIME_CACHE, else the user's cache folder."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE]).expanduser().resolve()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return (base / "bqml-tools" / "wasmtime").resolve()


def compiled(folder: Path | None = None) -> bool:
    """Whether the analyzer starts without compiling: started already in this process, or its compile cache
    holds a compiled module (else the first start compiles, about a minute)."""
    if _STARTED is not None and folder is None:
        return True
    folder = folder or cache_directory()
    return folder.is_dir() and any(path.is_file() and path.name != "wasmtime-cache.toml"
                                   for path in folder.rglob("*"))


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


def _read_bytes(self: Any, ptr: int, size: int) -> bytes:
    base = ctypes.addressof(self.memory.data_ptr().contents)  # again each call: memory may have grown
    return ctypes.string_at(base + ptr, size)


def _write_bytes(self: Any, ptr: int, data: bytes) -> None:
    ctypes.memmove(ctypes.addressof(self.memory.data_ptr().contents) + ptr, data, len(data))


def start(cache: Path | None = None) -> Reference:
    """The analyzer, compiled (or read from the compile cache ``cache``, default ``cache_directory()``) once
    per process; ReferenceUnavailable names the install that fixes it."""
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
        raise ReferenceUnavailable(f"GoogleSQL's analyzer is not installed ({error}): {INSTALL}") from None
    folder = cache or cache_directory()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        settings = folder / "wasmtime-cache.toml"
        text = f"[cache]\ndirectory = {str(folder)!r}\n".replace("'", '"')
        if not settings.exists() or settings.read_text() != text:
            settings.write_text(text)
    except OSError as error:
        raise ReferenceUnavailable(f"wasmtime compile cache {folder} is not writable: {error}; set "
                                   f"{CACHE_VARIABLE} to a writable folder") from None

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
    except Exception as error:  # noqa: BLE001 - wasmtime, the module or the service: the analyzer is not there
        raise ReferenceUnavailable(f"GoogleSQL's WebAssembly module did not start: {type(error).__name__}: "
                                   f"{error}") from None
    _STARTED = Reference(client, bigquery_language(released))
    atexit.register(_stop)
    return _STARTED


def _stop() -> None:
    """Free the module while the interpreter is whole (wasmtime's finalizers fail during its teardown)."""
    global _STARTED
    _STARTED = None
    try:
        from zetasql.core.local_service import ZetaSqlLocalService

        del ZetaSqlLocalService._instance  # get_instance() makes a new one if asked again
    except (ImportError, AttributeError):
        pass
    gc.collect()


@dataclass
class Table:
    columns: dict[str, Any]  # name -> TypeProto
    rows: list[Any] = field(default_factory=list)  # TableData.Row (content, for an engine that runs queries)


_MODEL = re.compile(r"\bMODEL\s+`([^`]+)`", re.IGNORECASE)


_DDL = re.compile(r"\A\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?P<kind>TABLE|VIEW)\s+`(?P<name>[^`]+)`"
                  r"(?P<options>.*?)\s+AS\s+(?P<body>(?:--[^\n]*\n\s*)*(?:WITH|SELECT|\().*)\Z",
                  re.IGNORECASE | re.DOTALL)  # the body may start with the toolkit's -- comments
_AT = re.compile(r"\s*\[at (\d+):(\d+)\]\s*$")


def statements(printed: str) -> list[tuple[int, str]]:
    """(line of printed where it starts, statement) for each statement of printed SQL: one query, or
    ``;``-separated DDL (each ends with ``;`` and a blank line)."""
    out, offset = [], 0
    for part in printed.split(";\n\n"):
        stripped = part.lstrip()
        text = stripped.rstrip().removesuffix(";").rstrip()
        if text:
            out.append((printed.count("\n", 0, offset + len(part) - len(stripped)) + 1, text))
        offset += len(part) + 3
    return out


class GoogleSQLAnalyzer:
    """GoogleSQL's analyzer over a catalog of table schemas, in BigQuery's language (``dialect = "bigquery"``)."""

    dialect = "bigquery"

    def __init__(self, reference: Reference | None = None, project: str = "my-project") -> None:
        self.reference = reference or start()
        self.project = project
        self.tables: dict[str, Table] = {}
        self.models: set[str] = set()
        self._registered: int | None = None

    # ------------------------------------------------------------ catalog

    def _canonical(self, name: str) -> str:
        name = name.strip("`")
        return name if name.count(".") >= 2 else f"{self.project}.{name}"

    def add_table(self, name: str, columns: Mapping[str, Any], rows: Iterable[Any] = ()) -> str:
        """Table ``name`` (``ds.t`` or ``project.ds.t``) with ``columns`` (name -> TypeProto or type name)."""
        from .googlesql_types import parse_type

        kinds = {column: parse_type(kind) if isinstance(kind, str) else kind for column, kind in columns.items()}
        self.tables[self._canonical(name)] = Table(kinds, list(rows))
        self._unregister()
        return name

    def add_model(self, name: str) -> str:
        """A BigQuery ML model ``name`` (``ds.m`` or ``project.ds.m``), for ``ML.TRAINING_INFO(MODEL name)``."""
        self.models.add(self._canonical(name))
        self._unregister()
        return name

    def add_models_read(self, sql: str) -> set[str]:
        """Register each model ``sql`` reads (``MODEL `name```, not one it creates): offline, a model's existence
        is BigQuery's to check. The names registered."""
        created = {m.group(1) for m in re.finditer(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?MODEL\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                                                   r"`([^`]+)`", sql, re.IGNORECASE)}
        read = {m.group(1) for m in _MODEL.finditer(sql)} - created
        for name in read:
            self.add_model(name)
        return read

    def _unregister(self) -> None:
        if self._registered is not None:
            from google.protobuf import empty_pb2
            from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls

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
            from zetasql.wasi._pb2.zetasql.public import simple_model_pb2, simple_table_pb2

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
            models = [simple_model_pb2.SimpleModelProto(id=n, name=alias) for n, alias in enumerate(sorted(
                {alias for key in self.models
                 for alias in (key, key.split(".", 1)[1] if key.startswith(self.project + ".") else key)}), 1)]
            top = [simple_catalog_pb2.SimpleCatalogProto(name=project, catalog=datasets)
                   for project, datasets in projects.items()] + projects.get(self.project, [])
            ml = bigquery_ml_functions()
            same = [c for c in top if c.name.lower() == ml.name.lower()]  # a dataset `ml` holds ML.* too
            same[0].custom_tvf.extend(ml.custom_tvf) if same else top.append(ml)
            catalog = simple_catalog_pb2.SimpleCatalogProto(
                name=self.project, table=tables, model=models, catalog=top,
                builtin_function_options=options_pb2.ZetaSQLBuiltinFunctionOptionsProto(
                    language_options=self.reference.language))
            reply = self.reference.call("RegisterCatalog", ls.RegisterCatalogRequest(simple_catalog=catalog,
                                                                                     table_content=content),
                                        ls.RegisterResponse)
            self._registered = reply.registered_id
        return self._registered

    # ------------------------------------------------------------ statements

    def options(self, params: Mapping[str, Any]) -> tuple[Any, list[Any]]:
        """AnalyzerOptionsProto for ``params`` (``@name`` parameters, typed from their Python values), and the
        values as the service's Parameter messages."""
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls
        from zetasql.wasi._pb2.zetasql.proto import options_pb2
        from zetasql.wasi._pb2.zetasql.public import options_pb2 as public_options

        declared, values = [], []
        for name, value in params.items():
            kind, proto = self.parameter(value)
            declared.append(options_pb2.AnalyzerOptionsProto.QueryParameterProto(name=name, type=kind))
            values.append(ls.Parameter(name=name, value=proto))
        options = options_pb2.AnalyzerOptionsProto(
            language_options=self.reference.language, parameter_mode=public_options.PARAMETER_NAMED,
            error_message_mode=public_options.ERROR_MESSAGE_ONE_LINE, query_parameters=declared,
            default_timezone="UTC")
        return options, values

    def parameter(self, value: Any) -> tuple[Any, Any]:
        """(TypeProto, ValueProto) of one parameter value; the analyzer alone needs only the type."""
        from zetasql.wasi._pb2.zetasql.public import value_pb2

        from .googlesql_types import parse_type

        kinds = {bool: "BOOL", int: "INT64", float: "FLOAT64", str: "STRING", bytes: "BYTES"}
        kind = next((name for t, name in kinds.items() if type(value) is t), None)
        if kind is None:
            raise QueryError(f"parameter value {value!r} ({type(value).__name__}) has no GoogleSQL type here")
        return parse_type(kind), value_pb2.ValueProto()

    def failure(self, error: Exception, query: Query) -> QueryError:
        """ZetaSQL's status as the BigQuery engine's exception classes (BigQuery answers 400 or 404)."""
        code = getattr(getattr(error, "code", None), "name", None)
        message = (getattr(error, "message", None) or str(error)).strip().splitlines()[0]
        what = f"query {query.template}"
        if code == "NOT_FOUND" or re.search(r"\b(Table|Dataset) not found\b", message):
            return TableNotFound(f"BigQuery: not found in {what}: {message}")
        if code in ("INVALID_ARGUMENT", "OUT_OF_RANGE", "UNIMPLEMENTED", "FAILED_PRECONDITION"):
            return BadQuery(f"BigQuery rejected {what}: {message}")
        return QueryError(f"BigQuery failed {what}: {message}")

    @staticmethod
    def output_names(columns: Any) -> list[str]:
        """Output names as BigQuery gives them: an anonymous column is ``f0_``, ``f1_``, ..."""
        names, anonymous = [], 0
        for column in columns:
            if column.name and not column.name.startswith("$"):
                names.append(column.name)
            else:
                names.append(f"f{anonymous}_")
                anonymous += 1
        return names

    def _prepared(self, query: Query) -> list[Any]:
        """The result columns of a query (PrepareQuery), as the service's SimpleColumnProto."""
        from google.protobuf import empty_pb2
        from zetasql.core.exceptions import ServerError
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls

        options, _ = self.options(query.params or {})
        try:
            reply = self.reference.call("PrepareQuery", ls.PrepareQueryRequest(
                sql=query.sql, options=options, registered_catalog_id=self._catalog()), ls.PrepareQueryResponse)
        except ServerError as error:
            raise self.failure(error, query) from error
        self.reference.call("UnprepareQuery", ls.UnprepareQueryRequest(prepared_query_id=reply.prepared.prepared_query_id),
                            empty_pb2.Empty)
        return list(reply.prepared.columns)

    def run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> Any:
        """The analyzer reads no rows: a query that needs them is refused in one line."""
        template = query.template if isinstance(query, Query) else "(SQL text)"
        raise QueryError(f"GoogleSQL's analyzer checks statements and runs none: query {template} needs rows; "
                         "run it on BigQuery or DuckDB")

    def dry_run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> DryRun:
        """The analyzed result schema (type names as BigQuery's dry run gives them); no byte estimate."""
        from .googlesql_types import type_name

        query = as_query(query, self.dialect, params)
        if query.dialect != self.dialect:
            raise QueryError(f"query {query.template} was rendered for {query.dialect}, not bigquery")
        columns = self._prepared(query)
        return DryRun(schema={n: type_name(c.type) for n, c in zip(self.output_names(columns), columns)},
                      bytes_processed=None)

    def analyze(self, sql: Query | str, params: Mapping[str, Any] | None = None) -> None:
        """Run GoogleSQL's analyzer on any statement (DDL too); BadQuery / TableNotFound with its message."""
        from google.protobuf import empty_pb2
        from zetasql.core.exceptions import ServerError
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls

        query = as_query(sql, self.dialect, params)
        options, _ = self.options(query.params or {})
        try:
            # the reply (the resolved tree) is not read: nested deeper than protobuf's parser allows
            self.reference.call("Analyze", ls.AnalyzeRequest(options=options, registered_catalog_id=self._catalog(),
                                                            sql_statement=query.sql), empty_pb2.Empty)
        except ServerError as error:
            raise self.failure(error, query) from error

    def tables_read(self, sql: str) -> list[str]:
        """The tables a statement names (the parser's, not a regex), each as its dotted name."""
        from zetasql.core.exceptions import ServerError
        from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls

        try:
            reply = self.reference.call("ExtractTableNamesFromStatement", ls.ExtractTableNamesFromStatementRequest(
                sql_statement=sql, options=self.reference.language), ls.ExtractTableNamesFromStatementResponse)
        except ServerError as error:
            raise self.failure(error, as_query(sql, self.dialect)) from error
        return [".".join(name.table_name_segment) for name in reply.table_name]

    def check_script(self, printed: str) -> int:
        """Analyze each statement of ``printed`` (what ``--dialect bigquery`` prints), registering each
        CREATE TABLE/VIEW's result for the statements after it; the number of statements. A refusal is a
        BadQuery (TableNotFound) of one line: the analyzer's message and the line of ``printed`` it names."""
        parts = statements(printed)
        self.add_models_read(printed)
        for index, (first, text) in enumerate(parts, 1):
            try:
                self.analyze(text)
                created = _DDL.match(text)
                if created:
                    columns = self._prepared(as_query(created.group("body"), self.dialect))
                    self.add_table(created.group("name"), dict(zip(self.output_names(columns),
                                                                   [c.type for c in columns])))
            except QueryError as error:
                cause = error.__cause__
                message = (getattr(cause, "message", None) or str(cause or error)).strip().splitlines()[0]
                at = _AT.search(message)
                which = f"statement {index} of {len(parts)}, " if len(parts) > 1 else ""
                if at:  # the analyzer's line:column, in the statement; the printed SQL's line, and its text
                    line = first + int(at.group(1)) - 1
                    where = f"at line {line}, column {at.group(2)} ({which}{printed.splitlines()[line - 1].strip()[:100]})"
                else:
                    where = f"in the statement from line {first}" + (f" ({which.rstrip(', ')})" if which else "")
                raise type(error)(f"GoogleSQL's analyzer refuses the printed SQL {where}: {_AT.sub('', message)}") \
                    from error
        return len(parts)
