-- bqml_tools split of my-project.ml.events: train 80%, valid 10%, test 10%
-- key: user_id; h = FARM_FINGERPRINT(key string)
-- split  = ABS(MOD(h, 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH keyed AS (
  SELECT CAST(`user_id` AS STRING) AS _bqml_key
  FROM `my-project.ml.events`
),
hashed AS (
  SELECT _bqml_key, FARM_FINGERPRINT(_bqml_key) AS _bqml_hash
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
