{#-
  name: label_values
  For a binary label read with a positive value (label_mode 'positive'): the least and the greatest
  valid label value other than the positive one, two values whatever the table holds (no DISTINCT),
  and how many rows hold the positive.
  When they differ the label holds more than two values ('malignant', 'benign' and a stray
  'Malignant '), which bqml_tools.evaluation refuses as scikit-learn does: every such value would
  otherwise count as the negative class without a word.
  params: src, label, label_mode, positive, label_numeric (and the binary context, _binary.sql)
-#}
{% import 'evaluate/_binary.sql' as b with context %}
SELECT
  MIN(IF(is_positive, NULL, _bqml_label)) AS low,
  MAX(IF(is_positive, NULL, _bqml_label)) AS high,
  -- none: the positive value is a typo itself, which the metrics' own check says
  CAST(COUNTIF(is_positive) AS INT64) AS positive_rows
FROM (
  SELECT _bqml_label, {{ b.label_positive() }} AS is_positive
  FROM (
    SELECT {{ sql.quote(label) }} AS _bqml_label
    FROM {{ sql.relation(src) }}
  ) AS source_rows
  WHERE {{ b.label_valid() }}
) AS labels
