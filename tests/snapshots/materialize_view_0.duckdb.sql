CREATE OR REPLACE VIEW "ml"."events_split_train" AS
-- bqml_tools split of ml.events: only split train of train 80%, valid 10%, test 10% of a 1/2 sample (buckets 0-9)
-- key: user_id
-- bucket = ABS(MOD(FARM_FINGERPRINT(key string), 20)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: all go to split holdout
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH bucketed AS (
  SELECT
    *,
    ABS(MOD(farm_fingerprint(CAST("user_id" AS STRING)), 20)) AS _bqml_bucket
  FROM "ml"."events"
)
SELECT
  * EXCLUDE (_bqml_bucket)
FROM bucketed
WHERE _bqml_bucket < 8
