"""Presenting results: text tables, JSON and CSV (``tables``) and matplotlib figures (``plots``)."""
