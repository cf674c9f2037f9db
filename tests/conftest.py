from __future__ import annotations

import json
from pathlib import Path

import pytest

from bqml_tools.engines import DuckDBEngine

ROOT = Path(__file__).resolve().parents[1]
VENDORED_GOLDEN = ROOT / "tests" / "data" / "farm_fingerprint_bigquery.json"
SHARED_GOLDEN = ROOT.parent / "shared" / "golden" / "farm_fingerprint_bigquery.json"


def golden_vectors() -> list[dict]:
    return json.loads(VENDORED_GOLDEN.read_text())


def golden_bytes(vector: dict) -> bytes:
    if vector["input_kind"] == "bytes_hex":
        return bytes.fromhex(vector["input"])
    return vector["input"].encode("utf-8")


ENGINES = [pytest.param("duckdb", marks=pytest.mark.duckdb)]


@pytest.fixture(params=ENGINES)
def engine(request):
    """One fixture for every engine: the same test, the same expected result."""
    if request.param == "duckdb":
        return DuckDBEngine()
    raise AssertionError(request.param)


@pytest.fixture
def duck():
    return DuckDBEngine()
