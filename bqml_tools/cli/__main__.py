"""``python -m bqml_tools.cli``: the same as the ``bqml-tools`` command."""
from __future__ import annotations

from . import main

main()
