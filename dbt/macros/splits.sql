{#-
  splits.sql: bqml_tools.split and bqml_tools.split_filter, the toolkit's split as dbt models.

  Both render sql_templates/split/split.sql (the template the CLI prints with `bqml-tools split ... --dialect
  bigquery|duckdb`) with the values bqml_tools/splitting/queries.py gives it, computed here in Jinja:
    src           the relation as {parts: [database, schema, identifier]}
    key           [{name, kind}]: each key column's canonical kind from its type (core/keys.py kind_of)
    plan          the bucket plan (plan.sql, a port of core/plan.py)
    header_lines  the comment lines the CLI writes above the query (splitting/queries.py _header)
  and the same checks first: plain identifiers, no reserved (_bqml_) names, known key columns of a type with
  a canonical string, no source column named like the split column. The source's columns are read with
  adapter.get_columns_in_relation when dbt executes (at parse time nothing is read and types are unknown).
-#}

{# Every part of a relation (database, schema, identifier), each a plain name. #}
{% macro source_of(relation) %}
  {%- if relation is string -%}
    {%- set parts = relation.strip('`').split('.') -%}
  {%- else -%}
    {%- set parts = [] -%}
    {%- for part in [relation.database, relation.schema, relation.identifier] -%}
      {%- if part -%}{%- do parts.append(part) -%}{%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- for part in parts -%}
    {%- if not modules.re.fullmatch('[A-Za-z0-9_][A-Za-z0-9_:.-]{0,1023}', part) -%}
      {{- exceptions.raise_compiler_error("relation " ~ relation ~ ": part '" ~ part ~ "' is not a plain name (letters, digits, _ - : .): alias the table in a model first") -}}
    {%- endif -%}
  {%- endfor -%}
  {{- return({'parts': parts, 'is_file': false, 'is_frame': false, 'path': none, 'file_format': none}) -}}
{% endmacro %}

{# identifiers.column: a plain column name, else a compilation error naming the argument. #}
{% macro check_column(name, role) %}
  {%- if name is not string or not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]{0,299}', name) -%}
    {{- exceptions.raise_compiler_error(role ~ " name '" ~ name ~ "' is not a plain identifier: use letters, digits and underscores, starting with a letter or underscore (rename or alias the column in a model first)") -}}
  {%- endif -%}
  {{- return(name) -}}
{% endmacro %}

{# core/keys.py kind_of: the canonical kind of a column from its type name (DECIMAL(18,3) -> NUMERIC). #}
{% macro key_kind(engine_type, column) %}
  {%- set base = modules.re.sub('\\(.*\\)$', '', engine_type.strip().upper()).strip() -%}
  {%- if base == 'TIMESTAMP' -%}
    {#- BigQuery's TIMESTAMP is an instant; DuckDB's is a wall-clock datetime -#}
    {{- return('TIMESTAMP' if adapter.type() == 'bigquery' else 'DATETIME') -}}
  {%- endif -%}
  {%- if base in ['FLOAT64', 'FLOAT', 'DOUBLE', 'REAL', 'FLOAT32'] -%}
    {{- exceptions.raise_compiler_error("key column '" ~ column ~ "' is " ~ engine_type ~ ": float-to-string differs between BigQuery and DuckDB, so splits would not match; key on an INT64 or STRING column, or cast upstream (e.g. CAST(ROUND(x * 1000) AS INT64))") -}}
  {%- endif -%}
  {%- set kinds = ['STRING', 'INT64', 'BOOL', 'DATE', 'DATETIME', 'TIMESTAMP', 'BYTES', 'NUMERIC'] -%}
  {%- set aliases = {
      'INTEGER': 'INT64', 'INT': 'INT64', 'BOOLEAN': 'BOOL', 'BIGNUMERIC': 'NUMERIC', 'DECIMAL': 'NUMERIC',
      'BIGDECIMAL': 'NUMERIC', 'VARCHAR': 'STRING', 'TEXT': 'STRING', 'UUID': 'STRING', 'BIGINT': 'INT64',
      'SMALLINT': 'INT64', 'TINYINT': 'INT64', 'HUGEINT': 'INT64', 'UBIGINT': 'INT64', 'UINTEGER': 'INT64',
      'USMALLINT': 'INT64', 'UTINYINT': 'INT64', 'UHUGEINT': 'INT64', 'TIMESTAMP_S': 'DATETIME',
      'TIMESTAMP_MS': 'DATETIME', 'TIMESTAMP_NS': 'DATETIME', 'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP',
      'TIMESTAMPTZ': 'TIMESTAMP', 'BLOB': 'BYTES'} -%}
  {%- if base in kinds -%}{{ return(base) }}{%- endif -%}
  {%- if base in aliases -%}{{ return(aliases[base]) }}{%- endif -%}
  {{- exceptions.raise_compiler_error("key column '" ~ column ~ "' has type " ~ engine_type ~ ", which has no canonical string shared by BigQuery and DuckDB; use a column of type " ~ kinds | join(', ')) -}}
{% endmacro %}

{# The source's columns (name -> type), or none when dbt is only parsing. #}
{% macro schema_of(relation) %}
  {%- if not execute or relation is string -%}{{ return(none) }}{%- endif -%}
  {%- set schema = {} -%}
  {%- for column in adapter.get_columns_in_relation(relation) -%}{%- do schema.update({column.name: column.dtype}) -%}{%- endfor -%}
  {{- return(schema) -}}
{% endmacro %}

{# SplitSpec's checks and queries.py's _context: the values split.sql renders with. #}
{% macro split_values(relation, key, fractions, salt, sample, split_column, null_keys, only_split) %}
  {%- set columns = [key] if key is string else key -%}
  {%- if not columns -%}{{ exceptions.raise_compiler_error("no key column: pass key='COLUMN' (a list for a composite key)") }}{%- endif -%}
  {%- set lowered = [] -%}
  {%- for column in columns -%}
    {%- do bqml_tools.check_column(column, 'key column') -%}
    {%- if column.lower() in lowered -%}{{ exceptions.raise_compiler_error("key columns repeat: " ~ columns | join(', ')) }}{%- endif -%}
    {%- do lowered.append(column.lower()) -%}
  {%- endfor -%}
  {%- do bqml_tools.check_column(split_column, 'split column') -%}
  {%- for option, name in [('key', columns | join(',')), ('split_column', split_column)] -%}
    {%- for one in name.split(',') if one.lower().startswith('_bqml_') -%}
      {{- exceptions.raise_compiler_error(option ~ " '" ~ one ~ "': names starting with '_bqml_' are reserved for bqml_tools' working columns; " ~ ('pass another name' if option == 'split_column' else 'rename the column in a model first')) -}}
    {%- endfor -%}
  {%- endfor -%}
  {%- if split_column.lower() in lowered -%}
    {{- exceptions.raise_compiler_error("split column '" ~ split_column ~ "' is also a key column: pass split_column with another name") -}}
  {%- endif -%}
  {%- if salt is not none and (salt is not string or not salt or (salt | length) > 256 or not salt.isprintable()) -%}
    {{- exceptions.raise_compiler_error("salt " ~ (salt | string | tojson) ~ " must be 1 to 256 printable characters (no newlines or control characters)") -}}
  {%- endif -%}
  {%- if null_keys in ['error', 'drop'] -%}
    {%- set policy, null_split = null_keys, none -%}
  {%- elif null_keys is string and null_keys.startswith('split:') and modules.re.fullmatch('[A-Za-z][A-Za-z0-9_]{0,63}', null_keys[6:]) -%}
    {%- set policy, null_split = 'split', null_keys[6:] -%}
  {%- else -%}
    {{- exceptions.raise_compiler_error("null_keys '" ~ null_keys ~ "' is not one of: error, drop, split:NAME (NAME a split name like holdout)") -}}
  {%- endif -%}
  {%- set plan = bqml_tools.plan_buckets(fractions, sample) -%}
  {%- if only_split is not none and only_split not in plan.names and only_split != null_split -%}
    {{- exceptions.raise_compiler_error("split '" ~ only_split ~ "' is not one of the splits: " ~ (plan.names + ([null_split] if null_split else [])) | join(', ')) -}}
  {%- endif -%}
  {%- set src = bqml_tools.source_of(relation) -%}
  {%- set schema = bqml_tools.schema_of(relation) -%}
  {%- set key_columns = [] -%}
  {%- if schema is not none -%}
    {%- for name in schema if name.lower().startswith('_bqml_') -%}
      {{- exceptions.raise_compiler_error("the source " ~ src.parts | join('.') ~ " has a column '" ~ name ~ "': names starting with '_bqml_' are reserved for bqml_tools' working columns; rename it in a model first") -}}
    {%- endfor -%}
    {%- for name in schema if name.lower() == split_column.lower() and only_split is none -%}
      {{- exceptions.raise_compiler_error("the source already has a column '" ~ name ~ "', the same name as the split column '" ~ split_column ~ "' (names are case-insensitive): pass split_column with another name") -}}
    {%- endfor -%}
    {%- for column in columns -%}
      {%- if column not in schema -%}
        {{- exceptions.raise_compiler_error("column '" ~ column ~ "' is not in the source; it has: " ~ schema.keys() | join(', ')) -}}
      {%- endif -%}
      {%- do key_columns.append({'name': column, 'kind': bqml_tools.key_kind(schema[column], column)}) -%}
    {%- endfor -%}
  {%- else -%}
    {%- for column in columns -%}{%- do key_columns.append({'name': column, 'kind': none}) -%}{%- endfor -%}
  {%- endif -%}
  {%- set salt_component = none if salt is none else (salt | length) ~ ':' ~ salt -%}
  {{- return({'src': src, 'key': key_columns, 'salt_component': salt_component, 'plan': plan, 'null_keys': policy,
              'null_split': null_split, 'split_column': split_column, 'only_split': only_split,
              'header_lines': bqml_tools.split_header(src, plan, key_columns, salt, policy, null_split, only_split, schema is not none)}) -}}
{% endmacro %}

{# splitting/queries.py _header: the comment lines above the query, word for word. #}
{% macro split_header(src, plan, key, salt, policy, null_split, only_split, checked) %}
  {%- set shares = [] -%}
  {%- for name in plan.names -%}
    {%- set f = plan.fractions[loop.index0] -%}
    {%- do shares.append(name ~ ' ' ~ ('%g' | format(f[0] / f[1] * 100)) ~ '%') -%}
  {%- endfor -%}
  {%- set shares = shares | join(', ') -%}
  {%- set sample = ' of a ' ~ bqml_tools.fraction_text(plan.sample) ~ ' sample' if plan.sampled else '' -%}
  {%- set what = 'only split ' ~ only_split ~ ' of ' ~ shares ~ sample if only_split else shares ~ sample -%}
  {%- set key_text = [] -%}
  {%- for c in key -%}{%- do key_text.append(c.name ~ ' (' ~ c.kind ~ ')' if c.kind else c.name) -%}{%- endfor -%}
  {%- set ranges = [] -%}
  {%- for name in plan.names -%}
    {%- set lo, hi = plan.lower[loop.index0], plan.upper[loop.index0] - 1 -%}
    {%- do ranges.append(name ~ ' = bucket ' ~ lo if lo == hi else name ~ ' = buckets ' ~ lo ~ '-' ~ hi) -%}
  {%- endfor -%}
  {%- set n = plan.buckets -%}
  {%- set lines = ['bqml_tools split of ' ~ src.parts | join('.') ~ ': ' ~ what,
                   'key: ' ~ key_text | join(', ') ~ ('; salted' if salt is not none else '') ~ '; h = FARM_FINGERPRINT(key string)',
                   'split  = ABS(MOD(h, ' ~ n ~ ')): ' ~ ranges | join(', ')] -%}
  {%- if plan.sampled -%}
    {%- set realised = bqml_tools._fraction(plan.threshold, plan.slots) -%}
    {%- set percent = '%.6g' | format(realised[0] / realised[1] * 100) ~ '%' -%}
    {%- set rate = bqml_tools.fraction_text(plan.sample) -%}
    {%- set kept = rate ~ ' of keys (' ~ percent ~ ')' if realised == plan.sample else rate ~ ' of keys (' ~ plan.threshold ~ '/' ~ plan.slots ~ ' = ' ~ percent ~ ')' -%}
    {%- do lines.append('sample = ABS(MOD(DIV(h, ' ~ n ~ '), ' ~ plan.slots ~ ')) < ' ~ plan.threshold ~ ' keeps ' ~ kept ~ ', independently of the split: a key\'s split is the same at every rate') -%}
  {%- endif -%}
  {%- do lines.append({'error': 'NULL keys: the query fails (ERROR) rather than drop or misplace them',
                       'drop': 'NULL keys: dropped (--null-keys drop)',
                       'split': 'NULL keys: all go to split ' ~ null_split}[policy]) -%}
  {%- if not checked -%}
    {%- do lines.append('key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys') -%}
  {%- endif -%}
  {{- return(lines) -}}
{% endmacro %}

{#- bqml_tools.split: every row of `relation` with a `split_column` naming its split (train, valid, test, ...),
    by FARM_FINGERPRINT of `key` (a column or a list); with `sample` (e.g. '1/70'), only a repeatable sample of
    the keys, a key's split the same at every rate. `null_keys`: 'error' (the query fails on a NULL key),
    'drop', or 'split:NAME'. The SQL is the CLI's: bqml-tools split ... --dialect bigquery|duckdb. -#}
{% macro split(relation, key, fractions='train=0.8,valid=0.1,test=0.1', salt=none, sample=none, split_column='split', null_keys='error') %}
  {{- return(bqml_tools.render_template('split_template', bqml_tools.split_values(relation, key, fractions, salt, sample, split_column, null_keys, none))) -}}
{% endmacro %}

{#- bqml_tools.split_filter: the rows of one split (`split`), with the source's columns only (what a training
    model reads): the CLI's bqml-tools split ... --split NAME. -#}
{% macro split_filter(relation, key, split, fractions='train=0.8,valid=0.1,test=0.1', salt=none, sample=none, null_keys='error') %}
  {{- return(bqml_tools.render_template('split_template', bqml_tools.split_values(relation, key, fractions, salt, sample, 'split', null_keys, split))) -}}
{% endmacro %}
