-- bqml_tools training history of ml.training_info: one row per training_run and iteration; one scan

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
      (_bqml_loss IS NOT NULL AND isfinite(CAST(_bqml_loss AS DOUBLE))) AS loss_ok,
      (_bqml_eval_loss IS NULL OR (_bqml_eval_loss IS NOT NULL AND isfinite(CAST(_bqml_eval_loss AS DOUBLE)))) AS eval_ok
    FROM (
      SELECT
        "training_run" AS _bqml_run,
        "iteration" AS _bqml_iteration,
        CAST("loss" AS DOUBLE) AS _bqml_loss,
        CAST("eval_loss" AS DOUBLE) AS _bqml_eval_loss,
        CAST("learning_rate" AS DOUBLE) AS _bqml_learning_rate
      FROM "ml"."training_info"
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
