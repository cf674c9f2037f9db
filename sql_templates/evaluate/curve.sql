{#-
  name: curve
  ROC or precision-recall curve per group: one point per distinct score ('exact') or per bin
  ('binned'), from the same single scan and small window as binary.sql. With bins, each point
  is still an exact point of the curve: its threshold is the lowest score in the bin, and every
  score in a higher bin is above it. Each row also carries its group's invalid-row and positive
  counts (checked in Python as evaluate does); a group with no valid row keeps one row (NULL
  threshold) so that its counts are not lost.
  params: as binary.sql, plus kind ('roc' | 'pr')
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_binary.sql' as b with context %}
{{ c.header(header_lines) }}
WITH
{{ b.ctes() }},
points AS (
  SELECT
    *,
    SUM(n - pos) OVER ({{ c.partition() }}) AS negatives,
    {{ b.group_counts() }}
  FROM cumulative
)
SELECT
  {{ c.groups_out() }}score_min AS threshold,
{% if kind == 'roc' %}
  {{ sql.safe_divide('neg_at_or_above', 'negatives') }} AS fpr,
  {{ sql.safe_divide('pos_at_or_above', 'positives') }} AS tpr,
{% else %}
  {{ sql.safe_divide('pos_at_or_above', 'pos_at_or_above + neg_at_or_above') }} AS {{ sql.quote('precision') }},
  {{ sql.safe_divide('pos_at_or_above', 'positives') }} AS recall,
{% endif %}
  CAST(pos_at_or_above AS INT64) AS tp,
  CAST(neg_at_or_above AS INT64) AS fp,
  invalid_label_rows,
  invalid_score_rows,
  positives,
  group_rows
FROM points
{{ c.invalid_guard(b.invalid_checks, condition='bin IS NOT NULL OR group_rows = 0') }}
ORDER BY {{ c.groups() }}threshold DESC
