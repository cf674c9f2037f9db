{#-
  _common.sql: dialect-free macros shared by the evaluation templates (imported with context).
  Context used: `by` (group columns), `zero_division` ('null' | 'sklearn'), `guard` (bool).

  Names. The scan of the source (an innermost subquery of the first CTE) reads each user column
  once, under a reserved name: group columns as _bqml_g0, _bqml_g1, ..., the others as
  _bqml_label, _bqml_score, _bqml_prediction, _bqml_probs. Everything above it uses only those
  and working names bqml_tools chooses (y, s, n, pos, ...), so no --by, label or score column can
  shadow a working column, and no struct field of the probabilities can shadow a column read
  inside UNNEST. Group columns get their own names back in the final projection only
  (groups_out). Source columns starting with _bqml_ are refused in Python, and so is a --by
  column named like an output column of the statement.

  Working groups (context `pseudo`, after the --by groups, in this order when present):
    _bqml_all    slices against the whole (evaluate --by --ci): every scanned row is counted twice,
                 in its slice (0) and in the whole (1, group columns NULL): one scan, paired.
    _bqml_model  compare: every scanned row is counted twice, with the first model's column (0) and
                 the other's (1); a row is valid only when it is valid for both models.
    _bqml_rep    intervals (context `ci`): in the scan and the first aggregate it holds the row's
                 partition, ABS(MOD(FARM_FINGERPRINT(salted key string), K)); the `replicates` CTE
                 then turns partitions into delete-a-group jackknife replicates: replicate r sums
                 every partition but r, and replicate -1 sums all of them (the estimate itself);
                 replicate -2 leaves out the rows whose key is NULL (so that they can be counted).
                 Everything after it is computed per replicate, exactly as without intervals;
                 bqml_tools combines the K + 1 rows of a group in Python (evaluation.py, jackknife).
-#}
{# A group column's reserved alias. #}
{% import 'split/_keys.sql' as hashing with context %}
{% macro g(index) %}_bqml_g{{ index }}{% endmacro %}

{# In the scan: each group column under its alias, each followed by a comma. #}
{% macro groups_in() %}{% for column in by %}{{ sql.quote(column) }} AS {{ g(loop.index0) }}, {% endfor %}{% endmacro %}

{# Every group column after the scan: the --by aliases, then the working groups. #}
{% set pseudo = pseudo if pseudo is defined else [] %}
{% set group_list = [] %}
{% if by is defined %}{% for column in by %}{% do group_list.append(g(loop.index0)) %}{% endfor %}{% endif %}
{% do group_list.extend(pseudo) %}

{# After the scan: the group aliases, each followed by a comma, for SELECT lists. #}
{% macro groups(prefix='') %}{% for column in group_list %}{{ prefix }}{{ column }}, {% endfor %}{% endmacro %}

{# In the final projection: the group aliases renamed to the user's column names (working groups keep theirs). #}
{% macro groups_out() %}{% for column in by %}{{ g(loop.index0) }} AS {{ sql.quote(column) }}, {% endfor %}{% for column in pseudo %}{{ column }}, {% endfor %}{% endmacro %}

{# GROUP BY the group aliases plus `extra`; nothing when there is nothing to group by. #}
{% macro group_by(extra=[]) %}{% set columns = group_list + extra %}{% if columns %}GROUP BY {{ columns | join(', ') }}{% endif %}{% endmacro %}

{# ORDER BY the group aliases (results come back in a stable order), or nothing. #}
{% macro order_by() %}{% if group_list %}ORDER BY {{ group_list | join(', ') }}{% endif %}{% endmacro %}

{# PARTITION BY the group aliases, or nothing (a window over an aggregated, ungrouped result). #}
{% macro partition() %}{% if group_list %}PARTITION BY {{ group_list | join(', ') }} {% endif %}{% endmacro %}

{# In the scan's select list: the working groups the scan makes, each followed by a comma. The
   row's jackknife partition comes from a salted fingerprint of the key, so it never lines up with a
   split or a sample made from the same key (their MOD of the unsalted fingerprint); rows of one key
   share a partition. Rows whose key is NULL get partition -2, which no replicate r >= -1 leaves out;
   replicate -2 (every row but those) lets bqml_tools count them and refuse them (intervals.py). #}
{% macro pseudo_in() %}{% if ci %}COALESCE(ABS(MOD({{ hashing.fingerprint(ci.key, ci.salt) }}, {{ ci.partitions | int }})), -2) AS _bqml_rep, {% endif %}{% endmacro %}

{# After the scan's FROM: the copies of each row that the working groups _bqml_all and _bqml_model count. #}
{% macro expansions() %}{% if '_bqml_all' in pseudo %}
  CROSS JOIN (SELECT 0 AS _bqml_all UNION ALL SELECT 1 AS _bqml_all) AS whole{% endif %}{% if '_bqml_model' in pseudo %}
  CROSS JOIN (SELECT 0 AS _bqml_model UNION ALL SELECT 1 AS _bqml_model) AS models{% endif %}{% endmacro %}

{# In the first select after the expansions: like groups(), but a --by alias is NULL in the whole's copy. #}
{% macro groups_expanded() %}{% for column in group_list %}{% if '_bqml_all' in pseudo and column not in pseudo %}IF(_bqml_all = 1, NULL, {{ column }}) AS {{ column }}{% else %}{{ column }}{% endif %}, {% endfor %}{% endmacro %}

{# The value of a per-model column: the first model's, or the other's in the second copy. #}
{% macro per_model(first, other) %}{% if '_bqml_model' in pseudo %}IF(_bqml_model = 0, {{ first }}, {{ other }}){% else %}{{ first }}{% endif %}{% endmacro %}

{# The jackknife replicates of a CTE aggregated per (groups, partition, `keys`): replicate r holds the
   rows of every partition but r, replicate -1 all of them. `aggregates`: (expression over the partition
   rows, name) pairs, each SUM(column), MIN(column) or MAX(column) of a column of `source` named `name`.
   `source` is read once.
   Default: total minus own. A window over `source` (aggregated rows) gives each (groups, keys) cell its
   total; the cell's first partition row sends the total to every replicate and each partition row
   takes its own part back from its replicate, so the work is cells x (K + 1) + partition rows, not
   partition rows x K. Sums are exact for counts; MIN and MAX are the whole cell's in every replicate
   (binary uses them only for the error bound of binned AUC, which is reported for the estimate).
   each_partition=true: every partition row goes to every replicate but its own, kept apart by `keys`
   (regression pools per-partition means and squared deviations this way; K x K small rows).
   estimate_only (a condition on the cells of `source`, or none): those cells go to the estimate
   (replicate -1) only, so what they compute is NULL in every other replicate (a NULL interval). #}
{% macro replicates(name, source, keys, aggregates, each_partition=false, estimate_only=none) %}
{% set selected = [] %}{% for column in group_list + keys %}{% do selected.append('_bqml_r AS _bqml_rep' if column == '_bqml_rep' else column) %}{% endfor %}
{% set cell = [] %}{% for column in group_list + keys %}{% if column != '_bqml_rep' %}{% do cell.append(column) %}{% endif %}{% endfor %}
{% set grouped = [] %}{% for column in group_list %}{% do grouped.append('_bqml_r' if column == '_bqml_rep' else column) %}{% endfor %}
{{ name }} AS (
  SELECT
    {{ selected | join(', ') }},
{% for expression, alias in aggregates %}
{% set function = expression.split('(')[0] %}
{% if each_partition %}
    {{ expression }} AS {{ alias }}{{ ',' if not loop.last }}
{% elif function == 'SUM' %}
    SUM(IF(_bqml_first, _bqml_total_{{ alias }}, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, {{ alias }}, NULL)), 0) AS {{ alias }}{{ ',' if not loop.last }}
{% else %}
    {{ function }}(IF(_bqml_first, _bqml_total_{{ alias }}, NULL)) AS {{ alias }}{{ ',' if not loop.last }}
{% endif %}
{% endfor %}
{% if each_partition %}
  FROM {{ source }}
{% else %}
  FROM (
    SELECT
      *,
{% for expression, alias in aggregates %}
      {{ expression.split('(')[0] }}({{ alias }}) OVER ({% if cell %}PARTITION BY {{ cell | join(', ') }}{% endif %}) AS _bqml_total_{{ alias }},
{% endfor %}
      ROW_NUMBER() OVER ({% if cell %}PARTITION BY {{ cell | join(', ') }} {% endif %}ORDER BY _bqml_rep) = 1 AS _bqml_first
    FROM {{ source }}
  ) AS cells
{% endif %}
  CROSS JOIN {{ sql.int_series(-2, ci.partitions - 1, 'replicate_ids', '_bqml_r') }}
  WHERE {{ '_bqml_r <> _bqml_rep' if each_partition else '(_bqml_first OR _bqml_r = _bqml_rep)' if estimate_only else '_bqml_first OR _bqml_r = _bqml_rep' }}{% if estimate_only %} AND NOT ({{ estimate_only }} AND _bqml_r <> -1){% endif %}

  GROUP BY {{ (grouped + keys) | join(', ') }}
)
{%- endmacro %}

{# The one validity rule for numbers, shared by every command: not NULL, not NaN, not +-inf.
   Tested explicitly on the value cast to double: comparisons alone let NaN through (DuckDB
   orders NaN above every number, and a Parquet scan compared NaN as inside [0, 1]). #}
{% macro finite(expr) %}({{ expr }} IS NOT NULL AND {{ sql.is_finite(sql.float64(expr)) }}){% endmacro %}

{# Weights (context `weight`: a column or none). In the scan the column is read as _bqml_weight
   (weight_in); a row whose weight is NULL, NaN, infinite or negative is invalid (weight_ok, the same
   rule everywhere); after the scan each row carries its weight as w, NULL when the row is invalid,
   1 without --weight (w_of). `weight_scale` (context, or none): a power of two every weight is
   multiplied by (exact), set by bqml_tools.evaluation when the weights' totals are so large or so
   small that a product of two of them (roc_auc, average_precision) would overflow or underflow. #}
{% macro weight_in() %}{% if weight %}{{ sql.quote(weight) }} AS _bqml_weight, {% endif %}{% endmacro %}
{% macro weight_ok() %}{% if weight %}({{ finite('_bqml_weight') }} AND _bqml_weight >= 0){% else %}TRUE{% endif %}{% endmacro %}
{% macro w_of(valid) %}{% if weight %}IF({{ valid }}, {{ sql.float64('_bqml_weight') }}{% if weight_scale %} * {{ sql.value('weight_scale', weight_scale) }}{% endif %}, NULL){% else %}IF({{ valid }}, 1, NULL){% endif %}{% endmacro %}

{# A probability: a finite number in [0, 1]. #}
{% macro probability(expr) %}({{ finite(expr) }} AND {{ expr }} >= 0 AND {{ expr }} <= 1){% endmacro %}

{# Clip a probability to [eps, 1 - eps] with eps the float64 machine epsilon, as scikit-learn's
   log_loss. Written with IF, not LEAST/GREATEST: DuckDB's GREATEST skips NULLs (GREATEST(NULL, eps)
   is eps), and a NULL must stay NULL on both engines. #}
{% macro clipped(expr) -%}
{#- eps as an exponent literal is a double on both engines; 1 - eps is exact in double -#}
{%- set low, high = number_literal(clip), '(1 - ' ~ number_literal(clip) ~ ')' -%}
IF({{ expr }} < {{ low }}, {{ low }}, IF({{ expr }} > {{ high }}, {{ high }}, {{ expr }}))
{%- endmacro %}

{# A ratio: NULL on a zero denominator, or 0 when scikit-learn's convention is asked for. #}
{% macro ratio(numerator, denominator) -%}
{%- if zero_division == 'sklearn' %}COALESCE({{ sql.safe_divide(numerator, denominator) }}, 0){% else %}{{ sql.safe_divide(numerator, denominator) }}{% endif -%}
{%- endmacro %}

{# 1 - num/den (r2, explained variance): NULL on a zero denominator, or scikit-learn's
   force_finite convention (1 when num is 0 too, else 0) when asked for. #}
{% macro one_minus_ratio(numerator, denominator) -%}
{%- if zero_division == 'sklearn' %}CASE WHEN {{ denominator }} = 0 THEN IF({{ numerator }} = 0, 1, 0) ELSE 1 - {{ numerator }} / {{ denominator }} END{% else %}1 - {{ sql.safe_divide(numerator, denominator) }}{% endif -%}
{%- endmacro %}

{# In a printed statement with the 'error' policy: fail, with the count, when rows are invalid.
   `condition`: a filter the statement needs anyway (the guard is ANDed to it). #}
{% macro invalid_guard(checks, condition=none) -%}
{%- if guard %}
WHERE
{% if condition %}
  ({{ condition }})
{% endif %}
{% for column, message in checks %}
  {{ 'AND ' if condition or not loop.first }}IF({{ column }} > 0, {{ sql.error_with_count(column, message) }}, TRUE)
{% endfor %}
{% elif condition %}
WHERE {{ condition }}
{% endif -%}
{%- endmacro %}

{# The probability an ML.PREDICT-style ARRAY<STRUCT<label, prob>> gives to `label`, or NULL when the
   array has no such entry or its probabilities do not sum to 1 within `prob_tolerance` (an array
   cut short, or another model's labels): the score of binary --probs. #}
{% macro prob_entry(probs, label) -%}
CASE WHEN ABS({{ sql.prob_sum(probs) }} - 1) <= {{ number_literal(prob_tolerance) }} THEN {{ sql.prob_of(probs, label) }} END
{%- endmacro %}

{# The scan's FROM: the source, and with row filters (context `where`: (column, parameter name, value)
   triples, ANDed) only the rows where each column equals its value, bound as a parameter. #}
{% macro source_rows() -%}
FROM {{ sql.relation(src) }}{% if where is defined and where %} WHERE {% for column, name, value in where %}{{ sql.quote(column) }} = {{ sql.value(name, value) }}{{ ' AND ' if not loop.last }}{% endfor %}{% endif %}
{%- endmacro %}

{% macro header(lines) %}
{% for line in lines %}
-- {{ line }}
{% endfor %}
{% endmacro %}
