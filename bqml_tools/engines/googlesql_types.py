"""GoogleSQL types as ZetaSQL's ``TypeProto``, and a source's schema as the user gives it (``--schema``).

A type name as BigQuery prints it (``INT64``, ``ARRAY<STRUCT<label STRING, prob FLOAT64>>``) or as
``bq show --schema`` writes it (legacy ``INTEGER``/``FLOAT``/``BOOLEAN``, ``RECORD`` with ``fields``, mode
``REPEATED``) becomes a ``TypeProto`` for the analyzer's catalog (``bqml_tools.engines.googlesql``). Needs the
``check`` extra (``zetasql``); imported only when the analyzer is.
"""
from __future__ import annotations

import json
import re
from typing import Any

from zetasql.wasi._pb2.zetasql.public import type_pb2

from ..core.options import refusal
from ..errors import BqmlToolsError

TypeProto = type_pb2.TypeProto

SIMPLE = {
    "INT64": type_pb2.TYPE_INT64, "INTEGER": type_pb2.TYPE_INT64, "FLOAT64": type_pb2.TYPE_DOUBLE,
    "FLOAT": type_pb2.TYPE_DOUBLE, "STRING": type_pb2.TYPE_STRING, "BOOL": type_pb2.TYPE_BOOL,
    "BOOLEAN": type_pb2.TYPE_BOOL, "BYTES": type_pb2.TYPE_BYTES, "DATE": type_pb2.TYPE_DATE,
    "TIMESTAMP": type_pb2.TYPE_TIMESTAMP, "DATETIME": type_pb2.TYPE_DATETIME, "TIME": type_pb2.TYPE_TIME,
    "NUMERIC": type_pb2.TYPE_NUMERIC, "BIGNUMERIC": type_pb2.TYPE_BIGNUMERIC, "JSON": type_pb2.TYPE_JSON,
    "DECIMAL": type_pb2.TYPE_NUMERIC, "BIGDECIMAL": type_pb2.TYPE_BIGNUMERIC,
    "GEOGRAPHY": type_pb2.TYPE_GEOGRAPHY, "INTERVAL": type_pb2.TYPE_INTERVAL,
}
NAMES = {type_pb2.TYPE_INT64: "INT64", type_pb2.TYPE_DOUBLE: "FLOAT64", type_pb2.TYPE_STRING: "STRING",
         type_pb2.TYPE_BOOL: "BOOL", type_pb2.TYPE_BYTES: "BYTES", type_pb2.TYPE_DATE: "DATE",
         type_pb2.TYPE_TIMESTAMP: "TIMESTAMP", type_pb2.TYPE_DATETIME: "DATETIME", type_pb2.TYPE_TIME: "TIME",
         type_pb2.TYPE_NUMERIC: "NUMERIC", type_pb2.TYPE_BIGNUMERIC: "BIGNUMERIC", type_pb2.TYPE_JSON: "JSON",
         type_pb2.TYPE_GEOGRAPHY: "GEOGRAPHY", type_pb2.TYPE_INTERVAL: "INTERVAL"}
SCHEMA_HELP = ("give COLUMN:TYPE,... (e.g. user_id:INT64,label:BOOL,probs:ARRAY<STRUCT<label STRING, prob "
               "FLOAT64>>) or a BigQuery JSON schema file (a list of fields with name, type, mode and fields, as "
               "bq show writes a table's schema in JSON)")


def parse_type(name: str) -> TypeProto:
    """``INT64``, ``ARRAY<STRUCT<label STRING, prob FLOAT64>>``... as a TypeProto (parameterised types such as
    ``NUMERIC(10, 2)`` or ``STRING(10)`` drop their parameters); ValueError naming an unknown type."""
    text = name.strip()
    upper = text.upper()
    if upper.startswith("ARRAY<") and upper.endswith(">"):
        return TypeProto(type_kind=type_pb2.TYPE_ARRAY,
                         array_type=type_pb2.ArrayTypeProto(element_type=parse_type(text[6:-1])))
    if upper.startswith("STRUCT<") and upper.endswith(">"):
        fields = []
        for part in split_top_level(text[7:-1]):
            pieces = part.strip().split(None, 1)
            if len(pieces) != 2:
                raise ValueError(f"STRUCT field {part.strip()!r} needs a name and a type (label STRING)")
            fields.append(type_pb2.StructFieldProto(field_name=pieces[0].strip("`"), field_type=parse_type(pieces[1])))
        return TypeProto(type_kind=type_pb2.TYPE_STRUCT, struct_type=type_pb2.StructTypeProto(field=fields))
    base = re.sub(r"\(.*\)$", "", upper).strip()
    if base not in SIMPLE:
        raise ValueError(f"GoogleSQL type {name.strip()!r} is not one of {', '.join(sorted(SIMPLE))}, ARRAY<...>, "
                         "STRUCT<...>")
    return TypeProto(type_kind=SIMPLE[base])


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """``text`` split at each ``separator`` outside <...> and (...)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"<": 1, ">": -1, "(": 1, ")": -1}.get(char, 0)
        if char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def type_name(kind: TypeProto) -> str:
    """The type as BigQuery's dry run names it (what ``BigQueryEngine.dry_run`` puts in ``.schema``)."""
    if kind.type_kind == type_pb2.TYPE_ARRAY:
        return f"ARRAY<{type_name(kind.array_type.element_type)}>"
    if kind.type_kind == type_pb2.TYPE_STRUCT:
        return "STRUCT<" + ", ".join(f"{f.field_name} {type_name(f.field_type)}" for f in kind.struct_type.field) + ">"
    return NAMES.get(kind.type_kind, type_pb2.TypeKind.Name(kind.type_kind).removeprefix("TYPE_"))


def schema_from_text(spec: str) -> dict[str, TypeProto]:
    """``user_id:INT64,label:BOOL,...`` as column -> TypeProto; BqmlToolsError naming the bad part (the
    argument is ``schema``, ``--schema`` on the command line)."""
    columns: dict[str, TypeProto] = {}
    for part in split_top_level(spec):
        name, colon, kind = part.partition(":")
        if not colon or not name.strip() or not kind.strip():
            raise refusal(f"[[schema]] part {part.strip()!r} is not COLUMN:TYPE: {SCHEMA_HELP}")
        columns[name.strip().strip("`")] = _parsed(kind, f"[[schema]] column {name.strip()!r}")
    if not columns:
        raise refusal(f"[[schema]] {spec!r} names no column: {SCHEMA_HELP}")
    return columns


def schema_from_json(text: str, where: str) -> dict[str, TypeProto]:
    """A BigQuery JSON schema (a list of {name, type, mode, fields}, or {"schema": {"fields": [...]}} as
    ``bq show --format=json`` writes a table) as column -> TypeProto; ``where`` names the file in errors."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BqmlToolsError(f"{where} is not JSON ({error.msg} at line {error.lineno}): {SCHEMA_HELP}") from None
    if isinstance(data, dict):  # the table resource (bq show --format=json TABLE), or {"fields": [...]}
        holder = data.get("schema") if isinstance(data.get("schema"), dict) else data
        data = holder.get("fields")
    if not isinstance(data, list) or not data:
        raise BqmlToolsError(f"{where} is not a BigQuery schema (a JSON list of fields): {SCHEMA_HELP}")
    return {str(field.get("name")): _field_type(field, where) for field in _fields(data, where)}


def _fields(data: list[Any], where: str) -> list[dict[str, Any]]:
    for field in data:
        if not isinstance(field, dict) or not field.get("name") or not field.get("type"):
            raise BqmlToolsError(f"{where}: field {json.dumps(field)[:80]} has no name or type: {SCHEMA_HELP}")
    return data


def _field_type(field: dict[str, Any], where: str) -> TypeProto:
    kind = str(field["type"]).upper()
    if kind in ("RECORD", "STRUCT"):
        members = _fields(field.get("fields") or [], where)
        if not members:
            raise BqmlToolsError(f"{where}: RECORD field {field['name']!r} has no fields")
        element = TypeProto(type_kind=type_pb2.TYPE_STRUCT, struct_type=type_pb2.StructTypeProto(field=[
            type_pb2.StructFieldProto(field_name=str(m["name"]), field_type=_field_type(m, where)) for m in members]))
    else:
        element = _parsed(kind, f"{where}: field {field['name']!r}")
    if str(field.get("mode", "NULLABLE")).upper() == "REPEATED":
        return TypeProto(type_kind=type_pb2.TYPE_ARRAY, array_type=type_pb2.ArrayTypeProto(element_type=element))
    return element


def _parsed(kind: str, what: str) -> TypeProto:
    try:
        return parse_type(kind)
    except ValueError as error:
        raise refusal(f"{what}: {error}") from None
