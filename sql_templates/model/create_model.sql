{#-
  name: create_model
  BigQuery ML's CREATE MODEL on the toolkit's key-hashed split (DATA_SPLIT_METHOD 'CUSTOM'): the rows
  of the train split with eval_column FALSE, those of the valid split with it TRUE; every other split's
  rows (test) are not selected: held out. The split statement (`body`, rendered inline: a CREATE MODEL
  holds no query parameters) is read as a subquery; the key and split columns are left out of the
  features. `statement`: false renders the SELECT alone (any dialect), true the whole CREATE MODEL.
  In model/, not split/: the dbt package reads split/ as macro files, and this one is a statement.
  params: header_lines, body, statement, model (Source), model_type, label, options ((name, value) pairs:
  numbers, booleans, text), keys, split_column, train, evaluation, eval_column
-#}
{% import 'split/_keys.sql' as k with context %}
{{ k.header(header_lines) }}
{% if statement %}
CREATE OR REPLACE MODEL {{ sql.relation(model) }}
OPTIONS (
  model_type = {{ sql.literal(model_type) }},
  input_label_cols = [{{ sql.literal(label) }}],
  data_split_method = 'CUSTOM',
  data_split_col = {{ sql.literal(eval_column) }}{% for name, value in options %},
  {{ name }} = {{ sql.literal(value) }}{% endfor %}

) AS
{% endif %}
{% set dropped = [] %}
{% for column in keys + [split_column] %}{% do dropped.append(sql.quote(column)) %}{% endfor %}
SELECT
  {{ sql.star_except(dropped) }},
  {{ sql.quote(split_column) }} = {{ sql.literal(evaluation) }} AS {{ sql.quote(eval_column) }}
FROM (
{{ body | trim }}
) AS split_rows
WHERE {{ sql.quote(split_column) }} IN ({{ sql.literal(train) }}, {{ sql.literal(evaluation) }})
