-- bqml_tools split of my-project.ml.events: only split train of train 80%, valid 10%, test 10%
-- key: user_id; h = FARM_FINGERPRINT(key string)
-- split  = ABS(MOD(h, 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH bucketed AS (
  SELECT
    *,
    COALESCE(
      ABS(MOD(FARM_FINGERPRINT(CAST(`user_id` AS STRING)), 10)),
      ERROR('bqml_tools: NULL key in user_id; rerun with --null-keys drop or --null-keys split:NAME')
    ) AS _bqml_bucket
  FROM `my-project.ml.events`
)
SELECT
  * EXCEPT (_bqml_bucket)
FROM bucketed
WHERE _bqml_bucket < 8
