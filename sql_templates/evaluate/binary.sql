{#-
  name: binary
  Binary-classification metrics per group from one scan of `src` (see _binary.sql).
  params:
    src, by, label, score, label_mode, positive, threshold, mode ('exact' | 'binned'),
    bins_per_logit, clip, zero_division, guard, header_lines
  `predicted positive` means score >= threshold. average_precision and (with
  zero_division 'sklearn') balanced_accuracy of a one-class group follow scikit-learn. roc_auc counts ties as half (as scikit-learn);
  with mode 'binned' pairs inside one bin are counted as ties and roc_auc_error_bound
  (half the within-bin positive-negative pairs over all pairs) bounds the error.
  Exact mode on DuckDB (sql.exact_auc_over_rows()) ranks the rows in one window (_binary.sql's ranked)
  and computes every metric in the one aggregate after it; elsewhere it windows per-score aggregates.
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_binary.sql' as b with context %}
{{ c.header(header_lines) }}
WITH
{% if b.over_rows %}
{{ b.ranked_ctes() }},
totals AS (
  SELECT
    {{ c.groups() }}CAST(COUNT(y) AS INT64) AS n,
    CAST(COUNTIF(y = 1) AS INT64) AS positives,
    {{ b.row_sums() }},
    -- with A = sum over negatives of positives at or above, B = sum over positives of negatives at
    -- or above: A - B = concordant - discordant pairs, so concordant + ties / 2 = (A - B + pairs) / 2
    {{ sql.float64('SUM(IF(y = 0, pos_at_or_above, 0)) - SUM(IF(y = 1, neg_at_or_above, 0))') }} AS concordant_minus_discordant,
    SUM(IF(y = 1, pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
    CAST(SUM(invalid_label) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_score) AS INT64) AS invalid_score_rows{% if by %},
    MIN(_bqml_key) AS _bqml_key,
    MAX(_bqml_key) AS _bqml_key_max{% endif %}

  FROM ranked
  {{ c.group_by() }}
),
{% else %}
{{ b.ctes() }},
totals AS (
  SELECT
    {{ c.groups() }}CAST(SUM(n) AS INT64) AS n,
    CAST(SUM(pos) AS INT64) AS positives,
    CAST(SUM(tp) AS INT64) AS tp,
    CAST(SUM(fp) AS INT64) AS fp,
    SUM(log_likelihood) AS log_likelihood,
    SUM(squared_error) AS squared_error,
    SUM({{ sql.float64('n - pos') }} * ({{ sql.float64('pos_at_or_above - pos') }} + pos / 2)) AS concordant,
    SUM(IF(score_min < score_max, {{ sql.float64("pos") }} * {{ sql.float64("n - pos") }}, 0)) AS tied_pairs,
    SUM(IF(pos > 0, pos * pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
    CAST(SUM(invalid_labels) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) AS INT64) AS invalid_score_rows
  FROM cumulative
  {{ c.group_by() }}
),
{% endif %}
counts AS (
  SELECT
    *,
    n - positives - fp AS tn,
    positives - tp AS fn,
    {{ sql.safe_divide('positives', 'n') }} AS rate,
    {{ sql.float64('positives') }} * {{ sql.float64('n - positives') }} AS pairs{% if b.over_rows %},
    ({{ sql.float64('positives') }} * {{ sql.float64('n - positives') }} + concordant_minus_discordant) / 2 AS concordant{% if by %},
    COUNT(*) OVER (PARTITION BY _bqml_key) AS _bqml_key_groups{% endif %}{% endif %}

  FROM totals
)
SELECT
  {{ c.groups_out() }}n AS {{ sql.quote('rows') }},
  positives,
  tp,
  fp,
  tn,
  fn,
  {{ c.ratio('tp + tn', 'n') }} AS accuracy,
  {{ c.ratio('tp', 'tp + fp') }} AS {{ sql.quote('precision') }},
  {{ c.ratio('tp', 'positives') }} AS recall,
  {{ c.ratio('tn', 'tn + fp') }} AS specificity,
  {{ c.ratio('2 * tp', '2 * tp + fp + fn') }} AS f1,
{% if zero_division == 'sklearn' %}
  -- scikit-learn averages the recalls of the classes present: one class gives that class's recall
  CASE
    WHEN positives = 0 AND n > 0 THEN {{ c.ratio('tn', 'tn + fp') }}
    WHEN positives = n AND n > 0 THEN {{ c.ratio('tp', 'positives') }}
    ELSE ({{ c.ratio('tp', 'positives') }} + {{ c.ratio('tn', 'tn + fp') }}) / 2
  END AS balanced_accuracy,
{% else %}
  ({{ c.ratio('tp', 'positives') }} + {{ c.ratio('tn', 'tn + fp') }}) / 2 AS balanced_accuracy,
{% endif %}
  -{{ c.ratio('log_likelihood', 'n') }} AS log_loss,
  {{ c.ratio('squared_error', 'n') }} AS brier,
  {{ sql.safe_divide('concordant', 'pairs') }} AS roc_auc,
  {% if mode == 'exact' %}IF(pairs > 0, {{ sql.float64('0') }}, NULL){% else %}{{ sql.safe_divide('tied_pairs', '2 * pairs') }}{% endif %} AS roc_auc_error_bound,
  {{ c.ratio('precision_sum', 'positives') }} AS average_precision,
  {{ c.ratio('positives', 'n') }} AS base_rate,
  -{{ sql.safe_divide('positives * LN(' ~ c.clipped('rate') ~ ') + (n - positives) * LN(' ~ c.clipped('1 - rate') ~ ')', 'n') }} AS baseline_log_loss,
  invalid_label_rows,
  invalid_score_rows
FROM counts
{% if b.over_rows and by %}
{{ c.invalid_guard(b.invalid_checks, b.key_check) }}
{% else %}
{{ c.invalid_guard(b.invalid_checks) }}
{% endif %}
{{ c.order_by() }}
