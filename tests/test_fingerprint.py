"""FARM_FINGERPRINT on DuckDB against BigQuery's published values and against pyfarmhash.

Every DuckDB test runs on both backends of the UDF (``backend`` fixture: the numba kernel and
pyfarmhash, chosen through ``BQML_TOOLS_FINGERPRINT`` as a user would).
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap

import farmhash
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bqml_tools import connect_duckdb, farm_fingerprint
from bqml_tools.core.fingerprint import arrow as fa
from bqml_tools.core import fingerprint as fp
from bqml_tools.errors import EngineUnavailable
from conftest import SHARED_GOLDEN, VENDORED_GOLDEN, golden_bytes, golden_vectors
from oracle import fingerprint as oracle_fingerprint

GOLDEN = golden_vectors()
BACKENDS = ["numba", "pyfarmhash"]


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """The UDF backend under test, selected the way a user selects it."""
    if request.param == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv(fp.BACKEND_ENV, request.param)
    return request.param


def signed(unsigned: int) -> int:
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def utf8_text_of_length(rng: random.Random, n: int) -> str:
    """Random text whose UTF-8 encoding is exactly ``n`` bytes, mixing 1- to 4-byte characters."""
    chars, size = [], 0
    while size < n:
        char = rng.choice("a9 é✓日😀" if n - size >= 4 else "a9 é" if n - size >= 2 else "a9")
        if size + len(char.encode()) <= n:
            chars.append(char)
            size += len(char.encode())
    return "".join(chars)


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


def test_duckdb_matches_bigquery_on_golden_vectors(backend):
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


def test_duckdb_matches_pyfarmhash_for_every_length_0_to_300(backend):
    """Every code path: 0-3, 4-7, 8-16, 17-32, 33-64, 65+ bytes and each multiple of 64."""
    rng = random.Random(7)
    byte_inputs = [bytes(rng.randrange(256) for _ in range(n)) for n in range(301) for _ in range(3)]
    ascii_inputs = ["".join(rng.choice("abcdefghij0123456789") for _ in range(n)) for n in range(301)]
    utf8_inputs = [utf8_text_of_length(rng, n) for n in range(301) for _ in range(2)]
    assert [len(t.encode()) for t in utf8_inputs[::2]] == list(range(301))
    assert sum(len(t) < len(t.encode()) for t in utf8_inputs) > 250  # mostly multi-byte text
    con = connect_duckdb()
    con.execute("CREATE TABLE r (b BLOB, s VARCHAR)")
    con.executemany("INSERT INTO r VALUES (?, NULL)", [[b] for b in byte_inputs])
    con.executemany("INSERT INTO r VALUES (NULL, ?)", [[s] for s in ascii_inputs + utf8_inputs])
    got = con.execute(
        "SELECT b, s, coalesce(farm_fingerprint(b), farm_fingerprint(s)) FROM r"
    ).fetchall()
    assert len(got) == len(byte_inputs) + len(ascii_inputs) + len(utf8_inputs)
    for b, s, value in got:
        data = b if b is not None else s.encode()
        assert value == signed(farmhash.fingerprint64(data)), len(data)
        assert value == oracle_fingerprint(data)


def test_duckdb_hashes_unicode_text_as_utf8(backend):
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


def test_null_in_null_out(backend):
    con = connect_duckdb()
    assert con.execute("SELECT farm_fingerprint(NULL::VARCHAR), farm_fingerprint(NULL::BLOB)").fetchone() == (None, None)
    assert farm_fingerprint(None) is None


def test_result_is_signed_bigint(backend):
    con = connect_duckdb()
    kind, value = con.execute("SELECT typeof(farm_fingerprint('1footrue')), farm_fingerprint('1footrue')").fetchone()
    assert kind == "BIGINT"
    assert value == -1541654101129638711


def test_non_text_argument_is_refused_with_a_hint(backend):
    con = connect_duckdb()
    with pytest.raises(Exception, match="CAST"):
        con.execute("SELECT farm_fingerprint(42)").fetchall()


def test_large_column_is_hashed_in_vectors(backend):
    con = connect_duckdb()
    n, distinct = con.execute(
        "SELECT count(*), count(DISTINCT farm_fingerprint(CAST(i AS VARCHAR))) FROM range(50000) t(i)"
    ).fetchone()
    assert n == distinct == 50000


# --- the Arrow UDF body, called directly: every string/binary layout DuckDB or a user may hand it

ARROW_TYPES = [pa.string(), pa.large_string(), pa.binary(), pa.large_binary()] + [
    getattr(pa, name)() for name in ("string_view", "binary_view") if hasattr(pa, name)
]


def expected_fingerprints(values: list) -> list:
    return [None if v is None else signed(farmhash.fingerprint64(v)) for v in values]


def _values_strategy():
    texts = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=150)
    return st.lists(st.one_of(st.none(), texts.map(str.encode), st.binary(max_size=300)), max_size=60)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("kind", ARROW_TYPES, ids=str)
@settings(max_examples=40, deadline=None)
@given(values=_values_strategy(), data=st.data())
def test_arrow_udf_matches_pyfarmhash_on_slices_chunks_and_nulls(backend_name, kind, values, data):
    """Any layout: nulls, a slice at any offset, several chunks (some empty), every type."""
    if backend_name == "numba":
        pytest.importorskip("numba")
    is_text = "string" in str(kind)
    if is_text:
        values = [v if v is None or _is_utf8(v) else v.decode("latin-1").encode() for v in values]
    array = pa.array([v.decode() if is_text and v is not None else v for v in values], type=kind)
    start = data.draw(st.integers(0, len(values)))
    stop = data.draw(st.integers(start, len(values)))
    sliced = array.slice(start, stop - start)
    got = fp.arrow_farm_fingerprint(sliced, backend=backend_name)
    assert got.type == pa.int64()
    assert got.to_pylist() == expected_fingerprints(values[start:stop])
    cut = data.draw(st.integers(start, stop))
    chunked = pa.chunked_array([array.slice(start, cut - start), array.slice(cut, 0), array.slice(cut, stop - cut)],
                               type=kind)
    assert fp.arrow_farm_fingerprint(chunked, backend=backend_name).to_pylist() == expected_fingerprints(
        values[start:stop])


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("kind", ARROW_TYPES, ids=str)
def test_arrow_udf_edge_arrays(backend_name, kind):
    if backend_name == "numba":
        pytest.importorskip("numba")
    is_text = "string" in str(kind)
    cases = [[], [None], [None, None, None], [b""] * 5, [b"", None, b""], [b"x" * 65] * 3]
    for values in cases:
        array = pa.array([v.decode() if is_text and v is not None else v for v in values], type=kind)
        assert fp.arrow_farm_fingerprint(array, backend=backend_name).to_pylist() == expected_fingerprints(values)
    assert fp.arrow_farm_fingerprint(pa.chunked_array([], type=kind), backend=backend_name).to_pylist() == []


def test_numba_kernel_never_reads_outside_the_data():
    """pyarrow validates arrays it builds; the kernel still checks each value's offsets itself."""
    pytest.importorskip("numba")
    kernel = fa.numba_kernel(required=True)
    data = np.frombuffer(b"abcdef", dtype=np.uint8)
    out = np.empty(2, dtype=np.uint64)
    for dtype in (np.int32, np.int64):
        assert kernel(np.array([0, 3, 6], dtype=dtype), data, out)
        assert out.tolist() == [farmhash.fingerprint64(b"abc"), farmhash.fingerprint64(b"def")]
        for bad in ([0, 3, 400], [0, 4, 3], [-1, 2, 3]):
            assert not kernel(np.array(bad, dtype=dtype), data, out), bad


def test_non_text_arrow_array_is_refused():
    for backend_name in BACKENDS:
        with pytest.raises(TypeError, match="CAST"):
            fp.arrow_farm_fingerprint(pa.array([1, 2]), backend=backend_name)


# --- choosing the backend

def test_unknown_backend_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv(fp.BACKEND_ENV, "fast")
    with pytest.raises(EngineUnavailable, match="BQML_TOOLS_FINGERPRINT='fast'.*auto, numba, pyfarmhash"):
        connect_duckdb()
    with pytest.raises(EngineUnavailable, match="backend='c'"):
        fp.resolve_backend("c")


def run_python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter (fresh module state) and return what it printed."""
    environ = {k: v for k, v in os.environ.items() if k != fp.BACKEND_ENV} | env
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=environ, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_auto_backend_loads_numba_only_once_it_pays_off():
    """Small runs and --help never import numba; past AUTO_NUMBA_AFTER_ROWS rows the kernel takes over."""
    pytest.importorskip("numba")
    out = run_python("""
        import sys
        from bqml_tools import cli, connect_duckdb
        from bqml_tools.core import fingerprint
        print(any(m in sys.modules for m in ("numba", "bqml_tools.core.fingerprint.arrow")))
        con = connect_duckdb()
        small = con.execute("SELECT sum(farm_fingerprint(CAST(i AS VARCHAR)) % 1000) FROM range(5000) t(i)").fetchone()
        print("numba" in sys.modules)
        from bqml_tools.core.fingerprint import arrow as _fingerprint_arrow
        _fingerprint_arrow.AUTO_NUMBA_AFTER_ROWS = 20000
        big = con.execute("SELECT list(farm_fingerprint(CAST(i AS VARCHAR)) ORDER BY i) FROM range(50000) t(i)").fetchone()[0]
        print("numba" in sys.modules, _fingerprint_arrow._kernel is not None)
        print(big == [fingerprint.farm_fingerprint(str(i)) for i in range(50000)])
    """)
    assert out.split() == ["False", "False", "True", "True", "True"]


def test_without_numba_auto_falls_back_and_numba_is_refused_with_the_fix():
    out = run_python("""
        import sys
        sys.modules["numba"] = None  # as if numba were not installed
        from bqml_tools import connect_duckdb
        from bqml_tools.core import fingerprint
        from bqml_tools.core.fingerprint import arrow as _fingerprint_arrow
        from bqml_tools.errors import EngineUnavailable
        _fingerprint_arrow.AUTO_NUMBA_AFTER_ROWS = 0
        print(connect_duckdb().execute("SELECT farm_fingerprint('1footrue')").fetchone()[0])
        try:
            fingerprint.register_duckdb(connect_duckdb(), backend="numba")
        except EngineUnavailable as error:
            print(str(error))
    """)
    value, message = out.splitlines()
    assert int(value) == -1541654101129638711
    assert "pip install numba" in message and "BQML_TOOLS_FINGERPRINT=pyfarmhash" in message


def test_numba_backend_from_the_environment():
    pytest.importorskip("numba")
    out = run_python("""
        import sys
        from bqml_tools import connect_duckdb
        from bqml_tools.core.fingerprint import arrow as _fingerprint_arrow
        con = connect_duckdb()
        print(con.execute("SELECT farm_fingerprint('1footrue')").fetchone()[0], _fingerprint_arrow._kernel is not None)
    """, BQML_TOOLS_FINGERPRINT="numba")
    assert out.split() == ["-1541654101129638711", "True"]


def test_numba_cache_goes_where_the_user_says(tmp_path):
    """BQML_TOOLS_NUMBA_CACHE: the compiled kernel is written there, and a second process loads it."""
    pytest.importorskip("numba")
    code = """
        from bqml_tools import connect_duckdb
        print(connect_duckdb().execute("SELECT farm_fingerprint('1footrue')").fetchone()[0])
    """
    for _ in range(2):
        assert run_python(code, BQML_TOOLS_FINGERPRINT="numba", BQML_TOOLS_NUMBA_CACHE=str(tmp_path)) == \
            "-1541654101129638711"
    assert list(tmp_path.rglob("*fingerprint_offsets*.nbi")), list(tmp_path.rglob("*"))


@pytest.mark.parametrize("setting", ["produce_arrow_string_view", "arrow_large_buffer_size"])
def test_duckdb_settings_that_change_the_arrow_layout(backend, setting):
    """DuckDB can hand the UDF string views or large (64-bit offset) strings instead of strings."""
    con = connect_duckdb()
    try:
        con.execute(f"SET {setting} = true")
    except Exception as error:  # noqa: BLE001 - an older DuckDB without the setting
        pytest.skip(f"DuckDB has no {setting}: {error}")
    texts = [None if i % 7 == 0 else "é" * (i % 40) + str(i) for i in range(5000)]
    got = con.execute("SELECT list(farm_fingerprint(s) ORDER BY i), list(farm_fingerprint(encode(s)) ORDER BY i) "
                      "FROM (SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE repeat('é', i % 40) || i END AS s "
                      "FROM range(5000) t(i))").fetchone()
    want = [None if t is None else oracle_fingerprint(t.encode()) for t in texts]
    assert got[0] == want
    assert got[1] == want
