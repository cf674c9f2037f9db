"""Render the Jinja SQL templates in ``sql_templates/`` for one dialect.

Query templates are dialect-free: they call ``sql.<name>(...)``, which resolves to
``<dialect>__<name>`` in ``macros/dialect.sql`` when that exists and ``default__<name>``
otherwise. Values reach SQL through ``sql.value(name, value)``: an escaped literal when the
query is printed (``inline=True``), a named query parameter when an engine runs it.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

import jinja2
import jinja2.bccache

from ..errors import TemplateError

DIALECTS = ("bigquery", "duckdb")
MACROS = "macros/dialect.sql"


def templates_dir() -> Path:
    """``bqml_tools/sql_templates`` in an installed wheel, ``<repo>/sql_templates`` in a checkout."""
    package = Path(__file__).resolve().parent.parent  # bqml_tools/, above bqml_tools/sql/
    for candidate in (package / "sql_templates", package.parent / "sql_templates"):
        if (candidate / MACROS).is_file():
            return candidate
    raise TemplateError(f"SQL templates not found next to {package}: reinstall bqml-tools")


@dataclass(frozen=True)
class Query:
    """A rendered statement: its SQL and the parameters it binds (empty when printed inline)."""

    template: str
    dialect: str
    sql: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.sql


def as_query(query: Query | str, dialect: str, params: Mapping[str, Any] | None = None) -> Query:
    """A rendered Query as it is, or SQL text (with its named ``params``) as a Query for ``dialect``.

    Engines take either, so ``engine.run("SELECT ...")`` works as well as a rendered template.
    """
    if isinstance(query, Query):
        if params:
            raise TemplateError(f"query {query.template} already carries its parameters: pass params only with SQL text")
        return query
    if isinstance(query, str) and query.strip():
        return Query(template="(SQL text)", dialect=dialect, sql=query, params=dict(params or {}))
    raise TemplateError(f"an engine runs a rendered Query or SQL text, not {query!r:.60}")


class _Binder:
    """Collects the named parameters a rendering binds."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.params: dict[str, Any] = {}

    def bind(self, name: str, value: Any) -> str:
        if name in self.params and self.params[name] != value:
            raise TemplateError(f"template {self.template}: parameter {name!r} bound to two values")
        self.params[name] = value
        return ""


class _Dialect:
    """``sql.name`` in a template: the dialect's macro, or the default one."""

    def __init__(self, dialect: str, template: str) -> None:
        self.dialect = dialect
        self.template = template
        self.module: Any = None

    def get(self, name: str) -> Callable[..., str]:
        for prefix in (self.dialect, "default"):
            macro = getattr(self.module, f"{prefix}__{name}", None)
            if macro is not None:
                return macro
        raise TemplateError(f"template {self.template}: no macro {name!r} for dialect {self.dialect}")

    __getattr__ = get


def _raise_error(message: str) -> str:
    raise TemplateError(message)


def _number_literal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TemplateError(f"not a number: {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise TemplateError(f"not a finite number: {value!r}")
    return repr(value) if isinstance(value, float) else str(int(value))


def _int_literal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TemplateError(f"not an integer: {value!r}")
    return str(value)


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's per-user cache of compiled templates (``/tmp/_jinja2-cache-<uid>``, mode 0700, owner
    checked): compiling the templates is most of a small split's work after imports (~80 ms).
    Entries are keyed by the template's source checksum and Python version, so an edited template or
    another interpreter never reads a stale one; a cache that cannot be read or written is skipped."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            pass

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    if os.environ.get("BQML_TOOLS_NO_TEMPLATE_CACHE"):
        return None
    try:
        return _BytecodeCache()
    except (OSError, RuntimeError):  # no writable, private temporary folder: compile every time
        return None


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        bytecode_cache=_bytecode_cache(),
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
        extensions=["jinja2.ext.do"],
    )
    env.globals.update(raise_error=_raise_error, number_literal=_number_literal)
    env.filters["int"] = _int_literal  # stricter than Jinja's: refuses anything but an int
    return env


def render(template: str, dialect: str, *, inline: bool = True, **context: Any) -> Query:
    """Render ``template`` for ``dialect``.

    ``inline=True`` writes values as escaped literals (a statement to paste into a console);
    ``inline=False`` binds them as named parameters, returned in ``Query.params``.
    """
    if dialect not in DIALECTS:
        raise TemplateError(f"unknown dialect {dialect!r}: choose one of {', '.join(DIALECTS)}")
    env = environment()
    binder = _Binder(template)
    sql = _Dialect(dialect, template)
    shared = {"dialect": dialect, "inline": inline, "binder": binder, "dispatch": sql.get}
    try:
        sql.module = env.get_template(MACROS).make_module(vars=shared)
        text = env.get_template(template).render(sql=sql, **shared, **context)
    except jinja2.UndefinedError as error:
        raise TemplateError(f"template {template}: missing parameter ({error.message})") from None
    except jinja2.TemplateNotFound as error:
        raise TemplateError(f"template {error.name} not found in {templates_dir()}") from None
    return Query(template=template, dialect=dialect, sql=text.strip() + "\n", params=dict(binder.params))
