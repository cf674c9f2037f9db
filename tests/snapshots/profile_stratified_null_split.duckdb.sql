-- bqml_tools split of ml.events: train 80%, valid 10%, test 10%
-- key: user_id; stratified by label
-- bucket = ABS(MOD(FARM_FINGERPRINT(key string), 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: all go to split nokey
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH
keyed AS (
  SELECT
    *,
    CAST("user_id" AS STRING) AS _bqml_key,
    CAST("label" AS STRING) AS _bqml_stratum
  FROM "ml"."events"
),
hashed AS (
  SELECT *, farm_fingerprint(_bqml_key) AS _bqml_hash
  FROM keyed
),
bucketed AS (
  SELECT
    *,
    ABS(MOD(_bqml_hash, 10)) * 10000
      + ABS(MOD((_bqml_hash // 10), 10000)) AS _bqml_bucket
  FROM hashed
),
strata AS (
  SELECT _bqml_stratum, _bqml_bucket, COUNT(*) AS n_rows
  FROM bucketed
  WHERE _bqml_bucket < 100000 AND _bqml_stratum IS NOT NULL
  GROUP BY _bqml_stratum, _bqml_bucket
),
placed AS (
  SELECT
    _bqml_stratum,
    _bqml_bucket,
    2 * SUM(n_rows) OVER (PARTITION BY _bqml_stratum ORDER BY _bqml_bucket) - n_rows AS twice_midpoint,
    2 * SUM(n_rows) OVER (PARTITION BY _bqml_stratum) AS twice_total
  FROM strata
),
assigned AS (
  SELECT
    _bqml_stratum,
    _bqml_bucket,
    CASE
      WHEN twice_midpoint * 10 < twice_total * 8 THEN 'train'
      WHEN twice_midpoint * 10 < twice_total * 9 THEN 'valid'
      ELSE 'test'
    END AS _bqml_split
  FROM placed
),
classified AS (
  SELECT
    b._bqml_key,
    b._bqml_stratum,
    a._bqml_split,
    CASE
      WHEN b._bqml_key IS NULL THEN 'null_key'
      WHEN b._bqml_stratum IS NULL THEN 'null_label'
      WHEN b._bqml_bucket < 100000 THEN 'sampled'
      ELSE 'unsampled'
    END AS part
  FROM bucketed AS b
  LEFT JOIN assigned AS a
    ON b._bqml_stratum = a._bqml_stratum AND b._bqml_bucket = a._bqml_bucket
),
per_key AS (
  SELECT part, _bqml_split, _bqml_stratum, _bqml_key, COUNT(*) AS n_rows
  FROM classified
  GROUP BY part, _bqml_split, _bqml_stratum, _bqml_key
)
SELECT
  part,
  _bqml_split AS split,
  _bqml_stratum AS stratum,
  SUM(n_rows) AS n_rows,
  COUNT(_bqml_key) AS n_keys,
  MAX(n_rows) AS max_key_rows
FROM per_key
GROUP BY part, split, stratum
