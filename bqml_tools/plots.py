"""``bqml_tools.plots``: matplotlib figures of results, which live in ``bqml_tools.present.plots``. This
name is that same module (not a copy), so its attributes and patches of them are shared."""
from __future__ import annotations

import sys

from .present import plots as _plots

sys.modules[__name__] = _plots
