"""The dbt package's macros rendered the way dbt renders them, with plain Jinja: for the BigQuery adapter,
which needs credentials to compile, and for property tests that must not start dbt per example.

What it keeps of dbt (dbt-core 1.11, dbt_common.clients.jinja): the macro files of the package's
macro-paths, less ``.dbtignore``; each ``{% macro %}`` block compiled on its own in a sandboxed
environment without trim_blocks or lstrip_blocks, with the extensions do and loopcontrols; every
macro's globals the one live context dict (``context``), holding the package's macros by name and under
``bqml_tools``; ``return()``; ``adapter.dispatch`` searching ``<adapter>__name`` then ``default__name``;
``exceptions.raise_compiler_error``; ``modules.re``; ``execute``. tests/test_dbt.py checks that this shim
renders exactly what real dbt-duckdb compiles, so the BigQuery renderings it gives are dbt-bigquery's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dbt"
_MACRO = re.compile(r"{%-?\s*(macro|test)\s+(\w+)\s*\(.*?{%-?\s*end(?:macro|test)\s*-?%}", re.S)
_QUOTES = {"bigquery": "`", "duckdb": '"'}


class CompilationError(Exception):
    """What ``exceptions.raise_compiler_error`` raises (dbt's CompilationError)."""


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


def _return(value: Any) -> None:
    raise _Return(value)


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str


@dataclass(frozen=True)
class Relation:
    """A dbt Relation: its parts, rendered quoted part by part (``{{ model }}`` in a test)."""

    database: str | None
    schema: str | None
    identifier: str
    quote: str = '"'

    @property
    def name(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.identifier) if p)

    def __str__(self) -> str:
        return ".".join(f"{self.quote}{p}{self.quote}" for p in (self.database, self.schema, self.identifier) if p)


@dataclass
class Adapter:
    name: str
    namespace: dict[str, Any]
    columns: dict[str, list[Column]] = field(default_factory=dict)

    def type(self) -> str:
        return self.name

    def dispatch(self, macro_name: str, macro_namespace: str | None = None) -> Any:
        for prefix in (self.name, "default"):
            found = self.namespace.get(f"{prefix}__{macro_name}")
            if found is not None:
                return found
        raise CompilationError(f"no macro {macro_name} for adapter {self.name} in {macro_namespace}")

    def get_columns_in_relation(self, relation: Relation) -> list[Column]:
        return self.columns[relation.name]

    def quote(self, identifier: str) -> str:
        return f"{_QUOTES[self.name]}{identifier}{_QUOTES[self.name]}"


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise CompilationError(message)


class _Macro:
    """A dbt MacroGenerator: compiled alone, called with the live context as its globals."""

    def __init__(self, name: str, template: jinja2.Template, context: dict[str, Any]) -> None:
        self.name, self.template, self.context = name, template, context

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module = self.template.make_module(vars=self.context, shared=True)
        try:
            return getattr(module, f"dbt_macro__{self.name}")(*args, **kwargs)
        except _Return as returned:
            return returned.value


def macro_files() -> list[Path]:
    # the macro-paths list of dbt_project.yml (one "  - folder" per line; no YAML parser in the dev extras)
    text = (PACKAGE / "dbt_project.yml").read_text()
    folders = re.findall(r"^\s+-\s+(\S+)\s*$", text.split("macro-paths:", 1)[1], re.M)
    ignored = {line.strip() for line in (PACKAGE / ".dbtignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    files = []
    for folder in folders:
        for path in sorted((PACKAGE / folder).rglob("*.sql")):
            if str(path.relative_to(PACKAGE)) not in ignored:
                files.append(path)
    return files


def package(adapter_type: str, columns: dict[str, list[Column]] | None = None) -> dict[str, Any]:
    """The package's macros (name -> callable) for ``adapter_type``, with the source columns the
    adapter reports (relation name -> columns)."""
    env = jinja2.sandbox.SandboxedEnvironment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
                                              undefined=jinja2.StrictUndefined)
    context: dict[str, Any] = dict(env.globals)  # range, namespace, ...: dbt chains them behind the context
    macros: dict[str, Any] = {}
    for path in macro_files():
        for block in _MACRO.finditer(path.read_text()):
            kind, name = block.group(1), block.group(2)
            # a generic test is a macro named test_<name> (dbt's TestExtension); each is renamed as dbt does
            # (dbt_macro__name): Jinja exports no name starting with "_" from a module
            name = f"test_{name}" if kind == "test" else name
            assert name not in macros, f"macro {name} defined twice (dbt refuses that too)"
            text = re.sub(r"^({%-?\s*)(macro|test)\s+\w+\(", rf"\1macro dbt_macro__{name}(", block.group(0))
            text = re.sub(r"end(macro|test)(\s*-?%})$", r"endmacro\2", text)
            macros[name] = _Macro(name, env.from_string(text), context)
    context.update(macros)
    context.update(bqml_tools=macros, context=context, adapter=Adapter(adapter_type, macros, columns or {}),
                   exceptions=_Exceptions(), modules={"re": re}, execute=True, **{"return": _return})
    return macros


def blank_lines_dropped(sql: str) -> str:
    """SQL as the package writes it: render.py's rendering without blank lines or trailing spaces."""
    return "".join(line.rstrip() + "\n" for line in sql.splitlines() if line.strip())
