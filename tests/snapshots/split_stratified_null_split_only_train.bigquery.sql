-- bqml_tools split of my-project.ml.events: only split train of train 80%, valid 10%, test 10%
-- key: user_id; stratified by label
-- bucket = ABS(MOD(FARM_FINGERPRINT(key string), 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: all go to split nokey
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH
keyed AS (
  SELECT
    *,
    CAST(`user_id` AS STRING) AS _bqml_key,
    COALESCE(CAST(`label` AS STRING), ERROR('bqml_tools: NULL label in label; stratified splits need a label on every row: filter or fill them first')) AS _bqml_stratum
  FROM `my-project.ml.events`
),
hashed AS (
  SELECT *, FARM_FINGERPRINT(_bqml_key) AS _bqml_hash
  FROM keyed
),
bucketed AS (
  SELECT
    *,
    ABS(MOD(_bqml_hash, 10)) * 10000
      + ABS(MOD(DIV(_bqml_hash, 10), 10000)) AS _bqml_bucket
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
)
SELECT
  b.* EXCEPT (_bqml_key, _bqml_stratum, _bqml_hash, _bqml_bucket)FROM bucketed AS b
LEFT JOIN assigned AS a
  ON b._bqml_stratum = a._bqml_stratum AND b._bqml_bucket = a._bqml_bucket
WHERE a._bqml_split = 'train'
