"""Throughput of farm_fingerprint on DuckDB, side by side with DuckDB's native hash().

Prints figures; asserts nothing (machines here are shared and noisy). Usage:
    python benchmarks/bench_fingerprint.py [ROWS]
"""
from __future__ import annotations

import sys
import time

from bqml_tools import SplitSpec, connect_duckdb, split_query


def best_of(con, sql: str, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - start)
    return min(times)


def main(rows: int) -> None:
    con = connect_duckdb()
    con.execute(f"CREATE TABLE t AS SELECT range AS id, 'user-' || range AS k FROM range({rows})")
    native = best_of(con, "SELECT sum(hash(k) % 7) FROM t")
    farm = best_of(con, "SELECT sum(farm_fingerprint(k) % 7) FROM t")
    print(f"rows: {rows:,}")
    print(f"native hash():        {native:.3f} s  ({rows / native / 1e6:.1f} M rows/s)")
    print(f"farm_fingerprint():   {farm:.3f} s  ({rows / farm / 1e6:.1f} M rows/s)")
    print(f"ratio farm/native:    {farm / native:.1f}x")
    spec = SplitSpec(key=["id"], sample="1/10")
    con.execute("CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT * FROM t")
    query = split_query("ds.t", spec, "duckdb")
    split_time = best_of(con, f"SELECT split, count(*) FROM ({query.sql}) GROUP BY split")
    print(f"split query (1/10 sample, 80/10/10): {split_time:.3f} s  ({rows / split_time / 1e6:.1f} M rows/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000)
