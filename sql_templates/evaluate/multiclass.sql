{#-
  name: multiclass
  Multiclass metrics per group from one scan of `src` (see _multiclass.sql). Macro averages
  leave out classes whose metric is undefined (NULL), like scikit-learn's zero_division=nan;
  weighted averages weight by support over the classes that are defined (their plain mean when
  those all have support 0, as scikit-learn's _nanaverage). With --weight every
  metric is scikit-learn's with sample_weight (n is then the total weight; `rows` still counts rows).
  With probabilities, roc_auc is scikit-learn's roc_auc_score(multi_class='ovr', average='macro'): each
  class's AUC against the rest from the probabilities the arrays give it (exact, ties count half; with
  intervals the estimate only, NULL in the replicates), averaged over the classes; NULL when any class (of the labels, predictions or
  arrays) has no positive or no negative (scikit-learn raises there).
  params: src, by, label, prediction, probs (or none), top_k, clip, zero_division, guard,
          header_lines
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_multiclass.sql' as m with context %}
{{ c.header(header_lines) }}
WITH
{{ m.ctes(auc=probs) }},
per_class AS (
  SELECT
    *,
    {{ m.class_metrics() }}{% if probs %},
    {{ sql.safe_divide('auc_concordant', 'auc_pos * auc_neg') }} AS roc_auc{% endif %}

  FROM classes
),
averaged AS (
  SELECT
    {{ c.groups() }}COALESCE(SUM(support), 0) AS n,{% if weight %}
    COALESCE(SUM(valid_n), 0) AS valid_rows,{% endif %}

    SUM(tp) AS tp,
    SUM(predicted) AS predicted,
    MAX(support) AS largest_class,
    -- the NULL class holds the invalid rows only: it is never averaged
    AVG(IF(class IS NULL, NULL, {{ sql.quote('precision') }})) AS macro_precision,
    AVG(IF(class IS NULL, NULL, recall)) AS macro_recall,
    AVG(IF(class IS NULL, NULL, f1)) AS macro_f1,
    -- weighted by support over the defined classes; when those all have support 0, their plain mean
    -- (scikit-learn's _nanaverage falls back to it when the weights sum to zero)
{% for metric, name in [(sql.quote('precision'), 'precision'), ('recall', 'recall'), ('f1', 'f1')] %}
    COALESCE({{ sql.safe_divide('SUM(support * ' ~ metric ~ ')', 'SUM(IF(' ~ metric ~ ' IS NULL, 0, support))') }}, AVG(IF(class IS NULL, NULL, {{ metric }}))) AS weighted_{{ name }},
{% endfor %}
    SUM(invalid_n) AS invalid_rows{% if weight %},
    SUM(invalid_weight_n) AS invalid_weight_rows{% endif %}{% if probs %},
    SUM(log_likelihood) AS log_likelihood,
    SUM(top_k_hits) AS top_k_hits,
    -- one-vs-rest macro AUC over the classes of the labels and the arrays (a class only ever predicted
    -- is not one of scikit-learn's there); undefined when any of theirs is (no positive or no negative)
    IF(COUNTIF(class IS NOT NULL AND roc_auc IS NULL AND (support > 0 OR auc_pos + auc_neg > 0)) > 0, NULL,
       AVG(IF(class IS NULL OR NOT (support > 0 OR auc_pos + auc_neg > 0), NULL, roc_auc))) AS roc_auc{% endif %}

  FROM per_class
  {{ c.group_by() }}
)
SELECT
  {{ c.groups_out() }}CAST({{ 'valid_rows' if weight else 'n' }} AS INT64) AS {{ sql.quote('rows') }},
  {{ c.ratio('tp', 'n') }} AS accuracy,
  macro_precision,
  macro_recall,
  macro_f1,
  weighted_precision,
  weighted_recall,
  weighted_f1,
  {{ c.ratio('tp', 'predicted') }} AS micro_precision,
  {{ c.ratio('tp', 'n') }} AS micro_recall,
  {{ c.ratio('2 * tp', 'n + predicted') }} AS micro_f1,
{% if probs %}
  -{{ sql.safe_divide('log_likelihood', 'n') }} AS log_loss,
  {{ sql.safe_divide('top_k_hits', 'n') }} AS top_k_accuracy,
  roc_auc,
{% endif %}
  {{ sql.safe_divide('largest_class', 'n') }} AS baseline_accuracy,
  CAST(invalid_rows AS INT64) AS invalid_rows{% if weight %},
  CAST(invalid_weight_rows AS INT64) AS invalid_weight_rows{% endif %}

FROM averaged
{{ c.invalid_guard(m.invalid_checks) }}
{{ c.order_by() }}
