-- bqml_tools split of my-project.ml.events: train 80%, valid 10%, test 10%
-- key: user_id (INT64), day (DATE), ts (TIMESTAMP), raw (BYTES), amount (NUMERIC), naive (DATETIME); salted
-- bucket = ABS(MOD(FARM_FINGERPRINT(key string), 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them

WITH keys AS (
  SELECT '5:exp\'7' || CAST(LENGTH(CAST(`user_id` AS STRING)) AS STRING) || ':' || CAST(`user_id` AS STRING) || CAST(LENGTH(CAST(`day` AS STRING)) AS STRING) || ':' || CAST(`day` AS STRING) || CAST(LENGTH(FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', `ts`, 'UTC')) AS STRING) || ':' || FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', `ts`, 'UTC') || CAST(LENGTH(TO_HEX(`raw`)) AS STRING) || ':' || TO_HEX(`raw`) || CAST(LENGTH(CAST(`amount` AS STRING)) AS STRING) || ':' || CAST(`amount` AS STRING) || CAST(LENGTH(FORMAT_DATETIME('%Y-%m-%dT%H:%M:%E6S', `naive`)) AS STRING) || ':' || FORMAT_DATETIME('%Y-%m-%dT%H:%M:%E6S', `naive`) AS _bqml_key
  FROM `my-project.ml.events`
),
per_key AS (
  SELECT _bqml_key, COUNT(*) AS n_rows
  FROM keys
  GROUP BY _bqml_key
),
placed AS (
  SELECT _bqml_key, n_rows, ABS(MOD(FARM_FINGERPRINT(_bqml_key), 10)) AS _bqml_bucket
  FROM per_key
),
classified AS (
  SELECT
    _bqml_key,
    n_rows,
    CASE
      WHEN _bqml_bucket IS NULL THEN 'null_key'
      WHEN _bqml_bucket < 10 THEN 'sampled'
      ELSE 'unsampled'
    END AS part,
    CASE WHEN _bqml_bucket < 10 THEN CASE
    WHEN _bqml_bucket < 8 THEN 'train'
    WHEN _bqml_bucket < 9 THEN 'valid'
    ELSE 'test'
  END END AS split
  FROM placed
)
SELECT
  part,
  split,
  CAST(NULL AS STRING) AS stratum,
  SUM(n_rows) AS n_rows,
  COUNT(_bqml_key) AS n_keys,
  MAX(n_rows) AS max_key_rows
FROM classified
GROUP BY part, split
