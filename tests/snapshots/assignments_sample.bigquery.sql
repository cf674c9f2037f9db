-- bqml_tools split of my-project.ml.events: train 80%, valid 10%, test 10% of a 1/70 sample (buckets 0-9)
-- key: user_id
-- bucket = ABS(MOD(FARM_FINGERPRINT(key string), 700)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them
-- key types not checked (no engine): CAST(key AS STRING) is canonical for STRING, INT64, BOOL and DATE keys

WITH keyed AS (
  SELECT
    `user_id`,
    CAST(`user_id` AS STRING) AS key_string
  FROM `my-project.ml.events`
),
hashed AS (
  SELECT *, FARM_FINGERPRINT(key_string) AS fingerprint
  FROM keyed
)
SELECT
  *,
  ABS(MOD(fingerprint, 700)) AS bucket,
  CASE
    WHEN ABS(MOD(fingerprint, 700)) < 10
    THEN CASE
    WHEN ABS(MOD(fingerprint, 700)) < 8 THEN 'train'
    WHEN ABS(MOD(fingerprint, 700)) < 9 THEN 'valid'
    ELSE 'test'
  END
  END AS `split`
FROM hashed
