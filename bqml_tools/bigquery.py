"""``from bqml_tools.bigquery import BigQueryEngine``: the BigQuery engine, which lives in
``bqml_tools.engines.bigquery``. This name is that same module (not a copy), so its attributes and
patches of them are shared."""
from __future__ import annotations

import sys

from .engines import bigquery as _engine

sys.modules[__name__] = _engine
