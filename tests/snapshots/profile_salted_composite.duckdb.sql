-- bqml_tools split of ml.events: train 80%, valid 10%, test 10%
-- key: user_id (INT64), day (DATE), ts (DATETIME), raw (BYTES), amount (NUMERIC), naive (DATETIME); salted
-- bucket = ABS(MOD(FARM_FINGERPRINT(key string), 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them

WITH keys AS (
  SELECT '5:exp''7' || CAST(LENGTH(CAST("user_id" AS STRING)) AS STRING) || ':' || CAST("user_id" AS STRING) || CAST(LENGTH(CAST("day" AS STRING)) AS STRING) || ':' || CAST("day" AS STRING) || CAST(LENGTH(strftime("ts", '%Y-%m-%dT%H:%M:%S.%f')) AS STRING) || ':' || strftime("ts", '%Y-%m-%dT%H:%M:%S.%f') || CAST(LENGTH(lower(hex("raw"))) AS STRING) || ':' || lower(hex("raw")) || CAST(LENGTH(regexp_replace(regexp_replace(CAST("amount" AS VARCHAR), '(\.[0-9]*?)0+$', '\1'), '\.$', '')) AS STRING) || ':' || regexp_replace(regexp_replace(CAST("amount" AS VARCHAR), '(\.[0-9]*?)0+$', '\1'), '\.$', '') || CAST(LENGTH(strftime("naive", '%Y-%m-%dT%H:%M:%S.%f')) AS STRING) || ':' || strftime("naive", '%Y-%m-%dT%H:%M:%S.%f') AS _bqml_key
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
