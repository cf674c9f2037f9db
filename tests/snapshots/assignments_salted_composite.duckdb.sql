-- bqml_tools split of ml.events: train 80%, valid 10%, test 10%
-- key: user_id (INT64), day (DATE), ts (DATETIME), raw (BYTES), amount (NUMERIC), naive (DATETIME); salted
-- bucket = ABS(MOD(FARM_FINGERPRINT(key string), 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them

WITH keyed AS (
  SELECT
    "user_id",
    "day",
    "ts",
    "raw",
    "amount",
    "naive",
    '5:exp''7' || CAST(LENGTH(CAST("user_id" AS STRING)) AS STRING) || ':' || CAST("user_id" AS STRING) || CAST(LENGTH(CAST("day" AS STRING)) AS STRING) || ':' || CAST("day" AS STRING) || CAST(LENGTH(strftime("ts", '%Y-%m-%dT%H:%M:%S.%f')) AS STRING) || ':' || strftime("ts", '%Y-%m-%dT%H:%M:%S.%f') || CAST(LENGTH(lower(hex("raw"))) AS STRING) || ':' || lower(hex("raw")) || CAST(LENGTH(regexp_replace(regexp_replace(CAST("amount" AS VARCHAR), '(\.[0-9]*?)0+$', '\1'), '\.$', '')) AS STRING) || ':' || regexp_replace(regexp_replace(CAST("amount" AS VARCHAR), '(\.[0-9]*?)0+$', '\1'), '\.$', '') || CAST(LENGTH(strftime("naive", '%Y-%m-%dT%H:%M:%S.%f')) AS STRING) || ':' || strftime("naive", '%Y-%m-%dT%H:%M:%S.%f') AS key_string
  FROM "ml"."events"
),
hashed AS (
  SELECT *, farm_fingerprint(key_string) AS fingerprint
  FROM keyed
)
SELECT
  *,
  ABS(MOD(fingerprint, 10)) AS bucket,
  CASE
    WHEN ABS(MOD(fingerprint, 10)) < 10
    THEN CASE
    WHEN ABS(MOD(fingerprint, 10)) < 8 THEN 'train'
    WHEN ABS(MOD(fingerprint, 10)) < 9 THEN 'valid'
    ELSE 'test'
  END
  END AS "split"
FROM hashed
