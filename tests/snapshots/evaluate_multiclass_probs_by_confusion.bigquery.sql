-- bqml_tools evaluate of my-project.ml.predictions: task multiclass, label y, prediction y_hat
-- one row per split; one scan of the table

WITH
rows_in AS (
  SELECT
    `split`, IF(`y_hat` IS NULL, NULL, `y`) AS actual,
    IF(`y` IS NULL, NULL, `y_hat`) AS predicted,
    LEAST(GREATEST(COALESCE(CAST((SELECT ANY_VALUE(_p.prob) FROM UNNEST(`probs`) AS _p WHERE _p.label = `y`) AS FLOAT64), 0), 1e-15), 0.999999999999999) AS p_true,
    (SELECT COUNTIF(_p.prob > (SELECT ANY_VALUE(_p.prob) FROM UNNEST(`probs`) AS _p WHERE _p.label = `y`)) FROM UNNEST(`probs`) AS _p) AS ranked_above
  FROM `my-project.ml.predictions`
),
confusion AS (
  SELECT
    `split`, actual,
    predicted,
    COUNT(*) AS n,
    SUM(LN(p_true)) AS log_likelihood,
    COUNTIF(ranked_above < 3) AS top_k_hits
  FROM rows_in
  GROUP BY `split`, actual, predicted
)
SELECT
  `split`, actual,
  predicted,
  CAST(n AS INT64) AS `rows`
FROM confusion
WHERE actual IS NOT NULL AND predicted IS NOT NULL
ORDER BY `split`, actual, predicted
