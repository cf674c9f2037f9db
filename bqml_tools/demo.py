"""``bqml-tools demo``: the main job end to end on embedded DuckDB, with nothing to set up.

The generated ``ml.events`` table is realistic enough to learn from: users (8-digit ids with gaps,
an age and a country, a plan) have about ten events each (a day in 2024, a device, a session
count); ``label`` (converted) follows a logistic model of those features plus a per-user effect,
``amount`` is linear in them plus Gaussian noise of known size (``AMOUNT_NOISE``), ``plan`` follows a
softmax of age and country. Everything is seeded: the same rows on every run.

``predictions`` fits simple models on the train split only (numpy: logistic regressions by
Newton steps, least squares) and scores every row, giving the columns the README's ``evaluate``,
``curve`` and ``diagnose`` examples read.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from .core.identifiers import source
from .engines.duckdb import DuckDBEngine
from .present.tables import format_frame
from .splitting import queries as splitting
from .sql.render import render

DEMO_TABLE = "ml.events"
BIGQUERY_TABLE = "my-project.ml.events"
SEED = 2024
AMOUNT_NOISE = 5.0  # standard deviation of amount around its mean: the best possible rmse
COUNTRIES = ["US", "IN", "DE", "BR", "FR"]
DEVICES = ["mobile", "desktop", "tablet"]
PLANS = ["basic", "plus", "pro"]
ORDER = ["user_id", "day", "device", "sessions", "amount", "label"]  # a total order of the events
SPLIT = splitting.SplitSpec(key=["user_id"], fractions="train=0.8,valid=0.1,test=0.1",
                            key_types={"user_id": "INT64"})


def events_frame(rows: int, seed: int = SEED) -> pd.DataFrame:
    """``rows`` events of about ``rows / 10`` users, with signal in label, amount and plan."""
    rng = np.random.default_rng(seed)
    n_users = max(rows // 10, 1)
    user_ids = 10_000_000 + np.cumsum(rng.integers(1, 50, n_users))
    age = rng.integers(18, 76, n_users)
    country = rng.choice(len(COUNTRIES), n_users, p=[0.4, 0.2, 0.15, 0.15, 0.1])
    affinity = rng.normal(0, 0.6, n_users)  # unobserved: why one user's events are alike
    plan_logits = np.stack([np.zeros(n_users), 0.04 * (age - 40) + 0.5 * (country == 2),
                            0.07 * (age - 40) - 0.6 * (country == 1) - 0.8], axis=1)
    plan = _sample_classes(rng, plan_logits)

    user = np.sort(rng.integers(0, n_users, rows))
    day = rng.integers(0, 366, rows)  # 2024 is a leap year
    device = rng.choice(len(DEVICES), rows, p=[0.6, 0.3, 0.1])
    sessions = rng.poisson(3, rows) + 1
    weekend = (day % 7) >= 5  # 2024-01-01 is a Monday
    country_effect = np.array([0.0, -0.4, 0.3, -0.2, 0.2])[country[user]]
    logit = (-1.8 + 0.5 * (sessions - 4) + 0.04 * (age[user] - 40) + 0.9 * (device == 1)
             + 0.4 * weekend + country_effect + affinity[user])
    label = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    amount = (20 + 4 * sessions + 0.25 * age[user] + 6 * (device == 1) + 5 * (plan[user] == 2)
              + 10 * country_effect + rng.normal(0, AMOUNT_NOISE, rows))
    return pd.DataFrame({
        "user_id": user_ids[user].astype(np.int64),
        "day": pd.to_datetime("2024-01-01") + pd.to_timedelta(day, unit="D"),
        "country": np.array(COUNTRIES)[country[user]],
        "age": age[user].astype(np.int64),
        "plan": np.array(PLANS)[plan[user]],
        "device": np.array(DEVICES)[device],
        "sessions": sessions.astype(np.int64),
        "amount": np.round(amount, 2),
        "label": label,
    }).sort_values(ORDER, kind="stable").reset_index(drop=True)


def _sample_classes(rng: np.random.Generator, logits: np.ndarray) -> np.ndarray:
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    cumulative = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    return (rng.random(len(logits))[:, None] > cumulative[:, :-1]).sum(axis=1)


def make_events(engine: DuckDBEngine, rows: int, seed: int = SEED) -> pd.DataFrame:
    """Create the DuckDB table ``ml.events`` (``day`` a DATE) and return its rows."""
    frame = events_frame(rows, seed)
    con = engine.connection
    con.execute("CREATE SCHEMA IF NOT EXISTS ml")
    con.register("_bqml_demo_events", frame)
    con.execute("CREATE OR REPLACE TABLE ml.events AS SELECT * REPLACE (CAST(day AS DATE) AS day) "
                f"FROM _bqml_demo_events ORDER BY {', '.join(ORDER)}")
    con.unregister("_bqml_demo_events")
    return frame


def features(frame: pd.DataFrame) -> np.ndarray:
    """The models' design matrix: intercept, numeric features, one-hot categories (first level dropped)."""
    day = pd.to_datetime(frame["day"])
    columns = [np.ones(len(frame)), frame["sessions"].to_numpy(float), frame["age"].to_numpy(float) / 10,
               (day.dt.day_of_week >= 5).to_numpy(float)]
    for name, levels in (("device", DEVICES), ("country", COUNTRIES), ("plan", PLANS)):
        values = frame[name].to_numpy()
        columns += [(values == level).astype(float) for level in levels[1:]]
    return np.column_stack(columns)


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 25, ridge: float = 1e-6) -> np.ndarray:
    """Logistic regression coefficients by Newton's method (IRLS), a tiny ridge keeping it solvable."""
    beta = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ beta)))
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, x.T @ (y - p) - ridge * beta)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def fit_least_squares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(x, y, rcond=None)[0] if len(y) else np.zeros(x.shape[1])


def predictions(split_rows: pd.DataFrame, split_column: str = "split") -> pd.DataFrame:
    """Fit on the rows whose split is ``train``, score every row.

    Binary: ``label`` and its probability ``p`` (and ``predicted_label_probs``, ML.PREDICT's
    ARRAY<STRUCT<label, prob>> shape); regression: ``y`` (the amount) and ``y_hat``; multiclass:
    ``plan``, ``predicted_plan`` and ``plan_probs`` (one-vs-rest logistic regressions, normalised,
    whose features leave the plan out); ``p_sessions``, a smaller binary model (sessions only) to compare
    with ``p``; the event's ``country`` and ``device``, to slice by.
    """
    frame = split_rows.sort_values(ORDER, kind="stable").reset_index(drop=True)
    x = features(frame)
    train = (frame[split_column] == "train").to_numpy()
    label = frame["label"].to_numpy(float)
    p = 1 / (1 + np.exp(-(x @ fit_logistic(x[train], label[train]))))
    x_small = x[:, :2]  # intercept and sessions: the smaller model that compare sets against p
    p_sessions = 1 / (1 + np.exp(-(x_small @ fit_logistic(x_small[train], label[train]))))
    amount = frame["amount"].to_numpy(float)
    y_hat = x @ fit_least_squares(x[train], amount[train])
    x_plan = x[:, : x.shape[1] - (len(PLANS) - 1)]
    plan = frame["plan"].to_numpy()
    scores = np.column_stack([
        1 / (1 + np.exp(-(x_plan @ fit_logistic(x_plan[train], (plan[train] == level).astype(float)))))
        for level in PLANS
    ])
    scores /= scores.sum(axis=1, keepdims=True)
    return pd.DataFrame({
        "user_id": frame["user_id"],
        "day": pd.to_datetime(frame["day"].astype(str)),
        split_column: frame[split_column],
        "label": frame["label"].astype(np.int64),
        "p": np.round(p, 6),
        "predicted_label_probs": [[{"label": 1, "prob": round(float(v), 6)}, {"label": 0, "prob": round(1 - float(v), 6)}]
                                  for v in p],
        "y": amount,
        "y_hat": np.round(y_hat, 4),
        "plan": plan,
        "predicted_plan": np.array(PLANS)[scores.argmax(axis=1)],
        "plan_probs": [[{"label": level, "prob": round(float(v), 6)} for level, v in zip(PLANS, row)]
                       for row in scores],
        "p_sessions": np.round(p_sessions, 6),
        "country": frame["country"],
        "device": frame["device"],
    })


def write_predictions(engine: DuckDBEngine, path: str) -> int:
    """Split ``ml.events`` 80/10/10 by user, fit on train, write every row's predictions to ``path``."""
    rows = predictions(splitting.split(engine, DEMO_TABLE, SPLIT))
    con = engine.connection
    con.register("_bqml_demo_preds", rows)
    con.execute("CREATE OR REPLACE TABLE ml.preds AS SELECT * REPLACE (CAST(day AS DATE) AS day) "
                "FROM _bqml_demo_preds ORDER BY user_id, day, y, label, p")
    con.unregister("_bqml_demo_preds")
    engine.export(render("select_all.sql", "duckdb", src=source("ml.preds")), path)
    return len(rows)


def run_demo(rows: int = 200_000, echo: Callable[[str], None] = print, save: str | None = None,
             predictions_path: str | None = None) -> None:
    engine = DuckDBEngine()
    frame = make_events(engine, rows)
    users = frame["user_id"].nunique()
    if save is not None:
        engine.export(render("select_all.sql", "duckdb", src=source(DEMO_TABLE)), save)
    spec = splitting.SplitSpec(key=SPLIT.key, fractions=SPLIT.fractions, sample="1/10", key_types=SPLIT.key_types)
    echo(f"# {rows:,} events of {users:,} users in DuckDB table {DEMO_TABLE}.")
    echo(f"# The BigQuery split of a 1/10 sample, 80/10/10 by user, for {BIGQUERY_TABLE}:\n")
    echo(splitting.split_query(BIGQUERY_TABLE, spec, "bigquery").sql)
    echo("# The same split run on DuckDB (identical fingerprints, identical rows):\n")
    report = splitting.split_report(engine, DEMO_TABLE, spec)
    echo(format_frame(report.table, "table"))
    for warning in report.warnings:
        echo(f"warning: {warning}")
    for line in pitfall_lines(engine, spec):
        echo(line)
    if save is not None or predictions_path is not None:
        echo("")
    if save is not None:
        echo(f"# wrote {rows:,} events to {save}")
    if predictions_path is not None:
        written = write_predictions(engine, predictions_path)
        echo(f"# wrote {written:,} predictions to {predictions_path}: models fitted on the train split "
             "of an 80/10/10 split by user")


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
