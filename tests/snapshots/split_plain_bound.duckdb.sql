-- bqml_tools split of ml.events: train 80%, valid 10%, test 10%
-- key: user_id (INT64), day (DATE), ts (DATETIME), raw (BYTES), amount (NUMERIC), naive (DATETIME); salted; h = FARM_FINGERPRINT(key string)
-- split  = ABS(MOD(h, 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them

WITH bucketed AS (
  SELECT
    *,
    COALESCE(
      ABS(MOD(farm_fingerprint(CAST($salt AS VARCHAR) || CAST(LENGTH(CAST("user_id" AS STRING)) AS STRING) || ':' || CAST("user_id" AS STRING) || CAST(LENGTH(CAST("day" AS STRING)) AS STRING) || ':' || CAST("day" AS STRING) || CAST(LENGTH(strftime("ts", '%Y-%m-%dT%H:%M:%S.%f')) AS STRING) || ':' || strftime("ts", '%Y-%m-%dT%H:%M:%S.%f') || CAST(LENGTH(lower(hex("raw"))) AS STRING) || ':' || lower(hex("raw")) || CAST(LENGTH(regexp_replace(regexp_replace(CAST("amount" AS VARCHAR), '(\.[0-9]*?)0+$', '\1'), '\.$', '')) AS STRING) || ':' || regexp_replace(regexp_replace(CAST("amount" AS VARCHAR), '(\.[0-9]*?)0+$', '\1'), '\.$', '') || CAST(LENGTH(strftime("naive", '%Y-%m-%dT%H:%M:%S.%f')) AS STRING) || ':' || strftime("naive", '%Y-%m-%dT%H:%M:%S.%f')), 10)),
      ERROR('bqml_tools: NULL key in user_id, day, ts, raw, amount, naive; rerun with --null-keys drop or --null-keys split:NAME')
    ) AS _bqml_bucket
  FROM "ml"."events"
)
SELECT
  * EXCLUDE (_bqml_bucket),
  CASE
    WHEN _bqml_bucket < 8 THEN CAST($split_0 AS VARCHAR)
    WHEN _bqml_bucket < 9 THEN CAST($split_1 AS VARCHAR)
    ELSE CAST($split_2 AS VARCHAR)
  END AS "split"
FROM bucketed
