{#-
  name: curve
  ROC or precision-recall curve per group: one point per distinct score ('exact') or per bin
  ('binned'), from the same single scan and small window as binary.sql. With bins, each point
  is still an exact point of the curve: its threshold is the lowest score in the bin, and every
  score in a higher bin is above it. Each row also carries its group's invalid-row and positive
  counts (checked in Python as evaluate does); a group with no valid row keeps one row (NULL
  threshold) so that its counts are not lost.
  With weight (a column): rates, tp and fp are sums of weights (scikit-learn's roc_curve and
  precision_recall_curve with sample_weight), and, as there, a score whose rows all weigh 0 gives no
  point (unless the whole group weighs 0: its points keep its counts, with NULL rates).
  params: as binary.sql, plus kind ('roc' | 'pr')
-#}
{% macro curve_template() %}{# the body as a macro, which the dbt package calls too (dbt/macros/render.sql gives it c and b) #}
{% if c is not defined %}{% import 'evaluate/_common.sql' as c with context %}{% endif %}
{% if b is not defined %}{% import 'evaluate/_binary.sql' as b with context %}{% endif %}
{{ c.header(header_lines) }}
{% set positive_mass = 'positive_mass' if weight else 'positives' %}
{# the points: every bin (a bin of weight 0 only in a group of weight 0), or one row for a group with no valid row #}
{% set kept = '(bin IS NOT NULL AND (wpos + wneg > 0 OR positive_mass + negatives = 0)) OR group_rows = 0' if weight else 'bin IS NOT NULL OR group_rows = 0' %}
WITH
{{ b.ctes() }},
points AS (
  SELECT
    *,
    SUM({{ b.neg_mass() }}) OVER ({{ c.partition() }}) AS negatives,{% if weight %}

    SUM(wpos) OVER ({{ c.partition() }}) AS positive_mass,{% endif %}

    {{ b.group_counts() }}
  FROM cumulative
)
SELECT
  {{ c.groups_out() }}score_min AS threshold,
{% if kind == 'roc' %}
  {{ sql.safe_divide('neg_at_or_above', 'negatives') }} AS fpr,
  {{ sql.safe_divide('pos_at_or_above', positive_mass) }} AS tpr,
{% else %}
  {{ sql.safe_divide('pos_at_or_above', 'pos_at_or_above + neg_at_or_above') }} AS {{ sql.quote('precision') }},
  {{ sql.safe_divide('pos_at_or_above', positive_mass) }} AS recall,
{% endif %}
{% if weight %}
  pos_at_or_above AS tp,
  neg_at_or_above AS fp,
{% else %}
  CAST(pos_at_or_above AS INT64) AS tp,
  CAST(neg_at_or_above AS INT64) AS fp,
{% endif %}
  invalid_label_rows,
  invalid_score_rows,{% if weight %}

  invalid_weight_rows,{% endif %}

  positives,
  group_rows
FROM points
{{ b.binary_invalid_guard(condition=kept) }}
ORDER BY {{ c.groups() }}threshold DESC
{% endmacro %}{{ curve_template() }}
