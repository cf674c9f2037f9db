"""The one closeness rule of the metric tests: relative 1e-9 (absolute 1e-12 near zero); NULL/NaN equals NULL."""
from __future__ import annotations

import math

import pandas as pd
import pytest

REL = 1e-9


def close(got, want, rel: float = REL) -> bool:
    """``got`` (a metric from SQL) equals ``want`` (the oracle's) to ``rel``; a missing ``want`` wants NULL."""
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None or pd.isna(got)
    return got == pytest.approx(want, rel=rel, abs=1e-12)
