SELECT
  MIN(IF(is_positive, NULL, _bqml_label)) AS low,
  MAX(IF(is_positive, NULL, _bqml_label)) AS high,
  -- none: the positive value is a typo itself, which the metrics' own check says
  CAST(COUNTIF(is_positive) AS INT64) AS positive_rows
FROM (
  SELECT _bqml_label, _bqml_label = 'yes' AS is_positive
  FROM (
    SELECT `label` AS _bqml_label
    FROM `my-project.ml.predictions`
  ) AS source_rows
  WHERE _bqml_label IS NOT NULL
) AS labels
