-- bqml_tools split of ml.events: train 80%, valid 10%, test 10%
-- key: user_id; h = FARM_FINGERPRINT(key string)
-- split  = ABS(MOD(h, 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH bucketed AS (
  SELECT
    *,
    COALESCE(
      ABS(MOD(farm_fingerprint(CAST("user_id" AS STRING)), 10)),
      ERROR('bqml_tools: NULL key in user_id; rerun with --null-keys drop or --null-keys split:NAME')
    ) AS _bqml_bucket
  FROM "ml"."events"
)
SELECT
  * EXCLUDE (_bqml_bucket),
  CASE
    WHEN _bqml_bucket < 8 THEN 'train'
    WHEN _bqml_bucket < 9 THEN 'valid'
    ELSE 'test'
  END AS "split"
FROM bucketed
