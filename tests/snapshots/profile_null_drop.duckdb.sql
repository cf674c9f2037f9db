-- bqml_tools split of ml.events: train 80%, valid 10%, test 10%
-- key: user_id
-- bucket = ABS(MOD(FARM_FINGERPRINT(key string), 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: dropped (--null-keys drop)
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH keys AS (
  SELECT CAST("user_id" AS STRING) AS _bqml_key
  FROM "ml"."events"
),
per_key AS (
  SELECT _bqml_key, COUNT(*) AS n_rows
  FROM keys
  GROUP BY _bqml_key
),
placed AS (
  SELECT _bqml_key, n_rows, ABS(MOD(farm_fingerprint(_bqml_key), 10)) AS _bqml_bucket
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
