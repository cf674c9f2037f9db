"""Representative renderings of every query template, for both dialects (also used by snapshots)."""
from __future__ import annotations

from bqml_tools import SplitSpec, split_query
from bqml_tools.splitting import assignments_query, profile_query
from bqml_tools.templates import DIALECTS, render
from bqml_tools.identifiers import source

TYPES = {"user_id": "INT64", "day": "DATE", "ts": "TIMESTAMP", "raw": "BYTES", "amount": "NUMERIC",
         "naive": "DATETIME", "label": "STRING"}

SPECS = {
    "plain": SplitSpec(key=["user_id"]),
    "sample": SplitSpec(key=["user_id"], sample="1/70"),
    "salted_composite": SplitSpec(key=["user_id", "day", "ts", "raw", "amount", "naive"], salt="exp'7",
                                  key_types=TYPES),
    "null_drop": SplitSpec(key=["user_id"], null_keys="drop"),
    "null_split_sample": SplitSpec(key=["user_id"], null_keys="split:holdout", sample="0.5"),
    "stratified": SplitSpec(key=["user_id"], stratify="label", sample="1/10", key_types=TYPES),
    "stratified_null_split": SplitSpec(key=["user_id"], stratify="label", null_keys="split:nokey"),
}


def cases() -> dict[str, object]:
    """name -> Query, for every dialect."""
    out = {}
    for dialect in DIALECTS:
        table = "my-project.ml.events" if dialect == "bigquery" else "ml.events"
        for name, spec in SPECS.items():
            out[f"split_{name}.{dialect}"] = split_query(table, spec, dialect)
            out[f"profile_{name}.{dialect}"] = profile_query(table, spec, dialect)
            out[f"split_{name}_only_train.{dialect}"] = split_query(table, spec, dialect, only_split="train")
            if spec.stratify is None:
                out[f"assignments_{name}.{dialect}"] = assignments_query(table, spec, dialect)
        out[f"split_plain_bound.{dialect}"] = split_query(table, SPECS["salted_composite"], dialect, inline=False)
        out[f"select_all.{dialect}"] = render("select_all.sql", dialect, src=source(table))
    return out
