"""bqml_tools: BigQuery-native sampling, splitting and evaluation."""
