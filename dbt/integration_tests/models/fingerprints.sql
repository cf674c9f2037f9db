-- farm_fingerprint as the bqml_tools.dbt_duckdb plugin registers it, on inputs whose BigQuery values are published
select input, farm_fingerprint(input) as fingerprint from {{ ref('golden_fingerprints') }}
