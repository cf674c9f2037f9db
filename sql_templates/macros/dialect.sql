{#-
  dialect.sql: every difference between BigQuery and DuckDB lives here, nowhere else.

  Query templates call `sql.<name>(...)`; the renderer picks `<dialect>__<name>` when it exists
  and `default__<name>` otherwise (the dbt adapter.dispatch convention). Each variant is a
  one-liner with a comment saying why it differs. Context: `inline` (True when values are
  written as escaped literals, False when they are bound as query parameters) and `binder`
  (collects bound parameters).
-#}

{# Identifiers are validated in Python (bqml_tools/identifiers.py) before they get here. #}
{% macro default__quote(name) %}"{{ name }}"{% endmacro %}
{# BigQuery quotes identifiers with backticks; double quotes make a string there. #}
{% macro bigquery__quote(name) %}`{{ name }}`{% endmacro %}

{# One backtick pair around the whole path, as the BigQuery console writes it (ids may contain hyphens). #}
{# An in-memory source (DataFrame, Arrow table) is named "_bqml_frame_<n>" on DuckDB, which DuckDBEngine
   registers while the query runs; BigQuery cannot see the Python process, so it is refused there. #}
{# A query source (SELECT ... or WITH ...; one statement, checked in Python; a source without is_query, as the
   dbt package passes, is a table) is read as a subquery on both
   engines; its text goes on lines of its own, so that a trailing -- comment cannot hide the closing parenthesis. #}
{% macro bigquery__relation(src) %}{% if src.is_query is defined and src.is_query %}(
{{ src.query }}
) AS _bqml_query{% else %}{% if src.is_frame %}{{ raise_error("a " ~ src.frame_kind ~ " can only be read by DuckDB: load it into a BigQuery table first (e.g. client.load_table_from_dataframe) and pass the table name") }}{% endif %}{% if src.is_file %}{{ raise_error("a file path (" ~ src.path ~ ") can only be read by DuckDB; give BigQuery a table name") }}{% endif %}`{{ src.parts | join('.') }}`{% endif %}{% endmacro %}
{# DuckDB reads files through table functions; table parts are quoted one by one. read_csv/read_parquet
   glob their path (`*`, `?`, `[...]`: data[1].csv would read data1.csv) with no switch to turn it off,
   so each glob character is written as a one-character class ([[], [*], [?]): exactly that file is read. #}
{% macro duckdb__relation(src) %}{% if src.is_query is defined and src.is_query %}(
{{ src.query }}
) AS _bqml_query{% elif src.is_file %}{{ 'read_parquet' if src.file_format == 'parquet' else 'read_csv' }}({{ duckdb__string_literal(src.path | replace('[', '[[]') | replace('*', '[*]') | replace('?', '[?]')) }}){% else %}{% for part in src.parts %}{{ default__quote(part) }}{{ '.' if not loop.last }}{% endfor %}{% endif %}{% endmacro %}

{# BigQuery's builtin; on DuckDB a UDF registered by bqml_tools.connect_duckdb (bit-identical). #}
{% macro bigquery__fingerprint(expr) %}FARM_FINGERPRINT({{ expr }}){% endmacro %}
{% macro duckdb__fingerprint(expr) %}farm_fingerprint({{ expr }}){% endmacro %}

{# SELECT * minus some columns: BigQuery says EXCEPT, DuckDB says EXCLUDE. #}
{% macro bigquery__star_except(columns, qualifier=none) %}{{ qualifier ~ '.' if qualifier }}* EXCEPT ({{ columns | join(', ') }}){% endmacro %}
{% macro duckdb__star_except(columns, qualifier=none) %}{{ qualifier ~ '.' if qualifier }}* EXCLUDE ({{ columns | join(', ') }}){% endmacro %}

{# String literals: BigQuery escapes with backslashes, DuckDB doubles the quote (backslash is literal). #}
{% macro bigquery__string_literal(text) %}'{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'{% endmacro %}
{% macro duckdb__string_literal(text) %}'{{ text | replace("'", "''") }}'{% endmacro %}

{# Named query parameters: @name on BigQuery; $name on DuckDB, cast because DuckDB cannot always infer a parameter's type. #}
{% macro bigquery__placeholder(name, value) %}@{{ name }}{% endmacro %}
{% macro duckdb__placeholder(name, value) %}CAST(${{ name }} AS {{ 'VARCHAR' if value is string else 'BOOLEAN' if value is boolean else 'DOUBLE' if value is float else 'BIGINT' }}){% endmacro %}

{# A value: an escaped literal when printing, a bound parameter when running. Same for both dialects. #}
{% macro default__value(name, value) -%}
{%- if inline -%}{{ dispatch('literal')(value) }}{%- else -%}{{ binder.bind(name, value) }}{{ dispatch('placeholder')(name, value) }}{%- endif -%}
{%- endmacro %}
{# BOOL literals (a --where on a BOOL column) are TRUE and FALSE on both engines. #}
{% macro default__literal(value) %}{% if value is string %}{{ dispatch('string_literal')(value) }}{% elif value is boolean %}{{ 'TRUE' if value else 'FALSE' }}{% else %}{{ number_literal(value) }}{% endif %}{% endmacro %}

{# A query-time failure with a message: both engines have ERROR(); in COALESCE it only fires for NULLs. #}
{% macro default__error(message) %}ERROR({{ dispatch('string_literal')(message) }}){% endmacro %}

{# The canonical key string of a column, byte-identical on both engines (see README, "Keys").
   STRING, INT64, BOOL and DATE cast the same way on both engines. #}
{% macro default__key_string(expr, kind) %}{% if kind == 'TIMESTAMP' %}{{ dispatch('timestamp_string')(expr) }}{% elif kind == 'DATETIME' %}{{ dispatch('datetime_string')(expr) }}{% elif kind == 'BYTES' %}{{ dispatch('hex_string')(expr) }}{% elif kind == 'NUMERIC' %}{{ dispatch('numeric_string')(expr) }}{% else %}CAST({{ expr }} AS STRING){% endif %}{% endmacro %}
{# Timestamps as ISO 8601 in UTC with microseconds: DuckDB converts to UTC explicitly (its cast uses the session time zone). #}
{% macro bigquery__timestamp_string(expr) %}FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', {{ expr }}, 'UTC'){% endmacro %}
{% macro duckdb__timestamp_string(expr) %}strftime({{ expr }} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f'){% endmacro %}
{# Datetimes (DuckDB TIMESTAMP without time zone) in the same ISO 8601 shape. #}
{% macro bigquery__datetime_string(expr) %}FORMAT_DATETIME('%Y-%m-%dT%H:%M:%E6S', {{ expr }}){% endmacro %}
{% macro duckdb__datetime_string(expr) %}strftime({{ expr }}, '%Y-%m-%dT%H:%M:%S.%f'){% endmacro %}
{# Bytes as lowercase hex: DuckDB's hex() is uppercase. #}
{% macro bigquery__hex_string(expr) %}TO_HEX({{ expr }}){% endmacro %}
{% macro duckdb__hex_string(expr) %}lower(hex({{ expr }})){% endmacro %}
{# NUMERIC without trailing zeros: BigQuery's cast already is minimal, DuckDB pads DECIMAL to its scale. #}
{% macro bigquery__numeric_string(expr) %}CAST({{ expr }} AS STRING){% endmacro %}
{% macro duckdb__numeric_string(expr) %}regexp_replace(regexp_replace(CAST({{ expr }} AS VARCHAR), '(\.[0-9]*?)0+$', '\1'), '\.$', ''){% endmacro %}

{# Division that yields NULL on a zero denominator: BigQuery has SAFE_DIVIDE, DuckDB uses NULLIF. #}
{% macro bigquery__safe_divide(numerator, denominator) %}SAFE_DIVIDE({{ numerator }}, {{ denominator }}){% endmacro %}
{% macro duckdb__safe_divide(numerator, denominator) %}({{ numerator }}) / NULLIF({{ denominator }}, 0){% endmacro %}

{# Integer division rounding toward zero: BigQuery's DIV; DuckDB's // (also truncating). #}
{% macro bigquery__int_divide(numerator, denominator) %}DIV({{ numerator }}, {{ denominator }}){% endmacro %}
{% macro duckdb__int_divide(numerator, denominator) %}({{ numerator }} // {{ denominator }}){% endmacro %}

{# Double-precision cast: BigQuery names the type FLOAT64, DuckDB DOUBLE. #}
{% macro bigquery__float64(expr) %}CAST({{ expr }} AS FLOAT64){% endmacro %}
{% macro duckdb__float64(expr) %}CAST({{ expr }} AS DOUBLE){% endmacro %}

{# Neither NaN nor +-inf, for a double (NULL stays NULL): BigQuery tests with IS_NAN / IS_INF, DuckDB has isfinite. #}
{% macro bigquery__is_finite(expr) %}NOT (IS_NAN({{ expr }}) OR IS_INF({{ expr }})){% endmacro %}
{% macro duckdb__is_finite(expr) %}isfinite({{ expr }}){% endmacro %}

{# Median: BigQuery has no exact median aggregate that scales (PERCENTILE_CONT is a window), so it is
   approximate there (APPROX_QUANTILES); DuckDB's MEDIAN is exact (interpolated, like numpy.median). #}
{% macro bigquery__median(expr) %}APPROX_QUANTILES({{ expr }}, 2)[OFFSET(1)]{% endmacro %}
{% macro duckdb__median(expr) %}MEDIAN({{ expr }}){% endmacro %}

{# Where the weighted median_absolute_error is read (regression --weight): DuckDB at every distinct error
   (exact); BigQuery at the errors rounded to 12 significant bits (`rounded`), so that its window runs over
   a few thousand values per power of two rather than every distinct error on one worker: approximate
   there (relative error under 2^-12), as the unweighted median (APPROX_QUANTILES) is. #}
{% macro default__median_cell(error, rounded) %}{{ error }}{% endmacro %}
{% macro bigquery__median_cell(error, rounded) %}{{ rounded }}{% endmacro %}

{# The probability a ML.PREDICT-style ARRAY<STRUCT<label, prob>> gives to `label`:
   BigQuery reads arrays with a subquery over UNNEST, DuckDB with a list lambda. #}
{% macro bigquery__prob_of(probs, label) %}(SELECT ANY_VALUE(_bqml_p.prob) FROM UNNEST({{ probs }}) AS _bqml_p WHERE _bqml_p.label = {{ label }}){% endmacro %}
{% macro duckdb__prob_of(probs, label) %}list_filter({{ probs }}, lambda _bqml_p: _bqml_p.label = {{ label }})[1].prob{% endmacro %}
{# The sum of an ARRAY<STRUCT<label, prob>>'s probabilities (NULL for an empty array): a subquery over
   UNNEST on BigQuery, a list lambda on DuckDB. #}
{% macro bigquery__prob_sum(probs) %}(SELECT SUM(_bqml_p.prob) FROM UNNEST({{ probs }}) AS _bqml_p){% endmacro %}
{% macro duckdb__prob_sum(probs) %}list_sum(list_transform({{ probs }}, lambda _bqml_p: _bqml_p.prob)){% endmacro %}
{# How many entries of the array have a probability strictly above `prob`. The element variable has a
   reserved name (_bqml_p) so that no column of the source can shadow it. #}
{% macro bigquery__count_above(probs, prob) %}(SELECT COUNTIF(_bqml_p.prob > {{ prob }}) FROM UNNEST({{ probs }}) AS _bqml_p){% endmacro %}
{% macro duckdb__count_above(probs, prob) %}len(list_filter({{ probs }}, lambda _bqml_p: _bqml_p.prob > {{ prob }})){% endmacro %}

{# A table of integers lo..hi: BigQuery unnests GENERATE_ARRAY, DuckDB has generate_series. #}
{% macro bigquery__int_series(lo, hi, alias, column) %}UNNEST(GENERATE_ARRAY({{ lo }}, {{ hi }})) AS {{ column }}{% endmacro %}
{% macro duckdb__int_series(lo, hi, alias, column) %}generate_series({{ lo }}, {{ hi }}) AS {{ alias }}({{ column }}){% endmacro %}

{# ERROR() with a row count in the message; BigQuery's IF needs both branches typed, ERROR adapts. #}
{% macro default__error_with_count(count, message) %}ERROR('bqml_tools: ' || CAST({{ count }} AS STRING) || {{ dispatch('string_literal')(message) }}){% endmacro %}

{# Exact AUC (evaluate --task binary): DuckDB sorts the rows by score in one partitioned window (10M
   rows ~2 s, out of core past memory_limit), 3x cheaper than aggregating 10M distinct scores and
   windowing those; BigQuery runs such a window on one worker, so it aggregates per score first. #}
{% macro default__exact_auc_over_rows() %}{% endmacro %}
{% macro duckdb__exact_auc_over_rows() %}true{% endmacro %}

{# A 64-bit hash of the group columns to partition that sort by: DuckDB sorts a VARCHAR partition key
   ~3x slower than a fixed-width one. Two groups with one hash are detected (evaluate fails). #}
{% macro duckdb__group_key(columns) %}hash({{ columns | join(', ') }}){% endmacro %}
