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

{# An integer wide enough for a sum of two products of 64-bit integers (exact cost comparisons):
   BigQuery has BIGNUMERIC (integers to 5.7e38), DuckDB HUGEINT (128 bits, to 1.7e38). #}
{% macro bigquery__wide_integer(expr) %}CAST({{ expr }} AS BIGNUMERIC){% endmacro %}
{% macro duckdb__wide_integer(expr) %}CAST({{ expr }} AS HUGEINT){% endmacro %}

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
{# How many entries of the array rank above the class `label` of probability `prob`: a higher
   probability, or the same one and a greater label (scikit-learn's top_k_accuracy_score ranks by a
   stable ascending sort of the sorted classes, reversed: of tied classes the greater comes first).
   The element variable has a reserved name (_bqml_p) so that no column of the source can shadow it.
   BigQuery reads arrays with a subquery over UNNEST, DuckDB with a list lambda. #}
{% macro bigquery__count_above(probs, prob, label) %}(SELECT COUNTIF(_bqml_p.prob > {{ prob }} OR (_bqml_p.prob = {{ prob }} AND _bqml_p.label > {{ label }})) FROM UNNEST({{ probs }}) AS _bqml_p){% endmacro %}
{% macro duckdb__count_above(probs, prob, label) %}len(list_filter({{ probs }}, lambda _bqml_p: _bqml_p.prob > {{ prob }} OR (_bqml_p.prob = {{ prob }} AND _bqml_p.label > {{ label }}))){% endmacro %}

{# The length of an array (0 for NULL) and its element at 1-based position i (NULL past its end): BigQuery's
   ARRAY_LENGTH and [SAFE_ORDINAL(i)], DuckDB's len() and 1-based [i]. #}
{% macro bigquery__array_length(array) %}COALESCE(ARRAY_LENGTH({{ array }}), 0){% endmacro %}
{% macro duckdb__array_length(array) %}COALESCE(len({{ array }}), 0){% endmacro %}
{% macro bigquery__array_at(array, i) %}{{ array }}[SAFE_ORDINAL({{ i }})]{% endmacro %}
{% macro duckdb__array_at(array, i) %}{{ array }}[{{ i }}]{% endmacro %}

{# A table of integers lo..hi: BigQuery unnests GENERATE_ARRAY, DuckDB has generate_series. #}
{% macro bigquery__int_series(lo, hi, alias, column) %}UNNEST(GENERATE_ARRAY({{ lo }}, {{ hi }})) AS {{ column }}{% endmacro %}
{% macro duckdb__int_series(lo, hi, alias, column) %}generate_series({{ lo }}, {{ hi }}) AS {{ alias }}({{ column }}){% endmacro %}

{# Per row, the integers lo..hi (columns allowed; none when hi < lo), to CROSS JOIN: BigQuery unnests
   GENERATE_ARRAY, DuckDB unnests its generate_series list (a lateral table function is not portable). #}
{% macro bigquery__int_range(lo, hi, alias, column) %}UNNEST(GENERATE_ARRAY({{ lo }}, {{ hi }})) AS {{ column }}{% endmacro %}
{% macro duckdb__int_range(lo, hi, alias, column) %}UNNEST(generate_series({{ lo }}, {{ hi }})) AS {{ alias }}({{ column }}){% endmacro %}

{# CREATE TABLE options (split --destination): BigQuery's PARTITION BY (a day column), CLUSTER BY and
   OPTIONS(expiration_timestamp, description, labels); DuckDB has none of them (it refuses them, naming BigQuery). #}
{% macro bigquery__table_options(options) %}
{%- set clauses = [] %}
{%- if options.partition_by %}{% do clauses.append('PARTITION BY DATE(' ~ bigquery__quote(options.partition_by) ~ ')') %}{% endif %}
{%- if options.cluster_by %}{% set columns = [] %}{% for column in options.cluster_by %}{% do columns.append(bigquery__quote(column)) %}{% endfor %}{% do clauses.append('CLUSTER BY ' ~ (columns | join(', '))) %}{% endif %}
{%- set entries = [] %}
{%- if options.expiration_days is not none %}{% do entries.append('expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL ' ~ (options.expiration_days | int) ~ ' DAY)') %}{% endif %}
{%- if options.description is not none %}{% do entries.append('description = ' ~ bigquery__string_literal(options.description)) %}{% endif %}
{%- if options.labels %}{% set pairs = [] %}{% for key, value in options.labels | dictsort %}{% do pairs.append('(' ~ bigquery__string_literal(key) ~ ', ' ~ bigquery__string_literal(value) ~ ')') %}{% endfor %}{% do entries.append('labels = [' ~ (pairs | join(', ')) ~ ']') %}{% endif %}
{%- if entries %}{% do clauses.append('OPTIONS (' ~ (entries | join(', ')) ~ ')') %}{% endif %}
{%- for clause in clauses %}{{ '\n' ~ clause }}{% endfor %}
{%- endmacro %}
{% macro duckdb__table_options(options) %}{{ raise_error("--cluster-by, --partition-by, --expiration-days, --table-description and --table-label are BigQuery table options: drop them on DuckDB") }}{% endmacro %}

{# ERROR() with a row count in the message; BigQuery's IF needs both branches typed, ERROR adapts. #}
{% macro default__error_with_count(count, message) %}ERROR('bqml_tools: ' || CAST({{ count }} AS STRING) || {{ dispatch('string_literal')(message) }}){% endmacro %}

{# Exact AUC (evaluate --task binary): DuckDB sorts the rows by score in one partitioned window (10M
   rows ~2 s, out of core past memory_limit), 3x cheaper than aggregating 10M distinct scores and
   windowing those; BigQuery runs such a window on one worker, so it aggregates per score first. #}
{% macro default__exact_auc_over_rows() %}{% endmacro %}
{% macro duckdb__exact_auc_over_rows() %}true{% endmacro %}

{# The exact plan of the per-score running counts (evaluate, curve and threshold with exact mode; see
   _binary.sql): BigQuery runs a window on one worker per PARTITION, so one window over every distinct
   score of a group fails at ~1e9 of them. There the distinct scores are carried, as arrays, by
   logit buckets (INT64, never a FLOAT64 partition): offsets over the buckets (bounded), running counts
   within a bucket PARTITIONed BY it. On 2 local cores DuckDB's one sorted window is ~2x faster. #}
{% macro default__exact_plan() %}buckets{% endmacro %}
{% macro duckdb__exact_plan() %}window{% endmacro %}

{# A struct of columns (each under its own name) and its unnesting: BigQuery's STRUCT and UNNEST AS m,
   DuckDB's struct_pack and UNNEST AS table(m) (a struct-valued column m either way). #}
{% macro bigquery__struct_of(columns) %}STRUCT({% for column in columns %}{{ column }} AS {{ column }}{{ ', ' if not loop.last }}{% endfor %}){% endmacro %}
{% macro duckdb__struct_of(columns) %}struct_pack({% for column in columns %}{{ column }} := {{ column }}{{ ', ' if not loop.last }}{% endfor %}){% endmacro %}
{% macro bigquery__unnest_as(array, alias) %}UNNEST({{ array }}) AS {{ alias }}{% endmacro %}
{% macro duckdb__unnest_as(array, alias) %}UNNEST({{ array }}) AS _bqml_unnested({{ alias }}){% endmacro %}

{# A 64-bit hash of the group columns to partition that sort by: DuckDB sorts a VARCHAR partition key
   ~3x slower than a fixed-width one. Two groups with one hash are detected (evaluate fails). #}
{% macro duckdb__group_key(columns) %}hash({{ columns | join(', ') }}){% endmacro %}

{# A number in [0, 1] (a score) as its IEEE-754 bit pattern, an INT64 (NULL stays NULL): one value per distinct double, in
   the doubles' order, so exact AUC's bin (_binary.sql) is a key BigQuery can partition by (it refuses PARTITION BY a FLOAT64).
   The same expression on both engines (LN, POW, FLOOR and CAST AS INT64 mean the same there).
   Computed, as neither engine reinterprets a double's bits: 0 (and -0) is 0; a subnormal x is x * 2^1074 (two
   exact halvings of the scale); otherwise the exponent e = FLOOR(LOG2(x)), corrected by one where LN rounds
   across a power of two (x / 2^e must lie in [1, 2)), and the 52 fraction bits (x / 2^e - 1) * 2^52, exact. #}
{% macro default__score_bits(x) -%}
{%- set e0 = 'CAST(FLOOR(LN(' ~ x ~ ') / LN(2)) AS INT64)' -%}
{%- set e = '(' ~ e0 ~ ' + IF(' ~ x ~ ' * POW(2, -' ~ e0 ~ ') >= 2, 1, 0) - IF(' ~ x ~ ' * POW(2, -' ~ e0 ~ ') < 1, 1, 0))' -%}
CASE WHEN {{ x }} = 0 THEN 0 WHEN {{ x }} < 2.2250738585072014e-308 THEN CAST({{ x }} * POW(2, 537) * POW(2, 537) AS INT64) ELSE ({{ e }} + 1023) * 4503599627370496 + CAST(({{ x }} * POW(2, -{{ e }}) - 1) * 4503599627370496 AS INT64) END
{%- endmacro %}
