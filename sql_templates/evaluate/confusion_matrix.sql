{#-
  name: confusion_matrix
  The long-format confusion matrix: one row per (group, actual, predicted) with its count.
  Rows with a NULL label or prediction are left out (the metrics count them). One scan.
  params: as multiclass.sql
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_multiclass.sql' as m with context %}
{{ c.header(header_lines) }}
WITH
{{ m.ctes(with_classes=false) }}
SELECT
  {{ c.groups_out() }}actual,
  predicted,
  CAST(n AS INT64) AS {{ sql.quote('rows') }}
FROM confusion
WHERE actual IS NOT NULL AND predicted IS NOT NULL
ORDER BY {{ c.groups() }}actual, predicted
