-- bqml_tools split of ml.events: train 80%, valid 10%, test 10%
-- key: user_id (INT64), day (DATE), ts (DATETIME), raw (BYTES), amount (NUMERIC), naive (DATETIME); salted; h = FARM_FINGERPRINT(key string)
-- split  = ABS(MOD(h, 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them

WITH keyed AS (
  SELECT '5:exp''7' || CAST(LENGTH(CAST("user_id" AS STRING)) AS STRING) || ':' || CAST("user_id" AS STRING) || CAST(LENGTH(CAST("day" AS STRING)) AS STRING) || ':' || CAST("day" AS STRING) || CAST(LENGTH(strftime("ts", '%Y-%m-%dT%H:%M:%S.%f')) AS STRING) || ':' || strftime("ts", '%Y-%m-%dT%H:%M:%S.%f') || CAST(LENGTH(lower(hex("raw"))) AS STRING) || ':' || lower(hex("raw")) || CAST(LENGTH(regexp_replace(regexp_replace(CAST("amount" AS VARCHAR), '(\.[0-9]*?)0+$', '\1'), '\.$', '')) AS STRING) || ':' || regexp_replace(regexp_replace(CAST("amount" AS VARCHAR), '(\.[0-9]*?)0+$', '\1'), '\.$', '') || CAST(LENGTH(strftime("naive", '%Y-%m-%dT%H:%M:%S.%f')) AS STRING) || ':' || strftime("naive", '%Y-%m-%dT%H:%M:%S.%f') AS _bqml_key
  FROM "ml"."events"
),
hashed AS (
  SELECT _bqml_key, farm_fingerprint(_bqml_key) AS _bqml_hash
  FROM keyed
),
bucketed AS (
  SELECT
    _bqml_key,
    _bqml_hash,
    ABS(MOD(_bqml_hash, 10)) AS _bqml_bucket
  FROM hashed
)
SELECT
  _bqml_key AS key_string,
  _bqml_hash AS fingerprint,
  _bqml_bucket AS bucket,
  CASE
    WHEN _bqml_bucket IS NULL THEN NULL
    WHEN _bqml_bucket < 8 THEN 'train'
    WHEN _bqml_bucket < 9 THEN 'valid'
    ELSE 'test'
  END AS split
FROM bucketed
