"""FARM_FINGERPRINT on DuckDB against BigQuery's published values and against pyfarmhash."""
from __future__ import annotations

import json
import random

import farmhash
import pytest

from bqml_tools import connect_duckdb, farm_fingerprint
from conftest import SHARED_GOLDEN, VENDORED_GOLDEN, golden_bytes, golden_vectors
from oracle import fingerprint as oracle_fingerprint

GOLDEN = golden_vectors()


def test_vendored_golden_vectors_match_shared_copy():
    if not SHARED_GOLDEN.exists():
        pytest.skip(f"{SHARED_GOLDEN} not present beside the repository")
    assert json.loads(VENDORED_GOLDEN.read_text()) == json.loads(SHARED_GOLDEN.read_text())


def test_golden_vectors_cover_every_farmhash_path():
    lengths = {len(golden_bytes(v)) for v in GOLDEN}
    assert len(GOLDEN) == 28
    for lo, hi in [(0, 3), (4, 7), (8, 16), (17, 32), (33, 64), (65, 300)]:
        assert any(lo <= n <= hi for n in lengths), (lo, hi)


@pytest.mark.parametrize("vector", GOLDEN, ids=lambda v: f"{v['input_kind']}-{len(golden_bytes(v))}")
def test_python_matches_bigquery(vector):
    assert farm_fingerprint(golden_bytes(vector)) == vector["expected_int64"]
    if vector["input_kind"] == "string":
        assert farm_fingerprint(vector["input"]) == vector["expected_int64"]


def test_duckdb_matches_bigquery_on_golden_vectors():
    con = connect_duckdb()
    con.execute("CREATE TABLE g (i INTEGER, s VARCHAR, b BLOB, expected BIGINT)")
    con.executemany(
        "INSERT INTO g VALUES (?, ?, ?, ?)",
        [
            [i, v["input"] if v["input_kind"] == "string" else None, golden_bytes(v), v["expected_int64"]]
            for i, v in enumerate(GOLDEN)
        ],
    )
    rows = con.execute(
        "SELECT i, farm_fingerprint(s), farm_fingerprint(b), expected FROM g ORDER BY i"
    ).fetchall()
    assert len(rows) == len(GOLDEN)
    for i, from_text, from_bytes, expected in rows:
        assert from_bytes == expected, GOLDEN[i]
        if GOLDEN[i]["input_kind"] == "string":
            assert from_text == expected, GOLDEN[i]


def _random_text(rng: random.Random, length: int) -> str:
    alphabet = "abcXYZ019 _-é✓日\U0001f600"
    return "".join(rng.choice(alphabet) for _ in range(length))


def test_duckdb_matches_pyfarmhash_for_every_length_0_to_300():
    """Every code path: 0-3, 4-7, 8-16, 17-32, 33-64, 65+ bytes and each multiple of 64."""
    rng = random.Random(7)
    byte_inputs = [bytes(rng.randrange(256) for _ in range(n)) for n in range(301) for _ in range(3)]
    ascii_inputs = ["".join(rng.choice("abcdefghij0123456789") for _ in range(n)) for n in range(301)]
    con = connect_duckdb()
    con.execute("CREATE TABLE r (b BLOB, s VARCHAR)")
    con.executemany("INSERT INTO r VALUES (?, NULL)", [[b] for b in byte_inputs])
    con.executemany("INSERT INTO r VALUES (NULL, ?)", [[s] for s in ascii_inputs])
    got = con.execute(
        "SELECT b, s, coalesce(farm_fingerprint(b), farm_fingerprint(s)) FROM r"
    ).fetchall()
    assert len(got) == len(byte_inputs) + len(ascii_inputs)
    for b, s, value in got:
        data = b if b is not None else s.encode()
        unsigned = farmhash.fingerprint64(data)
        assert value == (unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned), len(data)
        assert value == oracle_fingerprint(data)


def test_duckdb_hashes_unicode_text_as_utf8():
    rng = random.Random(11)
    texts = [_random_text(rng, n) for n in range(0, 120)]
    con = connect_duckdb()
    values = con.execute("SELECT farm_fingerprint(s) FROM unnest(?) AS t(s)", [texts]).fetchall()
    assert [v for (v,) in values] == [oracle_fingerprint(t.encode("utf-8")) for t in texts]


def test_fingerprint64_is_not_hash64():
    """Hash64 agrees with Fingerprint64 on short inputs only: the tests above would catch it."""
    assert farmhash.fingerprint64(b"x" * 20) == farmhash.hash64(b"x" * 20)
    for n in (40, 300):
        assert farmhash.fingerprint64(b"x" * n) != farmhash.hash64(b"x" * n)


def test_null_in_null_out():
    con = connect_duckdb()
    assert con.execute("SELECT farm_fingerprint(NULL::VARCHAR), farm_fingerprint(NULL::BLOB)").fetchone() == (None, None)
    assert farm_fingerprint(None) is None


def test_result_is_signed_bigint():
    con = connect_duckdb()
    kind, value = con.execute("SELECT typeof(farm_fingerprint('1footrue')), farm_fingerprint('1footrue')").fetchone()
    assert kind == "BIGINT"
    assert value == -1541654101129638711


def test_non_text_argument_is_refused_with_a_hint():
    con = connect_duckdb()
    with pytest.raises(Exception, match="CAST"):
        con.execute("SELECT farm_fingerprint(42)").fetchall()


def test_large_column_is_hashed_in_vectors():
    con = connect_duckdb()
    n, distinct = con.execute(
        "SELECT count(*), count(DISTINCT farm_fingerprint(CAST(i AS VARCHAR))) FROM range(50000) t(i)"
    ).fetchone()
    assert n == distinct == 50000
