{#-
  name: thresholds
  Precision, recall and F1 at thresholds 0, 1/steps, ..., 1 per group, in one scan: rows are
  counted per threshold step (score >= k/steps), then running sums over the steps present (a window
  over that aggregate) give every threshold its counts: linear in steps, no join of steps with steps. Invalid rows form the NULL step (counted, never
  at or above a threshold); each row carries its group's invalid and positive counts.
  With weight (a column): tp, fp, tn, fn are sums of weights (each summed directly) and the ratios
  follow from them, as scikit-learn's with sample_weight.
  params: as binary.sql, plus steps
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_binary.sql' as b with context %}
{{ c.header(header_lines) }}
{% set step = 'FLOOR(s * ' ~ (steps | int) ~ ')' %}
WITH
{{ b.scored() }},
stepped AS (
  -- the largest k with s >= k / steps, computed exactly as the comparison the user reads
  SELECT
    {{ c.groups() }}CASE
      WHEN s >= ({{ step }} + 1) / {{ steps | int }} THEN {{ step }} + 1
      WHEN s < {{ step }} / {{ steps | int }} THEN {{ step }} - 1
      ELSE {{ step }}
    END AS k,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,{% if weight %}

    {{ b.mass('y = 1') }} AS wpos,
    {{ b.mass('y = 0') }} AS wneg,
    SUM(invalid_weight) AS invalid_weights,{% endif %}

    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM scored
  {{ c.group_by(['k']) }}
),
running AS (
  -- running sums over the steps present (a window over stepped: at most steps + 2 rows per group)
  SELECT
    *,
{% if weight %}
    SUM(wpos) OVER ({{ c.partition() }}ORDER BY k DESC) AS pos_at_or_above,
    SUM(wneg) OVER ({{ c.partition() }}ORDER BY k DESC) AS neg_at_or_above,
    COALESCE(SUM(wpos) OVER ({{ c.partition() }}ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS pos_below,
    COALESCE(SUM(wneg) OVER ({{ c.partition() }}ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS neg_below,
    SUM(invalid_weights) OVER ({{ c.partition() }}) AS invalid_weight_rows,
{% else %}
    SUM(pos) OVER ({{ c.partition() }}ORDER BY k DESC) AS pos_at_or_above,
    SUM(n - pos) OVER ({{ c.partition() }}ORDER BY k DESC) AS neg_at_or_above,
{% endif %}
    -- the next step present below this one (MAX skips the invalid rows' NULL step wherever it sorts)
    MAX(k) OVER ({{ c.partition() }}ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS k_below,
    MAX(k) OVER ({{ c.partition() }}) AS k_max,
    SUM(pos) OVER ({{ c.partition() }}) AS positives,
    SUM(n - pos) OVER ({{ c.partition() }}) AS negatives,
    SUM(invalid_labels) OVER ({{ c.partition() }}) AS invalid_label_rows,
    SUM(invalid_scores) OVER ({{ c.partition() }}) AS invalid_score_rows
  FROM stepped
),
swept AS (
  -- each step present stands for the thresholds t in (k_below, k], where its running sums are the
  -- counts at or above t; the highest also for (k, steps], where nothing is; a group without a valid
  -- row sweeps 0..steps from its NULL step, with zero counts. steps + 1 rows per group in all.
  SELECT
    {{ c.groups() }}t AS k,
{% if weight %}
    IF(t <= k, pos_at_or_above, 0) AS tp,
    IF(t <= k, neg_at_or_above, 0) AS fp,
    IF(t <= k, neg_below, neg_below + wneg) AS tn,
    IF(t <= k, pos_below, pos_below + wpos) AS fn,
    CAST(invalid_weight_rows AS INT64) AS invalid_weight_rows,
{% else %}
    CAST(IF(t <= k, pos_at_or_above, 0) AS INT64) AS tp,
    CAST(IF(t <= k, neg_at_or_above, 0) AS INT64) AS fp,
{% endif %}
    CAST(positives AS INT64) AS positives,
    CAST(negatives AS INT64) AS negatives,
    CAST(invalid_label_rows AS INT64) AS invalid_label_rows,
    CAST(invalid_score_rows AS INT64) AS invalid_score_rows
  FROM running
  CROSS JOIN {{ sql.int_range(
    'CAST(CASE WHEN k IS NOT NULL THEN COALESCE(k_below + 1, 0) WHEN k_max IS NULL THEN 0 ELSE 1 END AS INT64)',
    'CAST(CASE WHEN k IS NOT NULL THEN IF(k = k_max, ' ~ (steps | int) ~ ', k) WHEN k_max IS NULL THEN ' ~ (steps | int) ~ ' ELSE 0 END AS INT64)',
    'sweep', 't') }}
)
SELECT
  {{ c.groups_out() }}k / {{ steps | int }} AS threshold,
  tp,
  fp,
{% if weight %}
  tn,
  fn,
  {{ c.ratio('tp', 'tp + fp') }} AS {{ sql.quote('precision') }},
  {{ c.ratio('tp', 'tp + fn') }} AS recall,
  {{ c.ratio('2 * tp', '2 * tp + fp + fn') }} AS f1,
  invalid_label_rows,
  invalid_score_rows,
  invalid_weight_rows,
{% else %}
  negatives - fp AS tn,
  positives - tp AS fn,
  {{ c.ratio('tp', 'tp + fp') }} AS {{ sql.quote('precision') }},
  {{ c.ratio('tp', 'positives') }} AS recall,
  {{ c.ratio('2 * tp', '2 * tp + fp + positives - tp') }} AS f1,
  invalid_label_rows,
  invalid_score_rows,
{% endif %}
  positives,
  positives + negatives AS group_rows
FROM swept
{{ c.invalid_guard(b.invalid_checks) }}
ORDER BY {{ c.groups() }}threshold
