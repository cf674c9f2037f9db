{#-
  name: training
  A training history in ML.TRAINING_INFO's shape, one row per (training_run, iteration), from one
  scan of `src`: the losses of each iteration, how many source rows it had (copies, refused in
  Python when above 1), invalid counts (a NULL, NaN or infinite loss; a NaN or infinite eval_loss:
  NULL means no validation), and the small windows the diagnosis reads: the step of the loss since
  the previous iteration and the run's lowest eval_loss. The window runs over the aggregated
  history (one row per iteration), never over the raw rows.
  params: src, has_run, has_eval, has_learning_rate (whether the source has training_run,
    eval_loss and learning_rate; without them: run 0, NULL, NULL), header_lines
-#}
{% import 'evaluate/_common.sql' as c with context %}
{{ c.header(header_lines) }}
WITH
history AS (
  SELECT
    _bqml_run AS run,
    _bqml_iteration AS step_index,
    CAST(COUNT(*) AS INT64) AS copies,
    MIN(IF(loss_ok, _bqml_loss, NULL)) AS loss_value,
    MIN(IF(eval_ok, _bqml_eval_loss, NULL)) AS eval_value,
    MIN(_bqml_learning_rate) AS rate,
    CAST(COUNTIF(NOT loss_ok) AS INT64) AS invalid_loss,
    CAST(COUNTIF(NOT eval_ok) AS INT64) AS invalid_eval
  FROM (
    SELECT
      *,
      {{ c.finite('_bqml_loss') }} AS loss_ok,
      (_bqml_eval_loss IS NULL OR {{ c.finite('_bqml_eval_loss') }}) AS eval_ok
    FROM (
      SELECT
        {{ sql.quote('training_run') if has_run else '0' }} AS _bqml_run,
        {{ sql.quote('iteration') }} AS _bqml_iteration,
        {{ sql.float64(sql.quote('loss')) }} AS _bqml_loss,
        {{ sql.float64(sql.quote('eval_loss') if has_eval else 'NULL') }} AS _bqml_eval_loss,
        {{ sql.float64(sql.quote('learning_rate') if has_learning_rate else 'NULL') }} AS _bqml_learning_rate
      FROM {{ sql.relation(src) }}
    ) AS source_rows
  ) AS checked
  GROUP BY _bqml_run, _bqml_iteration
)
SELECT
  run AS training_run,
  step_index AS iteration,
  loss_value AS loss,
  eval_value AS eval_loss,
  rate AS learning_rate,
  loss_value - LAG(loss_value) OVER (PARTITION BY run ORDER BY step_index) AS loss_step,
  MIN(eval_value) OVER (PARTITION BY run) AS min_eval_loss,
  copies,
  invalid_loss,
  invalid_eval
FROM history
ORDER BY training_run, iteration
