"""Target 5 of issue 8: split of 10M rows to Parquet through the library, and the share spent hashing.

Source: a Parquet file of ROWS events (user_id BIGINT over ROWS/5 users, day DATE, label, two
features). The split is what ``bqml-tools split events.parquet --key user_id --output out.parquet``
does: ``split_report`` (the profile query: one scan, hashes every key) then ``DuckDBEngine.export``
(the split query: a second scan, hashes every key again, COPY to Parquet). Median of RUNS runs of
each of:
  - farm_fingerprint with the numba backend / with pyfarmhash (the fallback)
  - the same queries with farm_fingerprint replaced by a DuckDB macro over native hash():
    the time without FarmHash; (t_farm - t_native) / t_farm is the share of time spent hashing
at DuckDB's default thread count and at threads=1; then the whole CLI process once (default
settings). Prints, never asserts.

Usage:  python benchmarks/bench_split.py [ROWS] [RUNS]     (default 10,000,000 rows, 3 runs)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import figure, header, median_seconds  # noqa: E402

from bqml_tools import DuckDBEngine, SplitSpec, split_query, split_report  # noqa: E402
from bqml_tools.fingerprint import register_duckdb  # noqa: E402

# Stand-in with the same signature and a well-spread BIGINT: DuckDB's hash() is UBIGINT.
NATIVE_MACRO = "CREATE MACRO farm_fingerprint(x) AS CAST(hash(x) >> 1 AS BIGINT)"


def make_source(path: str, rows: int) -> None:
    duckdb.sql(f"""
        COPY (SELECT (hash(range) % {max(rows // 5, 1)})::BIGINT AS user_id,
                     DATE '2024-01-01' + CAST(range % 365 AS INTEGER) AS day,
                     (range % 10 = 0)::INTEGER AS label,
                     random() AS f1, (range % 1000) / 7.0 AS f2
              FROM range({rows}))
        TO '{path}' (FORMAT PARQUET)""")


def engine_for(hashing: str, threads: int | None) -> DuckDBEngine:
    con = duckdb.connect(config={} if threads is None else {"threads": threads})
    if hashing == "native hash()":
        con.execute(NATIVE_MACRO)
    else:
        register_duckdb(con, backend=hashing)
    return DuckDBEngine(con)


def split_to_parquet(engine: DuckDBEngine, source: str, out: str) -> None:
    spec = SplitSpec(key=["user_id"])
    split_report(engine, source, spec)
    engine.export(split_query(source, spec, "duckdb", engine=engine, inline=False), out, replace=True)


def library(source: str, tmp: str, rows: int, runs: int, threads: int | None, label: str) -> None:
    times = {}
    for hashing in ("numba", "native hash()", "pyfarmhash"):
        engine = engine_for(hashing, threads)
        out = os.path.join(tmp, "out.parquet")
        split_to_parquet(engine, source, out)  # warm-up: numba's cache, the OS page cache
        seconds, _ = median_seconds(lambda: split_to_parquet(engine, source, out),
                                    1 if hashing == "pyfarmhash" else runs)
        times[hashing] = seconds
        engine.connection.close()
        figure(f"{label} split to Parquet, farm_fingerprint -> {hashing}", rows / seconds / 1e6, "M rows/s",
               f"{seconds:.2f} s" + (", 1 run" if hashing == "pyfarmhash" else ""))
    for backend in ("numba", "pyfarmhash"):
        share = (times[backend] - times["native hash()"]) / times[backend]
        figure(f"{label} share of split time hashing, {backend}", 100 * share, "%",
               "(t - t with native hash()) / t; 2 hashes per row: profile + split")


def whole_cli(source: str, tmp: str, rows: int) -> None:
    cli = str(Path(sys.executable).with_name("bqml-tools"))
    out = os.path.join(tmp, "cli.parquet")
    for backend in ("auto", "pyfarmhash"):
        start = time.perf_counter()
        subprocess.run([cli, "split", source, "--key", "user_id", "--output", out, "--replace"], check=True,
                       capture_output=True, env=dict(os.environ, BQML_TOOLS_FINGERPRINT=backend))
        seconds = time.perf_counter() - start
        figure(f"CLI split --output, whole process, {backend} backend", rows / seconds / 1e6, "M rows/s",
               f"{seconds:.2f} s, 1 run")


def main(rows: int, runs: int) -> None:
    header(f"split of {rows:,} rows to Parquet, median of {runs} runs",
           f"python benchmarks/bench_split.py {rows} {runs}")
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "events.parquet")
        make_source(source, rows)
        default_threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
        library(source, tmp, rows, runs, None, f"threads={default_threads} (DuckDB default)")
        library(source, tmp, rows, runs, 1, "threads=1")
        whole_cli(source, tmp, rows)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
