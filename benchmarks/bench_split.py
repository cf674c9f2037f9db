"""Target 5 of issue 8: split of 10M rows to Parquet through the library, and the share spent hashing.

Source: a Parquet file of ROWS events (user_id BIGINT over ROWS/5 users, day DATE, label, two
features). The split is what ``bqml-tools split events.parquet --key user_id --output out.parquet``
does: ``split_report`` (the profile query: one scan, hashes each distinct key once) then
``DuckDBEngine.export`` (the split query: a second scan, hashes every row's key, COPY to Parquet).
Median of RUNS runs of each of (interleaved round by round):
  - farm_fingerprint with the numba backend / with pyfarmhash (the fallback)
  - the same queries with farm_fingerprint replaced by a DuckDB macro over native hash():
    the time without FarmHash; (t_farm - t_native) / t_farm is the share of time spent hashing
at DuckDB's default thread count and at threads=1; then the whole CLI process once (default
settings). Prints, never asserts.

Usage:  python benchmarks/bench_split.py [ROWS] [RUNS]     (default 10,000,000 rows, 3 runs)
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import figure, header  # noqa: E402

from bqml_tools import DuckDBEngine, SplitSpec, split_query, split_report  # noqa: E402
from bqml_tools.core.fingerprint import register_duckdb  # noqa: E402

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


def split_to_parquet(engine: DuckDBEngine, source: str, out: str) -> tuple[float, float]:
    """What ``bqml-tools split SOURCE --key user_id --output OUT`` runs; seconds of each of its two queries."""
    spec = SplitSpec(key=["user_id"])
    start = time.perf_counter()
    split_report(engine, source, spec)
    middle = time.perf_counter()
    engine.export(split_query(source, spec, "duckdb", engine=engine, inline=False), out, replace=True)
    return middle - start, time.perf_counter() - middle


def library(source: str, tmp: str, rows: int, runs: int, threads: int | None, label: str) -> None:
    """Each round runs every variant once (interleaved, so a neighbour's load hits them alike);
    pyfarmhash, ~3x slower, runs in the first round only."""
    variants = ("numba", "native hash()", "pyfarmhash")
    engines = {hashing: engine_for(hashing, threads) for hashing in variants}
    out = os.path.join(tmp, "out.parquet")
    for engine in engines.values():
        split_to_parquet(engine, source, out)  # warm-up: numba's cache, the OS page cache
    phases: dict[str, list[tuple[float, float]]] = {hashing: [] for hashing in variants}
    for round_ in range(runs):
        for hashing, engine in engines.items():
            if hashing != "pyfarmhash" or round_ == 0:
                phases[hashing].append(split_to_parquet(engine, source, out))
    for engine in engines.values():
        engine.connection.close()
    totals = {hashing: [a + b for a, b in runs_] for hashing, runs_ in phases.items()}
    for hashing in variants:
        seconds = statistics.median(totals[hashing])
        report, export = (statistics.median(p[i] for p in phases[hashing]) for i in (0, 1))
        figure(f"{label} split to Parquet, farm_fingerprint -> {hashing}", rows / seconds / 1e6, "M rows/s",
               f"{seconds:.2f} s: profile query {report:.2f} s + split query to Parquet {export:.2f} s"
               + (", 1 run" if hashing == "pyfarmhash" else ""))
    native = statistics.median(totals["native hash()"])
    for backend in ("numba", "pyfarmhash"):
        seconds = statistics.median(totals[backend])
        figure(f"{label} share of split time hashing, {backend}", 100 * (seconds - native) / seconds, "%",
               "(t - t with native hash()) / t, medians; hashes: ROWS/5 keys (profile) + ROWS rows (split)")


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
