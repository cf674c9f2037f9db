-- bqml_tools split of ml.events: train 80%, valid 10%, test 10% of a 1/70 sample
-- key: user_id; h = FARM_FINGERPRINT(key string)
-- split  = ABS(MOD(h, 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- sample = ABS(MOD(DIV(h, 10), 1000000)) < 14286 keeps 1/70 of keys (14286/1000000 = 1.4286%), independently of the split: a key's split is the same at every rate
-- NULL keys: the query fails (ERROR) rather than drop or misplace them
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys
-- CREATE MODEL (data_split_method CUSTOM): train rows (is_eval FALSE, 80%) train the model, valid rows (is_eval TRUE, 10%) are its evaluation data; test rows (10%) are held out: not in this statement, for the final report (the model's predictions of them)
-- features: every column but label (the label), the key (user_id) and split; is_eval is the split column, not a feature

SELECT
  * EXCLUDE ("user_id", "split"),
  "split" = 'valid' AS "is_eval"
FROM (
WITH hashed AS (
  SELECT
    *,
    COALESCE(
      farm_fingerprint(CAST("user_id" AS STRING)),
      ERROR('bqml_tools: NULL key in user_id; rerun with --null-keys drop or --null-keys split:NAME')
    ) AS _bqml_hash
  FROM "ml"."events"
),
bucketed AS (
  SELECT
    *,
    ABS(MOD(_bqml_hash, 10)) AS _bqml_bucket,
    ABS(MOD((_bqml_hash // 10), 1000000)) AS _bqml_slot
  FROM hashed
)
SELECT
  * EXCLUDE (_bqml_hash, _bqml_bucket, _bqml_slot),
  CASE
    WHEN _bqml_bucket < 8 THEN 'train'
    WHEN _bqml_bucket < 9 THEN 'valid'
    ELSE 'test'
  END AS "split"
FROM bucketed
WHERE _bqml_slot < 14286
) AS split_rows
WHERE "split" IN ('train', 'valid')
