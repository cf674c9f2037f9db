"""Target 1 of issue 8: farm_fingerprint throughput on DuckDB beside a do-nothing Arrow UDF and hash().

Over the same keys like 'user_123456' (in a DuckDB table), median of RUNS runs of
``SELECT sum(<expr> % 7) FROM t`` for:
  - farm_fingerprint, numba backend and pyfarmhash backend (bqml_tools.fingerprint)
  - noop: an Arrow UDF that returns a zero-filled int64 array of the input's length, touching
    nothing (the floor of any Arrow UDF: DuckDB -> Arrow -> Python -> Arrow -> DuckDB per 2048 rows)
  - DuckDB's native hash()
at DuckDB's default thread count and at threads=1, with the ratios the issue's targets name
(farm_fingerprint/noop >= 0.8, floor 0.6; farm_fingerprint/hash() >= 1/3). Prints, never asserts.
Also: cold (empty numba cache) and warm start of a small CLI split, whole process.

Usage:  python benchmarks/bench_fingerprint.py [ROWS] [RUNS]     (default 3,000,000 rows, 5 runs)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import figure, header, median_seconds  # noqa: E402

from bqml_tools.fingerprint import register_duckdb  # noqa: E402

try:
    from duckdb import sqltypes
except ImportError:  # DuckDB < 1.4
    from duckdb import typing as sqltypes


def noop(values: pa.Array) -> pa.Array:
    return pa.array(np.zeros(len(values), dtype=np.int64))


def connection(rows: int, threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={} if threads is None else {"threads": threads})
    con.execute(f"CREATE TABLE t AS SELECT 'user_' || (100000 + range) AS k FROM range({rows})")
    con.create_function("noop", noop, None, sqltypes.BIGINT, type="arrow", null_handling="special")
    return con


def throughput(rows: int, runs: int, threads: int | None) -> dict[str, float]:
    rates = {}
    for backend in ("numba", "pyfarmhash"):
        con = connection(rows, threads)
        register_duckdb(con, backend=backend)
        cases = {f"farm_fingerprint[{backend}]": "farm_fingerprint(k)"}
        if backend == "numba":
            cases.update({"noop Arrow UDF": "noop(k)", "native hash()": "hash(k)"})
        for name, expr in cases.items():
            sql = f"SELECT sum({expr} % 7) FROM t"
            con.execute(sql).fetchall()  # warm-up: loads numba's cache, fills DuckDB's buffers
            seconds, _ = median_seconds(lambda: con.execute(sql).fetchall(), runs)
            rates[name] = rows / seconds
        con.close()
    return rates


def report(rates: dict[str, float], label: str) -> None:
    for name, rate in rates.items():
        figure(f"{label} {name}", rate / 1e6, "M rows/s")
    numba, noop_rate, native = rates["farm_fingerprint[numba]"], rates["noop Arrow UDF"], rates["native hash()"]
    figure(f"{label} ratio farm_fingerprint[numba] / noop UDF", numba / noop_rate, "x", "target >= 0.8, floor 0.6")
    figure(f"{label} ratio farm_fingerprint[numba] / native hash()", numba / native, "x", "target >= 0.33")
    figure(f"{label} ratio farm_fingerprint[pyfarmhash] / noop UDF", rates["farm_fingerprint[pyfarmhash]"] / noop_rate,
           "x", "the fallback, for comparison")


def cli_start(runs: int) -> None:
    """Whole-process time of a small CLI split (10,000 rows), numba cache empty then warm."""
    cli = str(Path(sys.executable).with_name("bqml-tools"))
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "small.parquet")
        duckdb.sql(f"COPY (SELECT range AS user_id, range % 2 AS label FROM range(10000)) TO '{source}'")
        command = [cli, "split", source, "--key", "user_id"]
        for backend in ("numba", "auto"):
            env = dict(os.environ, BQML_TOOLS_FINGERPRINT=backend, NUMBA_CACHE_DIR=os.path.join(tmp, f"cache-{backend}"))
            timings = []
            for _ in range(runs + 1):
                start = time.perf_counter()
                subprocess.run(command, env=env, check=True, capture_output=True)
                timings.append(time.perf_counter() - start)
            cold, warm = timings[0], sorted(timings[1:])[len(timings[1:]) // 2]
            if backend == "numba":
                figure("CLI split 10k rows, numba backend, cold (empty numba cache)", cold, "s", "compiles the kernel")
                figure("CLI split 10k rows, numba backend, warm", warm, "s", "loads the cached kernel")
            else:
                figure("CLI split 10k rows, auto backend (default)", warm, "s",
                       "pyfarmhash below 1M rows: numba not imported")
        start = time.perf_counter()
        subprocess.run([cli, "--help"], check=True, capture_output=True)
        figure("CLI --help", time.perf_counter() - start, "s")


def main(rows: int, runs: int) -> None:
    header(f"farm_fingerprint throughput, {rows:,} keys like 'user_123456', median of {runs} runs",
           f"python benchmarks/bench_fingerprint.py {rows} {runs}")
    default_threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    report(throughput(rows, runs, None), f"threads={default_threads} (DuckDB default)")
    report(throughput(rows, runs, 1), "threads=1")
    cli_start(runs=3)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
