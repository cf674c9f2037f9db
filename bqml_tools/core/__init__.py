"""The lowest layer above ``errors``: bucket plans, key canonical text, identifiers and sources, and
BigQuery's FARM_FINGERPRINT. Nothing here renders SQL or talks to an engine."""
