{#-
  name: multiclass_classes
  One row per (group, class): support, predicted count, tp, precision, recall, F1. One scan.
  params: as multiclass.sql
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_multiclass.sql' as m with context %}
{{ c.header(header_lines) }}
WITH
{{ m.ctes() }}
SELECT
  {{ c.groups_out() }}class,
  support,
  predicted,
  tp,
  {{ m.class_metrics() }}
FROM classes
WHERE class IS NOT NULL
ORDER BY {{ c.groups() }}class
