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
  With weight (a column), every metric is scikit-learn's with sample_weight: positives, tp, fp, tn,
  fn are sums of weights, the denominators the total weight (`mass`); `rows` still counts rows.
-#}
{% macro binary_template() %}{# the body as a macro, which the dbt package calls too (dbt/macros/render.sql gives it c and b) #}
{% if c is not defined %}{% import 'evaluate/_common.sql' as c with context %}{% endif %}
{% if b is not defined %}{% import 'evaluate/_binary.sql' as b with context %}{% endif %}
{{ c.header(header_lines) }}
WITH
{% if b.over_rows() %}
{{ b.ranked_ctes() }},
totals AS (
  SELECT
    {{ c.groups() }}CAST(COUNT(y) AS INT64) AS n,
{% if weight %}
    {{ b.mass('y = 1') }} AS positives,
    {{ b.mass('y = 0') }} AS negatives,
{% else %}
    CAST(COUNTIF(y = 1) AS INT64) AS positives,
{% endif %}
    {{ b.row_sums() }},
    -- with A = sum over negatives of positives at or above, B = sum over positives of negatives at
    -- or above: A - B = concordant - discordant pairs, so concordant + ties / 2 = (A - B + pairs) / 2
{% if weight %}
    -- (each pair counted with the product of its two weights)
    SUM(IF(y = 0, w * pos_at_or_above, 0)) - SUM(IF(y = 1, w * neg_at_or_above, 0)) AS concordant_minus_discordant,
    -- a positive of weight 0 adds nothing (and may have nothing weighted at or above it)
    SUM(IF(y = 1 AND w > 0, w * pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
{% else %}
    {{ sql.float64('SUM(IF(y = 0, pos_at_or_above, 0)) - SUM(IF(y = 1, neg_at_or_above, 0))') }} AS concordant_minus_discordant,
    SUM(IF(y = 1, pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
{% endif %}
    CAST(SUM(invalid_label) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_score) AS INT64) AS invalid_score_rows{% if weight %},
    CAST(SUM(invalid_weight) AS INT64) AS invalid_weight_rows{% endif %}{% if by %},
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
{% if weight %}
    SUM(wpos) AS positives,
    SUM(wneg) AS negatives,
    SUM(tp) AS tp,
    SUM(fp) AS fp,
    SUM(tn) AS tn,
    SUM(fn) AS fn,
    SUM(log_likelihood) AS log_likelihood,
    SUM(squared_error) AS squared_error,
    SUM(wneg * (pos_at_or_above - wpos + wpos / 2)) AS concordant,
    SUM(IF(score_min < score_max, wpos * wneg, 0)) AS tied_pairs,
    SUM(IF(wpos > 0, wpos * pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
{% else %}
    CAST(SUM(pos) AS INT64) AS positives,
    CAST(SUM(tp) AS INT64) AS tp,
    CAST(SUM(fp) AS INT64) AS fp,
    SUM(log_likelihood) AS log_likelihood,
    SUM(squared_error) AS squared_error,
    SUM({{ sql.float64('n - pos') }} * ({{ sql.float64('pos_at_or_above - pos') }} + pos / 2)) AS concordant,
    SUM(IF(score_min < score_max, {{ sql.float64("pos") }} * {{ sql.float64("n - pos") }}, 0)) AS tied_pairs,
    SUM(IF(pos > 0, pos * pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
{% endif %}
    CAST(SUM(invalid_labels) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) AS INT64) AS invalid_score_rows{% if weight %},
    CAST(SUM(invalid_weights) AS INT64) AS invalid_weight_rows{% endif %}

  FROM cumulative
  {{ c.group_by() }}
),
{% endif %}
counts AS (
  SELECT
    *,
{% if weight %}
    positives + negatives AS mass,
    {{ sql.safe_divide('positives', 'positives + negatives') }} AS rate,
    positives * negatives AS pairs{% if b.over_rows() %},
    (positives * negatives + concordant_minus_discordant) / 2 AS concordant{% endif %}{% if b.over_rows() and by %},
    COUNT(*) OVER (PARTITION BY _bqml_key) AS _bqml_key_groups{% endif %}

{% else %}
    n - positives - fp AS tn,
    positives - tp AS fn,
    {{ sql.safe_divide('positives', 'n') }} AS rate,
    {{ sql.float64('positives') }} * {{ sql.float64('n - positives') }} AS pairs{% if b.over_rows() %},
    ({{ sql.float64('positives') }} * {{ sql.float64('n - positives') }} + concordant_minus_discordant) / 2 AS concordant{% if by %},
    COUNT(*) OVER (PARTITION BY _bqml_key) AS _bqml_key_groups{% endif %}{% endif %}

{% endif %}
  FROM totals
)
{% set total = 'mass' if weight else 'n' %}
{% set actual_positives = 'tp + fn' if weight else 'positives' %}
SELECT
  {{ c.groups_out() }}n AS {{ sql.quote('rows') }},
  positives,
  tp,
  fp,
  tn,
  fn,
  {{ c.ratio('tp + tn', total) }} AS accuracy,
  {{ c.ratio('tp', 'tp + fp') }} AS {{ sql.quote('precision') }},
  {{ c.ratio('tp', actual_positives) }} AS recall,
  {{ c.ratio('tn', 'tn + fp') }} AS specificity,
  {{ c.ratio('2 * tp', '2 * tp + fp + fn') }} AS f1,
{% if zero_division == 'sklearn' %}
  -- scikit-learn averages the recalls of the classes present: one class gives that class's recall
  CASE
    WHEN positives = 0 AND {{ total }} > 0 THEN {{ c.ratio('tn', 'tn + fp') }}
    WHEN {{ 'negatives = 0' if weight else 'positives = n' }} AND {{ total }} > 0 THEN {{ c.ratio('tp', actual_positives) }}
    ELSE ({{ c.ratio('tp', actual_positives) }} + {{ c.ratio('tn', 'tn + fp') }}) / 2
  END AS balanced_accuracy,
{% else %}
  ({{ c.ratio('tp', actual_positives) }} + {{ c.ratio('tn', 'tn + fp') }}) / 2 AS balanced_accuracy,
{% endif %}
  -{{ c.ratio('log_likelihood', total) }} AS log_loss,
  {{ c.ratio('squared_error', total) }} AS brier,
  {{ sql.safe_divide('concordant', 'pairs') }} AS roc_auc,
{% if mode == 'exact' %}IF(pairs > 0, {{ sql.float64('0') }}, NULL){% else %}{{ sql.safe_divide('tied_pairs', '2 * pairs') }}{% endif %} AS roc_auc_error_bound,
  {{ c.ratio('precision_sum', 'positives') }} AS average_precision,
  {{ c.ratio('positives', total) }} AS base_rate,
  -{{ sql.safe_divide('positives * LN(' ~ c.clipped('rate') ~ ') + ' ~ ('negatives' if weight else '(n - positives)') ~ ' * LN(' ~ c.clipped('1 - rate') ~ ')', total) }} AS baseline_log_loss,
  invalid_label_rows,
  invalid_score_rows{% if weight %},
  invalid_weight_rows{% endif %}

FROM counts
{% if b.over_rows() and by %}
{{ b.binary_invalid_guard(b.key_check()) }}
{% else %}
{{ b.binary_invalid_guard() }}
{% endif %}
{{ c.order_by() }}
{% endmacro %}{{ binary_template() }}
