-- bqml_tools split of my-project.ml.events: train 80%, valid 10%, test 10%
-- key: user_id (INT64), day (DATE), ts (TIMESTAMP), raw (BYTES), amount (NUMERIC), naive (DATETIME); salted
-- bucket = ABS(MOD(FARM_FINGERPRINT(key string), 10)): train = buckets 0-7, valid = bucket 8, test = bucket 9
-- NULL keys: the query fails (ERROR) rather than drop or misplace them

WITH keyed AS (
  SELECT
    `user_id`,
    `day`,
    `ts`,
    `raw`,
    `amount`,
    `naive`,
    '5:exp\'7' || CAST(LENGTH(CAST(`user_id` AS STRING)) AS STRING) || ':' || CAST(`user_id` AS STRING) || CAST(LENGTH(CAST(`day` AS STRING)) AS STRING) || ':' || CAST(`day` AS STRING) || CAST(LENGTH(FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', `ts`, 'UTC')) AS STRING) || ':' || FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', `ts`, 'UTC') || CAST(LENGTH(TO_HEX(`raw`)) AS STRING) || ':' || TO_HEX(`raw`) || CAST(LENGTH(CAST(`amount` AS STRING)) AS STRING) || ':' || CAST(`amount` AS STRING) || CAST(LENGTH(FORMAT_DATETIME('%Y-%m-%dT%H:%M:%E6S', `naive`)) AS STRING) || ':' || FORMAT_DATETIME('%Y-%m-%dT%H:%M:%E6S', `naive`) AS key_string
  FROM `my-project.ml.events`
),
hashed AS (
  SELECT *, FARM_FINGERPRINT(key_string) AS fingerprint
  FROM keyed
)
SELECT
  *,
  ABS(MOD(fingerprint, 10)) AS bucket,
  CASE
    WHEN ABS(MOD(fingerprint, 10)) < 10
    THEN CASE
    WHEN ABS(MOD(fingerprint, 10)) < 8 THEN 'train'
    WHEN ABS(MOD(fingerprint, 10)) < 9 THEN 'valid'
    ELSE 'test'
  END
  END AS `split`
FROM hashed
