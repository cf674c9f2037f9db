{#-
  _multiclass.sql: the CTEs of every multiclass query (imported with context).

  confusion   ONE aggregate of `src` per (group, actual, predicted): the long-format confusion
              matrix, with the summed log-likelihood of the true class and the top-k hits when a
              probabilities column (ARRAY<STRUCT<label, prob>>, like ML.PREDICT's
              predicted_<label>_probs) is given. Invalid rows (a NULL label or prediction, a
              NaN or infinite numeric class, a true-class probability that is NaN or outside
              [0, 1]) have actual and predicted NULL and are counted as invalid.
  classes     per (group, class): support (rows whose label is the class), predicted (rows
              predicted as it), tp. Classes are the union of labels and predictions, as in
              scikit-learn; the NULL class carries the invalid rows and, with probabilities,
              the log-likelihood and top-k sums.
  With intervals (context `ci`), confusion holds the jackknife replicates of confusion_parts, the
  same aggregate per partition (_common.sql, replicates). With compare (context `against`), the
  other model's prediction is read too and a row is valid only when both predictions are.
  With weights (context `weight`, --weight): a row whose weight is NULL, NaN, infinite or negative is
  invalid too; confusion keeps n (rows) and adds weight (their summed weights) per cell, with the
  rows of invalid values (invalid_n) and of invalid weights (invalid_weight_n) counted apart; classes'
  support, predicted and tp are then summed weights (scikit-learn's support, precision_recall_fscore_
  support with sample_weight, is too) and valid_n counts the rows; log-likelihood and top-k hits
  are weighted.
  With one-vs-rest AUC (ctes(auc=true): evaluate's metrics with probabilities), the same one aggregate
  also holds, per (group, class, bin), the rows' mass whose probabilities array gives the class a
  probability in the bin, split into positives (the label is the class) and negatives: each valid row
  is read as its confusion cell (part 0) and as one element per array entry (part 1, actual and
  predicted NULL, counting nowhere else); bin is exact AUC's INT64 bit pattern of the probability
  (sql.score_bits), also with intervals, where the AUC cells go to the estimate only (replicates
  carrying every distinct probability of a class K + 1 times would outgrow the rest of the statement):
  roc_auc is NULL in the other replicates, so its interval is NULL. classes then carries, per class,
  auc_pos, auc_neg and auc_concordant (pairs ranked right, ties half) from a running sum over those
  cells (a window over the aggregate). An entry whose prob is NULL, NaN or outside [0, 1] counts in no
  class's AUC; a row whose array lacks a class counts neither as its positive nor as its negative.
  Context: src, by, label, prediction, probs (or none), class_numeric, top_k, clip, pseudo, ci, against, weight.
-#}
{% import 'evaluate/_common.sql' as c with context %}
{# A class value is valid when it is not NULL (and, for numeric classes, not NaN or infinite). #}
{% macro class_valid(expr) %}{% if class_numeric %}{{ c.finite(expr) }}{% else %}{{ expr }} IS NOT NULL{% endif %}{% endmacro %}

{# One-vs-rest AUC (ctes(auc=true)): the keys a confusion cell adds, the weighted count of its rows where
   `flag` holds (COUNTIF without --weight: a 64-bit count), and the rows it aggregates: each row of
   rows_in as itself (part 0, _bqml_i = 0) and as each entry of its probabilities array (part 1, the
   entry at position _bqml_i), with everything but the AUC columns neutral on part 1. #}
{% set auc_keys = ['part', 'auc_class', 'auc_bin'] %}
{% macro auc_mass(flag) %}{% if weight %}SUM(IF({{ flag }}, auc_w, 0)){% else %}COUNTIF({{ flag }}){% endif %}{% endmacro %}
{% macro auc_elements() %}(
    SELECT
      {{ c.groups() }}part,
      IF(part = 0, elements.actual, NULL) AS actual,
      IF(part = 0, elements.predicted, NULL) AS predicted,{% if weight %}

      IF(part = 0, elements.w, NULL) AS w,
      elements.w AS auc_w,
      IF(part = 0, elements.values_ok, TRUE) AS values_ok,
      IF(part = 0, elements.weight_ok, TRUE) AS weight_ok,{% endif %}{% if probs %}

      IF(part = 0, elements.log_p_true, NULL) AS log_p_true,
      IF(part = 0, elements.ranked_above, NULL) AS ranked_above,{% endif %}

      auc_class,
      {{ sql.score_bits('auc_p') | trim }} AS auc_bin,
      prob_ok AND elements.actual = auc_class AS auc_positive,
      prob_ok AND elements.actual <> auc_class AS auc_negative
    FROM (
      SELECT
        *,
        part = 1 AND {{ c.probability('auc_prob') }} AS prob_ok,
        IF(part = 1 AND {{ c.probability('auc_prob') }}, auc_prob, NULL) AS auc_p
      FROM (
        SELECT
          *,
          IF(_bqml_i = 0, 0, 1) AS part,
          IF(_bqml_i = 0, NULL, {{ sql.array_at('class_probs', '_bqml_i') }}.label) AS auc_class,
          IF(_bqml_i = 0, NULL, {{ sql.float64(sql.array_at('class_probs', '_bqml_i') ~ '.prob') }}) AS auc_prob
        FROM rows_in
        CROSS JOIN {{ sql.int_range(0, sql.array_length('class_probs'), 'entries', '_bqml_i') }}
      ) AS entries
    ) AS elements
  ) AS rows_in{% endmacro %}

{% macro ctes(with_classes=true, auc=false) %}
{% set values = class_valid('_bqml_label') ~ ' AND ' ~ class_valid('_bqml_prediction') ~ (' AND ' ~ class_valid('_bqml_prediction_b') if against else '') ~ (' AND (_bqml_prob IS NULL OR ' ~ c.probability('_bqml_prob') ~ ')' if probs else '') %}
{% set valid = '(values_ok AND weight_ok)' if weight else 'valid' %}
rows_in AS (
  -- the one scan: the source's columns under reserved names (so that nothing below, not even the
  -- fields of the probabilities' structs, can shadow them), then each row's validity (one rule
  -- for every template) and, with probabilities, the true class's probability (a class missing
  -- from the array has probability 0), clipped, and how many classes rank above it (a tie goes to
  -- the greater label, as scikit-learn's top_k_accuracy_score breaks it)
  SELECT
    {{ c.groups_expanded() }}IF({{ valid }}, _bqml_label, NULL) AS actual,
    IF({{ valid }}, {{ c.per_model('_bqml_prediction', '_bqml_prediction_b') }}, NULL) AS predicted{% if weight %},
    {{ c.w_of(valid) }} AS w,
    values_ok,
    weight_ok{% endif %}{% if probs %},
    IF({{ valid }}, LN({{ c.clipped('_bqml_p_true') }}), NULL) AS log_p_true,
    {{ sql.count_above('_bqml_probs', '_bqml_p_true', '_bqml_label') }} AS ranked_above{% endif %}{% if auc %},
    IF({{ valid }}, _bqml_probs, NULL) AS class_probs{% endif %}

  FROM (
    SELECT *, {{ values }} AS {{ 'values_ok, ' ~ c.weight_ok() ~ ' AS weight_ok' if weight else 'valid' }}{% if probs %}, COALESCE({{ sql.float64('_bqml_prob') }}, 0) AS _bqml_p_true{% endif %}

    FROM (
{% if probs %}
      SELECT *, {{ sql.prob_of('_bqml_probs', '_bqml_label') }} AS _bqml_prob
      FROM (
{% endif %}
        SELECT
          {{ c.groups_in() }}{{ c.pseudo_in() }}{{ c.weight_in() }}{{ sql.quote(label) }} AS _bqml_label,
          {{ sql.quote(prediction) }} AS _bqml_prediction{% if against %},
          {{ sql.quote(against) }} AS _bqml_prediction_b{% endif %}{% if probs %},
          {{ sql.quote(probs) }} AS _bqml_probs{% endif %}

        {{ c.source_rows() }}
{% if probs %}
      ) AS source_rows
{% endif %}
    ) AS {{ 'with_prob' if probs else 'source_rows' }}
  ) AS checked{{ c.expansions() }}
),
{{ 'confusion_parts' if ci else 'confusion' }} AS (
  SELECT
    {{ c.groups() }}actual,
    predicted,{% if auc %}

    part,
    auc_class,
    auc_bin,{% endif %}

    {{ 'COUNTIF(part = 0)' if auc else 'COUNT(*)' }} AS n{% if weight %},
    SUM(w) AS weight,
    COUNTIF(NOT values_ok) AS invalid_n,
    COUNTIF(NOT weight_ok) AS invalid_weight_n{% endif %}{% if probs %},
    SUM({{ 'w * ' if weight }}log_p_true) AS log_likelihood,
    {{ 'SUM(IF(ranked_above < ' ~ (top_k | int) ~ ', w, 0))' if weight else 'COUNTIF(ranked_above < ' ~ (top_k | int) ~ ')' }} AS top_k_hits{% endif %}{% if auc %},
    {{ auc_mass('auc_positive') }} AS auc_pos,
    {{ auc_mass('auc_negative') }} AS auc_neg{% endif %}

  FROM {% if auc %}{{ auc_elements() }}{% else %}rows_in{% endif %}

  {{ c.group_by(['actual', 'predicted'] + (auc_keys if auc else [])) }}
){% if ci %},
{{ c.replicates('confusion', 'confusion_parts', ['actual', 'predicted'] + (auc_keys if auc else []), [('SUM(n)', 'n')]
   + ([('SUM(weight)', 'weight'), ('SUM(invalid_n)', 'invalid_n'), ('SUM(invalid_weight_n)', 'invalid_weight_n')] if weight else [])
   + ([('SUM(log_likelihood)', 'log_likelihood'), ('SUM(top_k_hits)', 'top_k_hits')] if probs else [])
   + ([('SUM(auc_pos)', 'auc_pos'), ('SUM(auc_neg)', 'auc_neg')] if auc else []), estimate_only='part = 1' if auc else none) }}{% endif %}{% if with_classes %},
classes AS (
  -- each confusion cell counts once for its actual class and once for its predicted class:
  -- a cross join with two "sides" instead of a UNION ALL, which would read `confusion` (and
  -- so the table) twice on BigQuery. Invalid rows (NULL label or prediction) form the NULL class.
  SELECT
    {{ c.groups() }}{% if auc %}IF(part = 1, auc_class, IF(valid, IF(side = 0, actual, predicted), NULL)){% else %}IF(valid, IF(side = 0, actual, predicted), NULL){% endif %} AS class,
{% if weight %}
    SUM(IF(side = 0 AND valid, weight, 0)) AS support,
    SUM(IF(side = 1 AND valid, weight, 0)) AS predicted,
    SUM(IF(side = 0 AND valid AND actual = predicted, weight, 0)) AS tp,
    CAST(SUM(IF(side = 0 AND valid, n, 0)) AS INT64) AS valid_n,
    CAST(SUM(IF(side = 0, invalid_n, 0)) AS INT64) AS invalid_n,
    CAST(SUM(IF(side = 0, invalid_weight_n, 0)) AS INT64) AS invalid_weight_n{% else %}
    CAST(SUM(IF(side = 0 AND valid, n, 0)) AS INT64) AS support,
    CAST(SUM(IF(side = 1 AND valid, n, 0)) AS INT64) AS predicted,
    CAST(SUM(IF(side = 0 AND valid AND actual = predicted, n, 0)) AS INT64) AS tp,
    CAST(SUM(IF(side = 0 AND NOT valid, n, 0)) AS INT64) AS invalid_n{% endif %}{% if probs %},
    SUM(IF(side = 0 AND valid, log_likelihood, 0)) AS log_likelihood,
    SUM(IF(side = 0 AND valid, top_k_hits, 0)) AS top_k_hits{% endif %}{% if auc %},
    SUM(IF(part = 1, {{ sql.float64('auc_pos') }}, 0)) AS auc_pos,
    SUM(IF(part = 1, {{ sql.float64('auc_neg') }}, 0)) AS auc_neg,
    SUM(IF(part = 1, auc_concordant, 0)) AS auc_concordant{% endif %}

  FROM (
    SELECT *, actual IS NOT NULL AND predicted IS NOT NULL AS valid{% if auc %},
      -- a class's negatives in the bin times its positives above the bin, plus half those in it (ties):
      -- a running sum over the aggregated cells of one class, highest bin first
      {{ sql.float64('auc_neg') }} * (SUM({{ sql.float64('auc_pos') }}) OVER (PARTITION BY {{ c.groups() }}part, auc_class ORDER BY auc_bin DESC) - {{ sql.float64('auc_pos') }} / 2) AS auc_concordant{% endif %}

    FROM confusion
  ) AS cells
  CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side) AS sides{% if auc %}

  -- an array entry counts once, for its class
  WHERE part = 0 OR side = 0{% endif %}

  {{ c.group_by(['class']) }}
){% endif %}
{%- endmacro %}

{# Per-class precision, recall and F1 from `classes`. #}
{% macro class_metrics() -%}
    {{ c.ratio('tp', 'predicted') }} AS {{ sql.quote('precision') }},
    {{ c.ratio('tp', 'support') }} AS recall,
    {{ c.ratio('2 * tp', 'support + predicted') }} AS f1
{%- endmacro %}

{# The invalid-row check of every multiclass statement: (count column, message) for c.invalid_guard. #}
{% set invalid_checks = [('invalid_rows', ' invalid row(s): a NULL label (' ~ label ~ ') or prediction (' ~ prediction ~ (' or ' ~ against if against else '') ~ ')' ~ (', or a true-class probability that is NaN or outside [0, 1] (' ~ probs ~ ')' if probs else '') ~ '; filter them or pass --invalid exclude')]
   + ([('invalid_weight_rows', ' row(s) have a NULL, NaN, infinite or negative weight in ' ~ weight ~ '; filter them or pass --invalid exclude')] if weight else []) %}
