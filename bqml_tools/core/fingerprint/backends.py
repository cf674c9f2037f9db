"""Which ``farm_fingerprint`` backend hashes on DuckDB: the argument, the environment, or ``auto``.

Shared by the package (``register_duckdb``) and the Arrow UDF, without importing either.
"""
from __future__ import annotations

import os

from ...errors import EngineUnavailable

BACKEND_ENV = "BQML_TOOLS_FINGERPRINT"
BACKENDS = ("auto", "numba", "pyfarmhash")


def resolve_backend(backend: str | None = None) -> str:
    """The backend to use: the argument, else ``$BQML_TOOLS_FINGERPRINT``, else ``auto``."""
    chosen = backend if backend is not None else os.environ.get(BACKEND_ENV, "").strip().lower() or "auto"
    if chosen not in BACKENDS:
        source = "backend" if backend is not None else BACKEND_ENV
        raise EngineUnavailable(f"{source}={chosen!r} is not a farm_fingerprint backend: use one of "
                                f"{', '.join(BACKENDS)} (or leave {BACKEND_ENV} unset for auto)")
    return chosen
