"""``bqml-tools demo``: the main job end to end on embedded DuckDB, with nothing to set up."""
from __future__ import annotations

from typing import Callable

from . import splitting
from .engines import DuckDBEngine
from .identifiers import source
from .output import format_frame
from .templates import render

DEMO_TABLE = "ml.events"
BIGQUERY_TABLE = "my-project.ml.events"


def make_events(engine: DuckDBEngine, rows: int, seed: float = 0.42) -> None:
    """A deterministic ``ml.events`` table: ~10 events per user, a 0/1 label, two features."""
    con = engine.connection
    con.execute("CREATE SCHEMA IF NOT EXISTS ml")
    con.execute("SELECT setseed(?)", [seed])
    con.execute(
        """
        CREATE OR REPLACE TABLE ml.events AS
        SELECT
          CAST(i // 10 AS BIGINT) AS user_id,
          DATE '2024-01-01' + CAST(i % 365 AS INTEGER) AS day,
          round(random() * 100, 2) AS amount,
          CAST(random() < 0.1 AS INTEGER) AS label
        FROM range(?) AS t(i)
        """,
        [rows],
    )


def run_demo(rows: int = 200_000, echo: Callable[[str], None] = print, save: str | None = None) -> None:
    engine = DuckDBEngine()
    make_events(engine, rows)
    if save is not None:
        engine.export(render("select_all.sql", "duckdb", src=source(DEMO_TABLE)), save)
    spec = splitting.SplitSpec(key=["user_id"], fractions="train=0.8,valid=0.1,test=0.1",
                               sample="1/10", key_types={"user_id": "INT64"})
    echo(f"# {rows:,} events of {rows // 10:,} users in DuckDB table {DEMO_TABLE}.")
    echo(f"# The BigQuery split of a 1/10 sample, 80/10/10 by user, for {BIGQUERY_TABLE}:\n")
    echo(splitting.split_query(BIGQUERY_TABLE, spec, "bigquery").sql)
    echo("# The same split run on DuckDB (identical fingerprints, identical rows):\n")
    report = splitting.split_report(engine, DEMO_TABLE, spec)
    echo(format_frame(report.table, "table"))
    for warning in report.warnings:
        echo(f"warning: {warning}")
    for line in pitfall_lines(engine, spec):
        echo(line)


def pitfall_lines(engine: DuckDBEngine, spec: splitting.SplitSpec) -> list[str]:
    """The correlated-MOD pitfall and bqml_tools' fix, with numbers from the demo table (per user)."""
    plan = spec.plan
    n, rate = plan.buckets, plan.sample
    textbook = rate.denominator if rate.numerator == 1 else n
    naive = engine.connection.execute(
        f"""
        WITH users AS (SELECT DISTINCT user_id FROM ml.events),
        h AS (SELECT farm_fingerprint(CAST(user_id AS VARCHAR)) AS h FROM users)
        SELECT
          count(*) FILTER (WHERE abs(h % {textbook}) = 0) AS sampled,
          count(*) FILTER (WHERE abs(h % {textbook}) = 0 AND abs(h % {n}) < {plan.upper[0]}) AS first
        FROM h
        """
    ).fetchone()
    sampled = splitting.split(engine, DEMO_TABLE, spec)[["user_id", "split"]].drop_duplicates()
    full = dict(splitting.split(engine, DEMO_TABLE, splitting.SplitSpec(
        key=spec.key, fractions=spec.fractions, key_types=spec.key_types))[["user_id", "split"]]
        .drop_duplicates().itertuples(index=False, name=None))
    moved = sum(full[u] != s for u, s in sampled.itertuples(index=False, name=None))
    shares = sampled["split"].value_counts(normalize=True)
    first = plan.names[0]
    return [
        "",
        f"# The pitfall: sample with MOD(h, {textbook}) = 0, then split with MOD(h, {n}) < {plan.upper[0]} "
        f"for {first}. Both read",
        f"# the same remainder of h, so {naive[1]:,} of {naive[0]:,} sampled users "
        f"({naive[1] / max(naive[0], 1):.0%}) land in {first} and none in the other splits.",
        f"# bqml_tools splits on ABS(MOD(h, {n})) and samples on another part of h, "
        f"ABS(MOD(DIV(h, {n}), {plan.slots})) < {plan.threshold}:",
        "# of the " + f"{len(sampled):,} sampled users, "
        + ", ".join(f"{shares.get(name, 0):.1%} {name}" for name in plan.names)
        + f"; {moved} of them have a split other than their unsampled one.",
    ]
