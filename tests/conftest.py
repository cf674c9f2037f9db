from __future__ import annotations

import json
import os
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


ENGINES = [pytest.param("duckdb", marks=pytest.mark.duckdb), pytest.param("emulator", marks=pytest.mark.emulator),
           pytest.param("googlesql", marks=pytest.mark.googlesql)]


def _unavailable(what: str, error: Exception) -> None:
    """Under CI (CI=true) a reference engine that cannot be provisioned or started fails the run;
    elsewhere its tests are skipped with a one-line reason."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} unavailable under CI: {error}", pytrace=False)
    pytest.skip(f"{what} unavailable: {error}")


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory):
    """The emulator, started once per session and stopped by pid at the end.

    Under CI (CI=true) an emulator that cannot be provisioned or started fails the run;
    elsewhere the emulator tests are skipped with a one-line reason.
    """
    import emulator

    try:
        running = emulator.start(tmp_path_factory.mktemp("bqemulator"))
    except emulator.EmulatorUnavailable as error:
        _unavailable("BigQuery emulator", error)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def googlesql_reference():
    """GoogleSQL's reference implementation (PyPI's zetasql), started once per session: compiled on the
    first run, from wasmtime's compile cache (.cache/wasmtime, or $BQML_TOOLS_WASMTIME_CACHE) after."""
    import googlesql

    try:
        return googlesql.start()
    except googlesql.ReferenceUnavailable as error:
        _unavailable("GoogleSQL reference (zetasql)", error)


def emulator_engine(endpoint: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    from bqml_tools.bigquery import BigQueryEngine
    import emulator

    client = bigquery.Client(project=emulator.PROJECT, credentials=AnonymousCredentials(),
                             client_options={"api_endpoint": endpoint})
    # short timeouts: the client would otherwise retry a failing call for minutes
    return BigQueryEngine(client, timeout=120, retry_deadline=20, use_storage_api=False)


@pytest.fixture(params=ENGINES)
def engine(request):
    """One fixture for every engine: the same test, the same expected result."""
    if request.param == "duckdb":
        return DuckDBEngine()
    if request.param == "emulator":
        return emulator_engine(request.getfixturevalue("bigquery_emulator").endpoint)
    if request.param == "googlesql":
        import googlesql

        return googlesql.GoogleSQLEngine(request.getfixturevalue("googlesql_reference"))
    raise AssertionError(request.param)


def known_gap(request, engine_name: str, reason: str) -> None:
    """Mark this test as expected to fail on one engine, saying why (the SQL is right)."""
    if request.node.callspec.params.get("engine") == engine_name:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


@pytest.fixture
def duck():
    return DuckDBEngine()
