"""BigQuery's GoogleSQL for ZetaSQL's analyzer: which language features are on, and BigQuery ML's table functions.

Used by ``bqml_tools.engines.googlesql`` (the ``check`` extra); every decision is tested in
tests/test_googlesql_analyzer.py (each changes the released language; what BigQuery refuses is refused).
"""
from __future__ import annotations

from typing import Any

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


# BigQuery ML's table functions whose result does not depend on the model, as the statements the toolkit prints
# read them (the columns it reads; BigQuery's ML.TRAINING_INFO has cluster_info too, for k-means models)
ML_FUNCTIONS = {"TRAINING_INFO": {"training_run": "INT64", "iteration": "INT64", "loss": "FLOAT64",
                                  "eval_loss": "FLOAT64", "learning_rate": "FLOAT64", "duration_ms": "INT64"}}

def bigquery_ml_functions() -> Any:
    """The catalog ``ML`` with ML_FUNCTIONS as table-valued functions of one MODEL argument."""
    from zetasql.wasi._pb2.zetasql.proto import function_pb2, simple_catalog_pb2
    from zetasql.wasi._pb2.zetasql.public import function_pb2 as signature_kinds

    from .googlesql_types import parse_type

    functions = []
    for name, columns in ML_FUNCTIONS.items():
        relation = function_pb2.TVFRelationProto(column=[
            function_pb2.TVFRelationColumnProto(name=column, type=parse_type(kind)) for column, kind in columns.items()])
        functions.append(function_pb2.TableValuedFunctionProto(
            name_path=[name], type=signature_kinds.FunctionEnums.FIXED_OUTPUT_SCHEMA_TVF,
            signature=function_pb2.FunctionSignatureProto(
                argument=[function_pb2.FunctionArgumentTypeProto(kind=signature_kinds.ARG_TYPE_MODEL, num_occurrences=1)],
                return_type=function_pb2.FunctionArgumentTypeProto(
                    kind=signature_kinds.ARG_TYPE_RELATION, num_occurrences=1,
                    options=function_pb2.FunctionArgumentTypeOptionsProto(relation_input_schema=relation)))))
    return simple_catalog_pb2.SimpleCatalogProto(name="ML", custom_tvf=functions)
