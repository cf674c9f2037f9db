{#-
  _multiclass.sql: the CTEs of every multiclass query (imported with context).

  confusion   ONE aggregate of `src` per (group, actual, predicted): the long-format confusion
              matrix, with the summed log-likelihood of the true class and the top-k hits when a
              probabilities column (ARRAY<STRUCT<label, prob>>, like ML.PREDICT's
              predicted_<label>_probs) is given. Rows with a NULL label or prediction keep
              actual/predicted NULL and are counted as invalid.
  classes     per (group, class): support (rows whose label is the class), predicted (rows
              predicted as it), tp. Classes are the union of labels and predictions, as in
              scikit-learn; the NULL class carries the invalid rows and, with probabilities,
              the log-likelihood and top-k sums.
  Context: src, by, label, prediction, probs (or none), top_k, clip.
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% macro ctes(with_classes=true) %}
rows_in AS (
  SELECT
    {{ c.groups() }}IF({{ sql.quote(prediction) }} IS NULL, NULL, {{ sql.quote(label) }}) AS actual,
    IF({{ sql.quote(label) }} IS NULL, NULL, {{ sql.quote(prediction) }}) AS predicted{% if probs %},
    LEAST(GREATEST(COALESCE({{ sql.float64(sql.prob_of(sql.quote(probs), sql.quote(label))) }}, 0), {{ number_literal(clip) }}), {{ number_literal(1 - clip) }}) AS p_true,
    {{ sql.count_above(sql.quote(probs), sql.prob_of(sql.quote(probs), sql.quote(label))) }} AS ranked_above{% endif %}

  FROM {{ sql.relation(src) }}
),
confusion AS (
  SELECT
    {{ c.groups() }}actual,
    predicted,
    COUNT(*) AS n{% if probs %},
    SUM(LN(p_true)) AS log_likelihood,
    COUNTIF(ranked_above < {{ top_k | int }}) AS top_k_hits{% endif %}

  FROM rows_in
  {{ c.group_by(['actual', 'predicted']) }}
){% if with_classes %},
classes AS (
  -- each confusion cell counts once for its actual class and once for its predicted class:
  -- a cross join with two "sides" instead of a UNION ALL, which would read `confusion` (and
  -- so the table) twice on BigQuery. Invalid rows (NULL label or prediction) form the NULL class.
  SELECT
    {{ c.groups() }}IF(valid, IF(side = 0, actual, predicted), NULL) AS class,
    CAST(SUM(IF(side = 0 AND valid, n, 0)) AS INT64) AS support,
    CAST(SUM(IF(side = 1 AND valid, n, 0)) AS INT64) AS predicted,
    CAST(SUM(IF(side = 0 AND valid AND actual = predicted, n, 0)) AS INT64) AS tp,
    CAST(SUM(IF(side = 0 AND NOT valid, n, 0)) AS INT64) AS invalid_n{% if probs %},
    SUM(IF(side = 0 AND valid, log_likelihood, 0)) AS log_likelihood,
    SUM(IF(side = 0 AND valid, top_k_hits, 0)) AS top_k_hits{% endif %}

  FROM (
    SELECT *, actual IS NOT NULL AND predicted IS NOT NULL AS valid
    FROM confusion
  ) AS cells
  CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side) AS sides
  {{ c.group_by(['class']) }}
){% endif %}
{%- endmacro %}

{# Per-class precision, recall and F1 from `classes`. #}
{% macro class_metrics() -%}
    {{ c.ratio('tp', 'predicted') }} AS {{ sql.quote('precision') }},
    {{ c.ratio('tp', 'support') }} AS recall,
    {{ c.ratio('2 * tp', 'support + predicted') }} AS f1
{%- endmacro %}
