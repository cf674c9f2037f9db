-- bqml_tools split of ml.events: only split train of train 80%, valid 10%, test 10%
-- key: user_id; h = FARM_FINGERPRINT(key string)
-- stratified by label: each key's stratum is its majority label (ties: the smallest label text), so a key's rows stay in one split
-- split  = per stratum, keys in the order ABS(MOD(h, 10)) * 10000 + ABS(MOD(DIV(h, 10000000), 10000)) take train 80%, valid 10%, test 10% of the stratum's rows
-- NULL keys: all go to split nokey
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH
keyed AS (
  SELECT
    *,
    CAST("user_id" AS STRING) AS _bqml_key,
    COALESCE(CAST("label" AS STRING), ERROR('bqml_tools: NULL label in label; stratified splits need a label on every row: filter or fill them first')) AS _bqml_label
  FROM "ml"."events"
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
  SELECT _bqml_key, _bqml_label AS _bqml_stratum, _bqml_key_rows, farm_fingerprint(_bqml_key) AS _bqml_hash
  FROM ranked
  WHERE _bqml_rank = 1
),
positioned AS (
  SELECT
    _bqml_key,
    _bqml_stratum,
    _bqml_key_rows,
    'sampled' AS _bqml_part,
    ABS(MOD(_bqml_hash, 10)) * 10000
      + ABS(MOD((_bqml_hash // 10000000), 10000)) AS _bqml_position
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
    ARRAY_AGG(struct_pack(_bqml_key := _bqml_key, _bqml_key_rows := _bqml_key_rows)) AS _bqml_keys
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
  CROSS JOIN UNNEST(_bqml_keys) AS _bqml_unnested(_bqml_member)
)
SELECT
  _bqml_r.* EXCLUDE (_bqml_key, _bqml_label)FROM keyed AS _bqml_r
LEFT JOIN key_splits AS _bqml_s
  ON _bqml_r._bqml_key = _bqml_s._bqml_key
WHERE _bqml_s._bqml_split = 'train'
