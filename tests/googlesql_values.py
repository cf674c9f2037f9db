"""GoogleSQL types and values as ZetaSQL's protocol buffers, and back to Python / Arrow.

The reference (tests/googlesql.py) speaks ZetaSQL's local-service protos directly: a type name as BigQuery
prints it (``INT64``, ``ARRAY<STRUCT<label STRING, prob FLOAT64>>``) becomes a ``TypeProto`` (the library's
``bqml_tools.engines.googlesql_types``), a Python value a ``ValueProto``; a result cell comes back as the
Python value google-cloud-bigquery would give, in an Arrow column of the type the client's ``to_dataframe``
starts from.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from typing import Any

import pandas as pd
import pyarrow as pa
from zetasql.wasi._pb2.zetasql.public import type_pb2, value_pb2

from bqml_tools.engines.googlesql_types import parse_type, type_name  # noqa: F401 - the catalog's, re-exported

TypeProto = type_pb2.TypeProto
ValueProto = value_pb2.ValueProto

NUMERIC_SCALE, BIGNUMERIC_SCALE = 9, 38
EPOCH = dt.date(1970, 1, 1)
UTC = dt.timezone.utc


# ---------------------------------------------------------------- types

def arrow_type(kind: TypeProto) -> pa.DataType:
    """The Arrow type google-cloud-bigquery builds for the column before ``to_dataframe``."""
    simple = {type_pb2.TYPE_INT64: pa.int64(), type_pb2.TYPE_DOUBLE: pa.float64(), type_pb2.TYPE_STRING: pa.string(),
              type_pb2.TYPE_BOOL: pa.bool_(), type_pb2.TYPE_BYTES: pa.binary(), type_pb2.TYPE_DATE: pa.date32(),
              type_pb2.TYPE_TIMESTAMP: pa.timestamp("us", tz="UTC"), type_pb2.TYPE_DATETIME: pa.timestamp("us"),
              type_pb2.TYPE_TIME: pa.time64("us"), type_pb2.TYPE_NUMERIC: pa.decimal128(38, NUMERIC_SCALE),
              type_pb2.TYPE_BIGNUMERIC: pa.decimal256(76, BIGNUMERIC_SCALE), type_pb2.TYPE_JSON: pa.string()}
    if kind.type_kind == type_pb2.TYPE_ARRAY:
        return pa.list_(arrow_type(kind.array_type.element_type))
    if kind.type_kind == type_pb2.TYPE_STRUCT:
        return pa.struct([(f.field_name, arrow_type(f.field_type)) for f in kind.struct_type.field])
    if kind.type_kind not in simple:
        raise ValueError(f"the reference returned a column of type {type_name(kind)}, which has no BigQuery dtype")
    return simple[kind.type_kind]


def infer_type(value: Any) -> TypeProto:
    """A query parameter's type from its Python value, as ``BigQueryEngine`` binds it (a list: ARRAY)."""
    if isinstance(value, bool):
        return TypeProto(type_kind=type_pb2.TYPE_BOOL)
    if isinstance(value, int):
        return TypeProto(type_kind=type_pb2.TYPE_INT64)
    if isinstance(value, float):
        return TypeProto(type_kind=type_pb2.TYPE_DOUBLE)
    if isinstance(value, str):
        return TypeProto(type_kind=type_pb2.TYPE_STRING)
    if isinstance(value, (list, tuple)):
        kinds = {type(v) for v in value}
        element = infer_type(value[0]) if len(kinds) == 1 else TypeProto(type_kind=type_pb2.TYPE_STRING)
        return TypeProto(type_kind=type_pb2.TYPE_ARRAY, array_type=type_pb2.ArrayTypeProto(element_type=element))
    raise TypeError(f"a parameter of type {type(value).__name__} cannot be bound")


# ---------------------------------------------------------------- Python -> ValueProto

def _scaled_bytes(value: Any, scale: int) -> bytes:
    """NUMERIC / BIGNUMERIC as ZetaSQL serialises them: value * 10^scale, little-endian two's complement,
    in the fewest bytes."""
    number = decimal.Decimal(str(value)) if not isinstance(value, decimal.Decimal) else value
    scaled = int(number.scaleb(scale).to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
    length = max(1, (scaled.bit_length() + 8) // 8)
    return scaled.to_bytes(length, "little", signed=True)


def _from_scaled(data: bytes, scale: int) -> decimal.Decimal:
    with decimal.localcontext() as context:
        context.prec = 80
        return decimal.Decimal(int.from_bytes(data, "little", signed=True)).scaleb(-scale)


def _datetime_bits(value: dt.datetime) -> int:
    """ZetaSQL's packed DATETIME seconds: |year(14)|month(4)|day(5)|hour(5)|minute(6)|second(6)|."""
    return (value.year << 26 | value.month << 22 | value.day << 17 | value.hour << 12 | value.minute << 6
            | value.second)


def to_value(value: Any, kind: TypeProto) -> ValueProto:
    """A Python value (what DuckDB or pandas gives) as a cell of type ``kind``; None, NaT and pandas' NA are NULL
    (a float NaN stays NaN: FLOAT64 has one)."""
    if value is None or value is pd.NA or value is pd.NaT or (
            kind.type_kind != type_pb2.TYPE_DOUBLE and isinstance(value, float) and math.isnan(value)):
        return ValueProto()
    if hasattr(value, "item") and not isinstance(value, (bytes, str, list, dict)):
        value = value.item()  # numpy scalars
    k = kind.type_kind
    if k == type_pb2.TYPE_INT64:
        return ValueProto(int64_value=int(value))
    if k == type_pb2.TYPE_DOUBLE:
        return ValueProto(double_value=float(value))
    if k == type_pb2.TYPE_STRING:
        return ValueProto(string_value=str(value))
    if k == type_pb2.TYPE_BOOL:
        return ValueProto(bool_value=bool(value))
    if k == type_pb2.TYPE_BYTES:
        return ValueProto(bytes_value=bytes(value))
    if k == type_pb2.TYPE_DATE:
        return ValueProto(date_value=(value - EPOCH).days)
    if k == type_pb2.TYPE_TIMESTAMP:
        stamp = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        delta = stamp - dt.datetime(1970, 1, 1, tzinfo=UTC)
        micros = (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds
        seconds, micros = divmod(micros, 10**6)
        return ValueProto(timestamp_value={"seconds": seconds, "nanos": micros * 1000})
    if k == type_pb2.TYPE_DATETIME:
        return ValueProto(datetime_value={"bit_field_datetime_seconds": _datetime_bits(value),
                                          "nanos": value.microsecond * 1000})
    if k == type_pb2.TYPE_TIME:
        return ValueProto(time_value=value.hour << 42 | value.minute << 36 | value.second << 30
                          | value.microsecond * 1000)
    if k == type_pb2.TYPE_NUMERIC:
        return ValueProto(numeric_value=_scaled_bytes(value, NUMERIC_SCALE))
    if k == type_pb2.TYPE_BIGNUMERIC:
        return ValueProto(bignumeric_value=_scaled_bytes(value, BIGNUMERIC_SCALE))
    if k == type_pb2.TYPE_ARRAY:
        element = kind.array_type.element_type
        return ValueProto(array_value={"element": [to_value(v, element) for v in value]})
    if k == type_pb2.TYPE_STRUCT:
        fields = kind.struct_type.field
        items = [value.get(f.field_name) for f in fields] if isinstance(value, dict) else list(value)
        return ValueProto(struct_value={"field": [to_value(v, f.field_type) for v, f in zip(items, fields)]})
    raise ValueError(f"no value of type {type_name(kind)} can be loaded into the reference")


# ---------------------------------------------------------------- ValueProto -> Python

def from_value(cell: ValueProto, kind: TypeProto) -> Any:
    """A result cell as the Python value the BigQuery client gives (None for NULL)."""
    which = cell.WhichOneof("value")
    if which is None:
        return None
    if which == "date_value":
        return EPOCH + dt.timedelta(days=cell.date_value)
    if which == "timestamp_value":
        stamp = cell.timestamp_value
        return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)
    if which == "datetime_value":
        bits = cell.datetime_value.bit_field_datetime_seconds
        return dt.datetime(bits >> 26, bits >> 22 & 0xF, bits >> 17 & 0x1F, bits >> 12 & 0x1F, bits >> 6 & 0x3F,
                           bits & 0x3F, cell.datetime_value.nanos // 1000)
    if which == "time_value":
        bits = cell.time_value
        return dt.time(bits >> 42 & 0x1F, bits >> 36 & 0x3F, bits >> 30 & 0x3F, (bits & (2**30 - 1)) // 1000)
    if which == "numeric_value":
        return _from_scaled(cell.numeric_value, NUMERIC_SCALE)
    if which == "bignumeric_value":
        return _from_scaled(cell.bignumeric_value, BIGNUMERIC_SCALE)
    if which == "array_value":
        element = kind.array_type.element_type
        return [from_value(v, element) for v in cell.array_value.element]
    if which == "struct_value":
        fields = kind.struct_type.field
        return {f.field_name: from_value(v, f.field_type) for v, f in zip(cell.struct_value.field, fields)}
    if which == "json_value":
        return cell.json_value
    return getattr(cell, which)


def arrow_table(names: list[str], kinds: list[TypeProto], rows: list[Any]) -> pa.Table:
    """Result rows (``TableData.Row``) as an Arrow table with the client's column types."""
    columns = [[] for _ in names]
    for row in rows:
        for i, (cell, kind) in enumerate(zip(row.cell, kinds)):
            columns[i].append(from_value(cell, kind))
    fields = [pa.field(name, arrow_type(kind)) for name, kind in zip(names, kinds)]
    return pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, fields)], schema=pa.schema(fields))
