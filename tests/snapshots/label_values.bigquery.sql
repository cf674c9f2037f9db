SELECT MIN(_bqml_label) AS low, MAX(_bqml_label) AS high
FROM (
  SELECT `label` AS _bqml_label
  FROM `my-project.ml.predictions`
) AS source_rows
WHERE _bqml_label IS NOT NULL AND NOT (_bqml_label = 'yes')
