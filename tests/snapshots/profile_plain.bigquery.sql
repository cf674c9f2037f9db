-- bqml_tools split of my-project.ml.events: train 80%, valid 10%, test 10%
-- key: user_id; h = FARM_FINGERPRINT(key string)
-- split  = ABS(MOD(h, 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH keyed AS (
  SELECT CAST(`user_id` AS STRING) AS _bqml_key
  FROM `my-project.ml.events`
),
per_key AS (
  SELECT _bqml_key, COUNT(*) AS _bqml_rows
  FROM keyed
  GROUP BY _bqml_key
),
hashed AS (
  SELECT _bqml_key, _bqml_rows, FARM_FINGERPRINT(_bqml_key) AS _bqml_hash
  FROM per_key
),
bucketed AS (
  SELECT
    _bqml_key,
    _bqml_rows,
    ABS(MOD(_bqml_hash, 10)) AS _bqml_bucket,
    CASE WHEN _bqml_hash IS NULL THEN 'null_key' ELSE 'sampled' END AS _bqml_part
  FROM hashed
),
classified AS (
  SELECT
    _bqml_key,
    _bqml_rows,
    _bqml_part,
    CASE
      WHEN _bqml_bucket IS NULL THEN NULL
      WHEN _bqml_bucket < 8 THEN 'train'
      WHEN _bqml_bucket < 9 THEN 'valid'
      ELSE 'test'
    END AS _bqml_split
  FROM bucketed
)
SELECT
  _bqml_part AS part,
  _bqml_split AS split,
  CAST(NULL AS STRING) AS stratum,
  SUM(_bqml_rows) AS n_rows,
  COUNT(_bqml_key) AS n_keys,
  MAX(_bqml_rows) AS max_key_rows
FROM classified
GROUP BY _bqml_part, _bqml_split
