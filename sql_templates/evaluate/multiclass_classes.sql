{#-
  name: multiclass_classes
  One row per (group, class): support, predicted count, tp, precision, recall, F1. One scan.
  Each row also carries its group's invalid-row count and valid-row count (checked in Python as
  evaluate's metrics do); a group with no valid row keeps one row (NULL class) for its counts.
  With --weight, support, predicted and tp are summed weights (scikit-learn's support with
  sample_weight), group_rows still counts rows, and invalid_weight_rows counts invalid weights.
  params: as multiclass.sql
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_multiclass.sql' as m with context %}
{{ c.header(header_lines) }}
WITH
{{ m.multiclass_ctes() }},
counted AS (
  SELECT
    *,
    CAST(SUM(invalid_n) OVER ({{ c.partition() }}) AS INT64) AS invalid_rows,
    CAST(SUM({{ 'valid_n' if weight else 'support' }}) OVER ({{ c.partition() }}) AS INT64) AS group_rows{% if weight %},
    CAST(SUM(invalid_weight_n) OVER ({{ c.partition() }}) AS INT64) AS invalid_weight_rows{% endif %}

  FROM classes
)
SELECT
  {{ c.groups_out() }}class,
  support,
  predicted,
  tp,
  {{ m.class_metrics() }},
  invalid_rows,
  group_rows{% if weight %},
  invalid_weight_rows{% endif %}

FROM counted
{{ m.multiclass_invalid_guard(condition='class IS NOT NULL OR group_rows = 0') }}
ORDER BY {{ c.groups() }}class
