{#-
  name: threshold
  The decision threshold of a binary classifier for a goal, per group, from one scan of `src`:
  the candidates are every distinct score ('exact') or every bin's lowest score ('binned'), each
  with its exact counts (the same binned/cumulative CTEs as curve.sql); one small window ranks
  them per group and the best one is returned with every binary metric at it.
  params: as binary.sql, plus
    objective  'recall' (the highest threshold with recall >= target), 'precision' (the lowest
               threshold with precision >= target), 'f1' (the highest F1), 'cost' (the least
               fp_cost * fp + fn_cost * fn); ties go to the higher threshold
    target, fp_cost, fn_cost
  target_met is FALSE when no candidate reaches the target; best_reachable is the best value of the
  goal's metric over all candidates (recall, precision, f1 or cost). bound: how much better (precision for a recall target, recall for a precision target,
  f1, cost) a threshold between candidates could do: 0 with exact candidates; with bins, from the
  counts at each bin's edges (every threshold inside a bin has tp and fp between them).
  Each row carries its group's invalid-row counts; a group with no valid row keeps one row (rows 0).
  With weight (a column): positives, tp, fp, tn, fn and cost are sums of weights (fn and tn summed
  directly, below the candidate, so recall 1 is exactly 1), every ratio follows from them, and a
  score whose rows all weigh 0 is no candidate (as scikit-learn's curves drop it); rows and bin_rows
  still count rows.
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_binary.sql' as b with context %}
{# The key candidates are ranked by for a cost (cost_order 'weighed'): fp_weight * fp + fn_weight * fn with
   the costs as the least integers of their exact ratio (bqml_tools.evaluation.decisions), in a wide
   integer without --weight (counts: exact, no float rounding decides a tie), in floating point with
   it (weights are summed in it). When one cost outweighs any count of the other (a ratio of 2^63 or
   more: fp=1,fn=1e-30), the ranking is by that count, then the other ('fp first', 'fn first'). #}
{% macro cost_key(fp, fn) -%}
{%- if cost_order != 'weighed' %}{{ sql.float64('NULL') }}{% elif weight %}{{ sql.value('fp_weight', fp_weight) }} * {{ fp }} + {{ sql.value('fn_weight', fn_weight) }} * {{ fn }}{% else %}{{ sql.wide_integer(fp) }} * {{ sql.value('fp_weight', fp_weight) }} + {{ sql.wide_integer(fn) }} * {{ sql.value('fn_weight', fn_weight) }}{% endif -%}
{%- endmacro %}
{{ c.header(header_lines) }}
{% set goal = sql.value('target', target) if objective in ('recall', 'precision') else none %}
{# the weighted positives of a candidate (a difference of two sums without --weight: counts are exact) #}
{% set actual = '(tp + fn)' if weight else 'positives' %}
{% set below = c.partition() ~ 'ORDER BY bin DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING' %}
WITH
{{ b.ctes() }},
candidates AS (
  SELECT
    {{ c.groups() }}bin,
    score_min AS threshold,
    score_max AS threshold_upper,
    CAST(n AS INT64) AS bin_rows,
{% if weight %}
    wpos + wneg AS bin_mass,
    pos_at_or_above AS tp,
    neg_at_or_above AS fp,
    COALESCE(SUM(wpos) OVER ({{ below }}), 0) AS fn,
    COALESCE(SUM(wneg) OVER ({{ below }}), 0) AS tn,
    -- the least weight of true and false positives a threshold inside this bin can give
    {{ 'pos_at_or_above' if mode == 'exact' else 'IF(score_min < score_max, pos_at_or_above - wpos, pos_at_or_above)' }} AS tp_low,
    {{ 'neg_at_or_above' if mode == 'exact' else 'IF(score_min < score_max, neg_at_or_above - wneg, neg_at_or_above)' }} AS fp_low,
    CAST(SUM(invalid_labels) OVER ({{ c.partition() }}) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) OVER ({{ c.partition() }}) AS INT64) AS invalid_score_rows,
    CAST(SUM(invalid_weights) OVER ({{ c.partition() }}) AS INT64) AS invalid_weight_rows,
    SUM(wpos) OVER ({{ c.partition() }}) AS positives,
    SUM(wneg) OVER ({{ c.partition() }}) AS negatives,
    CAST(SUM(n) OVER ({{ c.partition() }}) AS INT64) AS group_rows
{% else %}
    CAST(pos_at_or_above AS INT64) AS tp,
    CAST(neg_at_or_above AS INT64) AS fp,
    -- the fewest true and false positives a threshold inside this bin can give (its own counts
    -- when the bin holds one distinct score, or in exact mode: no threshold lies inside it)
    CAST({% if mode == 'exact' %}pos_at_or_above{% else %}IF(score_min < score_max, pos_at_or_above - pos, pos_at_or_above){% endif %} AS INT64) AS tp_low,
    CAST({% if mode == 'exact' %}neg_at_or_above{% else %}IF(score_min < score_max, neg_at_or_above - (n - pos), neg_at_or_above){% endif %} AS INT64) AS fp_low,
    {{ b.group_counts() }}
{% endif %}
  FROM cumulative
),
measured AS (
  SELECT
    *,
{% if weight %}
    {{ c.ratio('tp', 'tp + fp') }} AS precision_at,
    {{ c.ratio('tp', 'tp + fn') }} AS recall_at,
    {{ c.ratio('2 * tp', '2 * tp + fp + fn') }} AS f1_at{% if objective == 'cost' %},
    {{ sql.value('fp_cost', fp_cost) }} * fp + {{ sql.value('fn_cost', fn_cost) }} * fn AS cost,
    {{ cost_key('fp', 'fn') }} AS cost_key,
    {{ sql.value('fp_cost', fp_cost) }} * fp_low + {{ sql.value('fn_cost', fn_cost) }} * fn AS cost_low{% endif %}

  FROM candidates
  WHERE (bin IS NOT NULL AND (bin_mass > 0 OR positives + negatives = 0)) OR group_rows = 0
{% else %}
    positives - tp AS fn,
    group_rows - positives - fp AS tn,
    {{ c.ratio('tp', 'tp + fp') }} AS precision_at,
    {{ c.ratio('tp', 'positives') }} AS recall_at,
    {{ c.ratio('2 * tp', '2 * tp + fp + positives - tp') }} AS f1_at{% if objective == 'cost' %},
    {{ sql.value('fp_cost', fp_cost) }} * fp + {{ sql.value('fn_cost', fn_cost) }} * (positives - tp) AS cost,
    {{ cost_key('fp', '(positives - tp)') }} AS cost_key,
    {{ sql.value('fp_cost', fp_cost) }} * fp_low + {{ sql.value('fn_cost', fn_cost) }} * (positives - tp) AS cost_low{% endif %}

  FROM candidates
  WHERE bin IS NOT NULL OR group_rows = 0
{% endif %}
),
ranked AS (
  SELECT
    *,
{% if objective == 'recall' %}
    COALESCE(recall_at >= {{ goal }}, FALSE) AS met,
    MAX(recall_at) OVER ({{ c.partition() }}) AS best_reachable,
    -- the exact answer lies in the chosen bin (every higher bin misses the target at its lowest
    -- score): its precision is at most the bin's best
    {{ sql.safe_divide('tp', 'tp + fp_low') }} AS best_possible,
    ROW_NUMBER() OVER ({{ c.partition() }}ORDER BY COALESCE(recall_at >= {{ goal }}, FALSE) DESC,
                       IF(COALESCE(recall_at >= {{ goal }}, FALSE), bin, NULL) DESC, recall_at DESC, bin DESC) AS _bqml_rank
{% elif objective == 'precision' %}
    COALESCE(precision_at >= {{ goal }}, FALSE) AS met,
    MAX(precision_at) OVER ({{ c.partition() }}) AS best_reachable,
    -- the best recall of a threshold inside a bin whose best precision reaches the target
    MAX(IF({{ sql.safe_divide('tp', 'tp + fp_low') }} >= {{ goal }}, {{ sql.safe_divide('tp', actual) }}, NULL)) OVER ({{ c.partition() }}) AS best_possible,
    ROW_NUMBER() OVER ({{ c.partition() }}ORDER BY COALESCE(precision_at >= {{ goal }}, FALSE) DESC,
                       IF(COALESCE(precision_at >= {{ goal }}, FALSE), bin, NULL) ASC, precision_at DESC, bin DESC) AS _bqml_rank
{% elif objective == 'f1' %}
    f1_at IS NOT NULL AS met,
    MAX(f1_at) OVER ({{ c.partition() }}) AS best_reachable,
    MAX({{ sql.safe_divide('2 * tp', 'tp + fp_low + ' ~ actual) }}) OVER ({{ c.partition() }}) AS best_possible,
    ROW_NUMBER() OVER ({{ c.partition() }}ORDER BY f1_at DESC, bin DESC) AS _bqml_rank
{% else %}
    cost IS NOT NULL AS met,
    MIN(cost) OVER ({{ c.partition() }}) AS best_reachable,
    MIN(cost_low) OVER ({{ c.partition() }}) AS best_possible,
    -- the least cost compared exactly (cost_key), ties to the higher threshold
    ROW_NUMBER() OVER ({{ c.partition() }}ORDER BY {{ 'cost_key ASC, ' if cost_order == 'weighed' else '' }}{{ 'fp ASC, ' if cost_order == 'fp first' else 'fn ASC, ' if cost_order == 'fn first' else '' }}{{ 'fn ASC, ' if cost_order == 'fp first' else 'fp ASC, ' if cost_order == 'fn first' else '' }}bin DESC) AS _bqml_rank
{% endif %}
  FROM measured
)
SELECT
  {{ c.groups_out() }}threshold,
  threshold_upper,
  bin_rows,
  group_rows AS {{ sql.quote('rows') }},
  positives,
  tp,
  fp,
  tn,
  fn,
{% if weight %}
  {{ c.ratio('tp + tn', 'positives + negatives') }} AS accuracy,
{% else %}
  {{ c.ratio('tp + tn', 'group_rows') }} AS accuracy,
{% endif %}
  precision_at AS {{ sql.quote('precision') }},
  recall_at AS recall,
  {{ c.ratio('tn', 'tn + fp') }} AS specificity,
  f1_at AS f1,
  ({{ c.ratio('tp', actual) }} + {{ c.ratio('tn', 'tn + fp') }}) / 2 AS balanced_accuracy,
{% if weight %}
  {{ sql.safe_divide('GREATEST(positives, negatives)', 'positives + negatives') }} AS baseline_accuracy,
{% else %}
  {{ sql.safe_divide('GREATEST(positives, group_rows - positives)', 'group_rows') }} AS baseline_accuracy,
{% endif %}
  {{ sql.float64('cost' if objective == 'cost' else 'NULL') }} AS cost,
  met AS target_met,
  best_reachable,
{% if mode == 'exact' %}
  {{ sql.float64('0') }} AS bound,
{% elif objective == 'recall' %}
  best_possible - precision_at AS bound,
{% elif objective == 'precision' %}
  best_possible - recall_at AS bound,
{% elif objective == 'f1' %}
  best_possible - f1_at AS bound,
{% else %}
  {{ sql.float64('cost - best_possible') }} AS bound,
{% endif %}
  invalid_label_rows,
  invalid_score_rows{% if weight %},
  invalid_weight_rows{% endif %}

FROM ranked
{{ c.invalid_guard(b.invalid_checks, condition='_bqml_rank = 1') }}
{{ c.order_by() }}
