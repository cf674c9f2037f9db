{#-
  _binary.sql: the CTEs every binary-classification query starts with (imported with context).

  scored      the one scan of `src`: per row, the group aliases, y (1/0) and s (score), both NULL
              when the row is invalid (label NULL or not binary; score NULL, NaN, infinite or
              outside [0, 1]), plus invalid flags.
  binned      ONE aggregate per (group, bin): bin = an INT64 (a partition key on BigQuery), the exact
              score's bit pattern ('exact', score_bits: one bin per distinct score, in order) or its logit
              quantised to 1/bins_per_logit ('binned'; bins stay narrow where scores pile up near
              0 or 1). Every double in (0, 1) has |logit| < 745, so exact 0 and 1 get the bins
              -/+(746 * bins_per_logit + 1), outside every other bin: the order is total at any
              bins_per_logit. Counts, counts at the threshold, log-likelihood and squared-error
              sums. Invalid rows form the NULL bin with n = pos = 0.
  cumulative  a window *over binned* (small), partitioned by group, ordered by bin descending:
              positives and negatives scoring at or above each bin.
  ranked      (exact mode where sql.exact_auc_over_rows(): DuckDB) instead of binned/cumulative:
              the same two running counts as a window over the scored rows themselves,
              partitioned by a fixed-width key of the group (sql.group_key, in scored as _bqml_key).
              Ties share their running counts (RANGE frame), so summing over rows gives what
              summing over distinct scores gives.
  partial     (with intervals, context `ci`) binned per partition; binned then holds its jackknife
              replicates (_common.sql, replicates).
  Weights (context `weight`, a column or none): a row whose weight is NULL, NaN, infinite or negative
  is invalid (invalid_weight), and every valid row carries its weight w (_common.sql, w_of). Counts
  of rows stay counts (n, pos: `rows`, bin and group rows); every metric reads weighted masses
  instead: wpos and wneg per bin, tp, fp, tn, fn and the loss sums weighted, running sums of w.
  Negatives and tn, fn are summed directly, never as a difference of two sums: a weighted sum is
  exactly 0 only when every weight in it is 0, so a NULL (0/0) or a one-class group is decided as
  without weights, and no cell comes out a rounding error below 0. Without weights the statements
  are the unweighted ones, unchanged (counts, 64-bit).
  Context: src, by, label, score (or probs with positive: the prob of the positive label in an
  ML.PREDICT probabilities array, score_of), label_mode ('bool' | 'binary' | 'positive'), positive,
  label_numeric, threshold, mode, bins_per_logit, clip, pseudo, ci, against (compare: the other
  model's score column, or none), weight.
-#}
{% import 'evaluate/_common.sql' as c with context %}
{# Run on the scan's reserved names: _bqml_label, _bqml_score. #}
{% macro label_valid() -%}
{%- if label_mode == 'binary' %}{{ c.finite('_bqml_label') }} AND _bqml_label IN (0, 1){% elif label_numeric %}{{ c.finite('_bqml_label') }}{% else %}_bqml_label IS NOT NULL{% endif -%}
{%- endmacro %}
{% macro label_positive() -%}
{%- if label_mode == 'bool' %}_bqml_label{% elif label_mode == 'positive' %}_bqml_label = {{ sql.value('positive', positive) }}{% else %}_bqml_label = 1{% endif -%}
{%- endmacro %}

{# A row is valid when its label, score (and weight) are. #}
{% set valid = 'label_ok AND score_ok' ~ (' AND weight_ok' if weight else '') %}

{# The weighted count of the rows where `condition` holds (false on invalid rows: y and s are NULL
   there): the sum of their weights, or COUNTIF without --weight. #}
{% macro mass(condition) %}{% if weight %}SUM(IF({{ condition }}, w, 0)){% else %}COUNTIF({{ condition }}){% endif %}{% endmacro %}

{# The weighted positives and negatives of a row of binned (counts without --weight). #}
{% set pos_mass = 'wpos' if weight else 'pos' %}
{% set neg_mass = 'wneg' if weight else 'n - pos' %}

{# A per-row term of a weighted sum: the term times w, or the term without --weight. #}
{% macro weighted(term) %}{% if weight %}w * {{ term }}{% else %}{{ term }}{% endif %}{% endmacro %}

{# A model's score as the scan reads it: the --score column, or (context `probs`, ML.PREDICT's
   predicted_<label>_probs) the prob of the positive label in that array, NULL (an invalid score)
   when the array lacks the label or its probabilities do not sum to 1 within `prob_tolerance`. #}
{% macro score_of(column) %}{% if probs %}{{ c.prob_entry(sql.quote(column), sql.value('positive', positive)) }}{% else %}{{ sql.quote(column) }}{% endif %}{% endmacro %}

{# y and s per row, NULL when the row is invalid, plus which part is invalid. The source's
   columns are read under reserved names first, and each validity test is written once. #}
{% macro scored(key=false) %}
scored AS (
  SELECT
    {{ c.groups_expanded() }}{% if key and by %}{{ group_key() }} AS _bqml_key, {% endif %}CASE WHEN {{ valid }} THEN IF({{ label_positive() }}, 1, 0) END AS y,
    CASE WHEN {{ valid }} THEN {{ sql.float64(c.per_model('_bqml_score', '_bqml_score_b')) }} END AS s,{% if weight %}

    {{ c.w_of(valid) }} AS w,{% endif %}

    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score{% if weight %},
    IF(weight_ok, 0, 1) AS invalid_weight{% endif %}

  FROM (
    SELECT *, {{ label_valid() }} AS label_ok, {{ c.probability('_bqml_score') }}{% if against %} AND {{ c.probability('_bqml_score_b') }}{% endif %} AS score_ok{% if weight %}, {{ c.weight_ok() }} AS weight_ok{% endif %}

    FROM (
      SELECT {{ c.groups_in() }}{{ c.pseudo_in() }}{{ c.weight_in() }}{{ sql.quote(label) }} AS _bqml_label, {{ score_of(probs or score) }} AS _bqml_score{% if against %}, {{ score_of(against) }} AS _bqml_score_b{% endif %}

      {{ c.source_rows() }}
    ) AS source_rows
  ) AS checked{{ c.expansions() }}
)
{%- endmacro %}

{# The per-row sums binned and the exact totals share (y, s as in scored). #}
{% macro row_sums() -%}
    {{ mass('y = 1 AND s >= ' ~ sql.value('threshold', threshold)) }} AS tp,
    {{ mass('y = 0 AND s >= ' ~ sql.value('threshold', threshold)) }} AS fp,{% if weight %}

    {{ mass('y = 1 AND s < ' ~ sql.value('threshold', threshold)) }} AS fn,
    {{ mass('y = 0 AND s < ' ~ sql.value('threshold', threshold)) }} AS tn,{% endif %}

    SUM({{ weighted('IF(y = 1, LN(' ~ c.clipped('s') ~ '), LN(' ~ c.clipped('1 - s') ~ '))') }}) AS log_likelihood,
    SUM({{ weighted('(s - y) * (s - y)') }}) AS squared_error
{%- endmacro %}

{# The group columns' fixed-width partition key (DuckDB's exact plan only). #}
{% macro group_key() %}{% set columns = [] %}{% for column in by %}{% do columns.append(c.g(loop.index0)) %}{% endfor %}{{ sql.group_key(columns) }}{% endmacro %}

{# The engine's exact plan ('window' or 'buckets', sql.exact_plan(); context `exact_plan` overrides it in tests). #}
{% set plan = exact_plan if exact_plan is defined and exact_plan else (sql.exact_plan() | trim) %}
{% set buckets = mode == 'exact' and plan == 'buckets' %}

{# Whether exact AUC runs as a window over the scored rows (ranked) on this engine. #}
{% set over_rows = mode == 'exact' and not ci and not pseudo and plan == 'window' and (sql.exact_auc_over_rows() | trim) == 'true' %}

{# The scan and one window over its rows: running positives and negatives at or above each score. #}
{% macro ranked_ctes() %}
{{ scored(key=true) }},
ranked AS (
  SELECT
    *,
{% if weight %}
    -- running sums of the weights (doubles), in the one window
{% else %}
    -- counts, not SUM(y): a running SUM of integers is 128-bit on DuckDB, a count 64-bit
{% endif %}
    {{ mass('y = 1') }} OVER ({% if by %}PARTITION BY _bqml_key {% endif %}ORDER BY s DESC) AS pos_at_or_above,
    {{ mass('y = 0') }} OVER ({% if by %}PARTITION BY _bqml_key {% endif %}ORDER BY s DESC) AS neg_at_or_above
  FROM scored
)
{%- endmacro %}

{% macro ctes() %}
{% set edge = 746 * bins_per_logit + 1 %}
{{ scored() }},
{{ 'partial' if ci else 'binned' }} AS (
  SELECT
    {{ c.groups() }}{% if mode == 'exact' %}{{ sql.score_bits('s') }}{% else %}CASE WHEN s = 0 THEN -{{ edge | int }} WHEN s = 1 THEN {{ edge | int }} ELSE CAST(FLOOR((LN(s) - LN(1 - s)) * {{ bins_per_logit | int }}) AS INT64) END{% endif %} AS bin,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
    MIN(s) AS score_min,
    MAX(s) AS score_max,
    {{ row_sums() }},
    SUM(s) AS score_sum,{% if weight %}

    {{ mass('y = 1') }} AS wpos,
    {{ mass('y = 0') }} AS wneg,
    SUM(invalid_weight) AS invalid_weights,{% endif %}

    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM scored
  {{ c.group_by(['bin']) }}
),
{% if ci %}
{% set summed = [('SUM(n)', 'n'), ('SUM(pos)', 'pos'), ('MIN(score_min)', 'score_min'),
   ('MAX(score_max)', 'score_max'), ('SUM(tp)', 'tp'), ('SUM(fp)', 'fp'), ('SUM(log_likelihood)', 'log_likelihood'),
   ('SUM(squared_error)', 'squared_error'), ('SUM(score_sum)', 'score_sum'), ('SUM(invalid_labels)', 'invalid_labels'),
   ('SUM(invalid_scores)', 'invalid_scores')] %}
{% if weight %}{% do summed.extend([('SUM(fn)', 'fn'), ('SUM(tn)', 'tn'), ('SUM(wpos)', 'wpos'), ('SUM(wneg)', 'wneg'),
   ('SUM(invalid_weights)', 'invalid_weights')]) %}{% endif %}
{{ c.replicates('binned', 'partial', ['bin'], summed) }},
{% endif %}
{% if buckets %}
{{ bucketed_ctes() }}
{%- else %}
cumulative AS (
  SELECT
    *,
    SUM({{ pos_mass }}) OVER ({{ c.partition() }}ORDER BY bin DESC) AS pos_at_or_above,
    SUM({{ neg_mass }}) OVER ({{ c.partition() }}ORDER BY bin DESC) AS neg_at_or_above
  FROM binned
)
{%- endif %}
{%- endmacro %}

{# The exact plan that scales (sql.exact_plan() 'buckets': BigQuery): binned holds one row per distinct
   score; each score goes to its logit bucket (INT64, bucket_width per logit unit: order-preserving,
   exact 0 and 1 outside every other bucket), a bucket carries its scores as an array, sorted, and the
   running counts are an offset (a window over the buckets: bounded) plus a running count within the
   bucket (a window PARTITIONed BY it). No window sees more than one bucket's scores or the buckets.
   A row of cumulative is a distinct score, as in the window plan; the sums evaluate reads once per
   bucket (tp, fp, losses, invalid counts) sit on the bucket's first score, 0 on the others. #}
{% set bucket_width = 4096 %}
{% set bucket_edge = 746 * bucket_width + 1 %}
{% set member_columns = ['bin', 'score_min', 'n', 'pos'] + (['wpos', 'wneg'] if weight else []) %}
{% set bucket_sums = ['tp', 'fp'] + (['fn', 'tn'] if weight else []) + ['log_likelihood', 'squared_error', 'score_sum']
   + (['invalid_weights'] if weight else []) + ['invalid_labels', 'invalid_scores'] %}
{% macro bucketed_ctes() %}
bucketed AS (
  SELECT
    {{ c.groups() }}bucket,
    MAX(bin) AS top_bin,
    SUM({{ pos_mass }}) AS bucket_pos,
    SUM({{ neg_mass }}) AS bucket_neg,
{% for column in bucket_sums %}
    SUM({{ column }}) AS {{ column }},
{% endfor %}
    ARRAY_AGG({{ sql.struct_of(member_columns) }} ORDER BY bin DESC) AS members
  FROM (
    SELECT
      *,
      CASE WHEN score_min = 0 THEN -{{ bucket_edge }} WHEN score_min = 1 THEN {{ bucket_edge }}
        ELSE CAST(FLOOR((LN(score_min) - LN(1 - score_min)) * {{ bucket_width }}) AS INT64) END AS bucket
    FROM binned
  ) AS keyed
  {{ c.group_by(['bucket']) }}
),
offsets AS (
  SELECT
    *,
    COALESCE(SUM(bucket_pos) OVER ({{ c.partition() }}ORDER BY bucket DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS pos_above,
    COALESCE(SUM(bucket_neg) OVER ({{ c.partition() }}ORDER BY bucket DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS neg_above
  FROM bucketed
),
scores AS (
  SELECT
    {{ c.groups() }}bucket,
{% for column in member_columns %}
    member.{{ column }} AS {{ column }},
{% endfor %}
    member.score_min AS score_max,
{% for column in bucket_sums %}
    IF(member.bin IS NOT DISTINCT FROM top_bin, {{ column }}, 0) AS {{ column }},
{% endfor %}
    pos_above,
    neg_above
  FROM offsets
  CROSS JOIN {{ sql.unnest_as('members', 'member') }}
),
cumulative AS (
  SELECT
    *,
    pos_above + SUM({{ pos_mass }}) OVER (PARTITION BY {{ c.groups() }}bucket ORDER BY bin DESC) AS pos_at_or_above,
    neg_above + SUM({{ neg_mass }}) OVER (PARTITION BY {{ c.groups() }}bucket ORDER BY bin DESC) AS neg_at_or_above
  FROM scores
)
{%- endmacro %}

{# The invalid-row checks of every binary statement: (count column, message) for c.invalid_guard. #}
{% set invalid_checks = [
  ('invalid_label_rows', ' row(s) have a NULL or non-binary label in ' ~ label ~ '; filter them, pass --positive VALUE, or pass --invalid exclude'),
  ('invalid_score_rows', (' row(s) have probabilities in ' ~ probs ~ (' or ' ~ against if against else '') ~ ' that lack the positive label or do not sum to 1, or a positive prob outside [0, 1]' if probs else ' row(s) have a NULL, NaN or infinite score or one outside [0, 1] in ' ~ score ~ (' or ' ~ against if against else '')) ~ '; filter them or pass --invalid exclude'),
] %}
{% if weight %}{% do invalid_checks.append(('invalid_weight_rows', ' row(s) have a NULL, NaN, infinite or negative weight in ' ~ weight ~ '; filter them or pass --invalid exclude')) %}{% endif %}

{# ranked partitions by a hash of the group columns: fail rather than mix two groups with one key (odds
   ~k^2 / 2^65 for k groups), or split one group over two keys (a safety net: DuckDB hashes -0.0 and
   0.0 alike, and every NaN). If it ever fires, --auc binned does not use the key. #}
{% set key_check = 'IF(_bqml_key_groups > 1 OR _bqml_key <> _bqml_key_max, ' ~ sql.error('bqml_tools: two groups share a sort key (a hash collision) or one group has two; rerun with --auc binned') ~ ', TRUE)' %}

{# The per-group counts the curves carry on each row (checked in Python as evaluate does):
   windows over an aggregated CTE whose rows hold the counts `invalid_labels`, `invalid_scores`,
   (with --weight) `invalid_weights`, `pos` and `n`. The positives here are rows, not weights. #}
{% macro group_counts() -%}
    CAST(SUM(invalid_labels) OVER ({{ c.partition() }}) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) OVER ({{ c.partition() }}) AS INT64) AS invalid_score_rows,{% if weight %}

    CAST(SUM(invalid_weights) OVER ({{ c.partition() }}) AS INT64) AS invalid_weight_rows,{% endif %}

    CAST(SUM(pos) OVER ({{ c.partition() }}) AS INT64) AS positives,
    CAST(SUM(n) OVER ({{ c.partition() }}) AS INT64) AS group_rows
{%- endmacro %}
