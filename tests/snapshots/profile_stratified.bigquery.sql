-- bqml_tools split of my-project.ml.events: train 80%, valid 10%, test 10% of a 1/10 sample
-- key: user_id (INT64); h = FARM_FINGERPRINT(key string)
-- stratified by label: each key's stratum is its majority label (ties: the smallest label text), so a key's rows stay in one split
-- split  = per stratum, keys in the order ABS(MOD(h, 10)) * 10000 + ABS(MOD(DIV(h, 10000000), 10000)) take train 80%, valid 10%, test 10% of the stratum's rows
-- sample = ABS(MOD(DIV(h, 10), 1000000)) < 100000 keeps 1/10 of keys (10%), independently of the split: a key's split is the same at every rate
-- NULL keys: the query fails (ERROR) rather than drop or misplace them

WITH
keyed AS (
  SELECT
    *,
    CAST(`user_id` AS STRING) AS _bqml_key,
    CAST(`label` AS STRING) AS _bqml_label
  FROM `my-project.ml.events`
),
key_labels AS (
  SELECT _bqml_key, _bqml_label, COUNT(*) AS _bqml_rows
  FROM keyed
  GROUP BY _bqml_key, _bqml_label
),
ranked AS (
  SELECT
    _bqml_key,
    _bqml_label,
    SUM(_bqml_rows) OVER (PARTITION BY _bqml_key) AS _bqml_key_rows,
    ROW_NUMBER() OVER (PARTITION BY _bqml_key ORDER BY _bqml_rows DESC, _bqml_label) AS _bqml_rank
  FROM key_labels
  WHERE _bqml_key IS NOT NULL AND _bqml_label IS NOT NULL
),
hashed AS (
  SELECT _bqml_key, _bqml_label AS _bqml_stratum, _bqml_key_rows, FARM_FINGERPRINT(_bqml_key) AS _bqml_hash
  FROM ranked
  WHERE _bqml_rank = 1
),
positioned AS (
  SELECT
    _bqml_key,
    _bqml_stratum,
    _bqml_key_rows,
    CASE WHEN ABS(MOD(DIV(_bqml_hash, 10), 1000000)) < 100000 THEN 'sampled' ELSE 'unsampled' END AS _bqml_part,
    ABS(MOD(_bqml_hash, 10)) * 10000
      + ABS(MOD(DIV(_bqml_hash, 10000000), 10000)) AS _bqml_position
  FROM hashed
),
strata AS (
  -- per position, its keys as an array: the keys come back from it (key_splits), so positioned is
  -- read once (BigQuery re-evaluates a CTE, here the (key, label) aggregate, at every reference)
  SELECT
    _bqml_part,
    _bqml_stratum,
    _bqml_position,
    SUM(_bqml_key_rows) AS _bqml_rows,
    ARRAY_AGG(STRUCT(_bqml_key AS _bqml_key, _bqml_key_rows AS _bqml_key_rows)) AS _bqml_keys
  FROM positioned
  GROUP BY _bqml_part, _bqml_stratum, _bqml_position
),
placed AS (
  SELECT
    *,
    2 * SUM(_bqml_rows) OVER (PARTITION BY _bqml_part, _bqml_stratum ORDER BY _bqml_position) - _bqml_rows AS _bqml_twice_midpoint,
    2 * SUM(_bqml_rows) OVER (PARTITION BY _bqml_part, _bqml_stratum) AS _bqml_twice_total
  FROM strata
),
assigned AS (
  SELECT
    _bqml_part,
    _bqml_stratum,
    _bqml_keys,
    CASE
      WHEN _bqml_part <> 'sampled' THEN NULL
      WHEN _bqml_twice_midpoint * 10 < _bqml_twice_total * 8 THEN 'train'
      WHEN _bqml_twice_midpoint * 10 < _bqml_twice_total * 9 THEN 'valid'
      ELSE 'test'
    END AS _bqml_split
  FROM placed
),
key_splits AS (
  SELECT
    _bqml_member._bqml_key AS _bqml_key,
    _bqml_stratum,
    _bqml_member._bqml_key_rows AS _bqml_key_rows,
    _bqml_part,
    _bqml_split
  FROM assigned
  CROSS JOIN UNNEST(_bqml_keys) AS _bqml_member
),
classified AS (
  SELECT
    CASE
      WHEN _bqml_l._bqml_key IS NULL THEN 'null_key'
      WHEN _bqml_l._bqml_label IS NULL THEN 'null_label'
      ELSE _bqml_s._bqml_part
    END AS _bqml_part,
    _bqml_s._bqml_split,
    _bqml_l._bqml_label,
    _bqml_l._bqml_rows,
    CASE WHEN _bqml_l._bqml_label = _bqml_s._bqml_stratum THEN 1 ELSE 0 END AS _bqml_is_stratum,
    COALESCE(_bqml_s._bqml_key_rows, _bqml_l._bqml_rows) AS _bqml_key_rows
  FROM key_labels AS _bqml_l
  LEFT JOIN key_splits AS _bqml_s
    ON _bqml_l._bqml_key = _bqml_s._bqml_key
)
SELECT
  _bqml_part AS part,
  _bqml_split AS split,
  _bqml_label AS stratum,
  SUM(_bqml_rows) AS n_rows,
  SUM(_bqml_is_stratum) AS n_keys,
  MAX(_bqml_key_rows) AS max_key_rows
FROM classified
GROUP BY _bqml_part, _bqml_split, _bqml_label
