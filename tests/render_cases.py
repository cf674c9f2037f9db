"""Representative renderings of every query template, for both dialects (also used by snapshots)."""
from __future__ import annotations

from bqml_tools import SplitSpec, split_query
from bqml_tools.splitting import TableOptions, assignments_query, materialize_queries, profile_query
from bqml_tools.splitting.model import ModelSpec, create_model_query
from dataclasses import replace

from bqml_tools.evaluation.comparison import compare_query
from bqml_tools.evaluation import EvalSpec, curve_query, curve_unused, evaluate_query
from bqml_tools.evaluation.guards import label_values_query
from bqml_tools.evaluation.decisions import Goal, threshold_query
from bqml_tools.evaluation.training import training_query
from bqml_tools.sql.render import DIALECTS, render
from bqml_tools.core.identifiers import source

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


EVALS = {
    "regression": EvalSpec(task="regression", label="y", prediction="y_hat"),
    "regression_by": EvalSpec(task="regression", label="y", prediction="y_hat", by=["split", "region"], invalid="exclude"),
    "binary": EvalSpec(task="binary", label="label", score="p"),
    "binary_by_binned": EvalSpec(task="binary", label="label", score="p", by=["split"], auc="binned", positive="yes",
                                 threshold=0.35, zero_division="sklearn"),
    "binary_weight": EvalSpec(task="binary", label="label", score="p", weight="w"),
    "binary_weight_by_binned": EvalSpec(task="binary", label="label", score="p", by=["split"], auc="binned",
                                        weight="w", invalid="exclude", zero_division="sklearn"),
    "multiclass": EvalSpec(task="multiclass", label="y", prediction="y_hat"),
    "multiclass_probs_by": EvalSpec(task="multiclass", label="y", prediction="y_hat", probs="probs", by=["split"]),
    # ML.PREDICT's probabilities array as the binary score, on the rows of two filters
    "binary_probs_where": EvalSpec(task="binary", label="label", probs="probs", positive="yes",
                                   where={"split": "valid", "region": "north"}),
    "regression_where": EvalSpec(task="regression", label="y", prediction="y_hat", where=["region=north"]),
    "multiclass_probs_where": EvalSpec(task="multiclass", label="y", prediction="y_hat", probs="probs", where=["split=test"]),
    "regression_weight_by": EvalSpec(task="regression", label="y", prediction="y_hat", by=["split", "region"],
                                     weight="w", invalid="exclude"),
    "multiclass_weight_probs_by": EvalSpec(task="multiclass", label="y", prediction="y_hat", probs="probs",
                                           by=["split"], weight="w"),
}

# compare: (spec, the other model's column); slices: evaluate --by --min-slice-rows with --ci (the whole).
COMPARES = {
    "binary": (EvalSpec(task="binary", label="label", score="p", ci=0.95, key="user_id"), "p_new"),
    "regression_by": (EvalSpec(task="regression", label="y", prediction="y_hat", by=["split"], invalid="exclude",
                               ci=0.9, key=["user_id", "day"], partitions=10), "y_new"),
    "multiclass": (EvalSpec(task="multiclass", label="y", prediction="y_hat", ci=0.95, key="user_id"), "y_new"),
}
SLICES = {
    "binary": EvalSpec(task="binary", label="label", score="p", by=["region"], min_slice_rows=100, ci=0.95,
                       key="user_id"),
    "regression": EvalSpec(task="regression", label="y", prediction="y_hat", by=["region"], min_slice_rows=100,
                           ci=0.95, key="user_id"),
}

THRESHOLDS = {
    "recall": (EvalSpec(task="binary", label="label", score="p"), Goal("recall", target=0.95)),
    "precision_by_binned": (EvalSpec(task="binary", label="label", score="p", by=["split"], auc="binned",
                                     positive="yes"), Goal("precision", target=0.9)),
    "f1_binned": (EvalSpec(task="binary", label="label", score="p", auc="binned", invalid="exclude"), Goal("f1")),
    "cost_by": (EvalSpec(task="binary", label="label", score="p", by=["split", "region"]),
                Goal("cost", fp_cost=1.0, fn_cost=20.0)),
    "recall_weight": (EvalSpec(task="binary", label="label", score="p", weight="w"), Goal("recall", target=0.95)),
    "binary_probs_where": (EvalSpec(task="binary", label="label", probs="probs", positive="yes", where=["split=valid"]),
                           Goal("recall", target=0.95)),
    "cost_weight_by_binned": (EvalSpec(task="binary", label="label", score="p", by=["split"], auc="binned", weight="w"),
                              Goal("cost", fp_cost=1.0, fn_cost=20.0)),
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
        (out[f"materialize_table.{dialect}"],) = materialize_queries(table, SPECS["sample"], table + "_split", dialect)
        views = materialize_queries(table, SPECS["null_split_sample"], table + "_split", dialect, view=True,
                                    per_split=True, replace=True)
        for i, query in enumerate(views):
            out[f"materialize_view_{i}.{dialect}"] = query
        if dialect == "bigquery":  # table options are BigQuery's (DuckDB refuses them)
            (out[f"materialize_table_options.{dialect}"],) = materialize_queries(
                table, SPECS["sample"], table + "_split", dialect, replace=True,
                options=TableOptions(cluster_by=("split", "user_id"), expiration_days=30,
                                     description="split of events (bqml_tools)", labels={"team": "ml"}))
        preds = "my-project.ml.predictions" if dialect == "bigquery" else "ml.predictions"
        for name, spec in EVALS.items():
            out[f"evaluate_{name}.{dialect}"] = evaluate_query(preds, spec, dialect)
            if spec.task == "multiclass":
                for view in ("classes", "confusion"):
                    view_spec = replace(spec, probs=None, top_k=None)  # the views have no probability metrics
                    out[f"evaluate_{name}_{view}.{dialect}"] = evaluate_query(preds, view_spec, dialect, view=view)
            if spec.task == "binary":
                for kind in ("roc", "pr", "thresholds", "calibration"):
                    curve_spec = replace(spec, **{option: None for option in curve_unused(kind)})
                    out[f"curve_{kind}_{name}.{dialect}"] = curve_query(preds, curve_spec, kind, dialect)
        for name, (spec, against) in COMPARES.items():
            out[f"evaluate_compare_{name}.{dialect}"] = compare_query(preds, spec, against, dialect)
        for name, spec in SLICES.items():
            out[f"evaluate_slices_{name}.{dialect}"] = evaluate_query(preds, spec, dialect)
        # weights with intervals: the replicates sum the weighted masses
        out[f"evaluate_binary_weight_ci.{dialect}"] = evaluate_query(preds, EvalSpec(
            task="binary", label="label", score="p", by=["split"], weight="w", ci=0.95, key=["user_id"]), dialect)
        out[f"evaluate_regression_weight_ci.{dialect}"] = evaluate_query(preds, EvalSpec(
            task="regression", label="y", prediction="y_hat", by=["split"], weight="w", ci=0.95, key=["user_id"]), dialect)
        out[f"evaluate_multiclass_weight_probs_ci.{dialect}"] = evaluate_query(preds, EvalSpec(
            task="multiclass", label="y", prediction="y_hat", probs="probs", weight="w", ci=0.9, key=["user_id"],
            partitions=10), dialect)
        history = "my-project.ml.training_info" if dialect == "bigquery" else "ml.training_info"
        out[f"training_history.{dialect}"] = training_query(history, dialect)
        out[f"training_history_no_run.{dialect}"] = training_query(
            history, dialect, schema={"iteration": "INT64", "loss": "FLOAT64"})
        for name, (spec, goal) in THRESHOLDS.items():
            out[f"threshold_{name}.{dialect}"] = threshold_query(preds, spec, goal, dialect)
        # BigQuery ML in and out: a query source (filtered probabilities: EVALS binary_probs_where), compare
        # from two probabilities arrays, CREATE MODEL on the split (its SELECT alone on DuckDB)
        from_probs = EVALS["binary_probs_where"]
        name = "`" + preds + "`" if dialect == "bigquery" else preds
        out[f"evaluate_query_binary_probs_where.{dialect}"] = evaluate_query(
            f"SELECT * FROM {name} WHERE region = 'north'", from_probs, dialect)
        out[f"evaluate_compare_binary_probs_where.{dialect}"] = compare_query(
            preds, replace(from_probs, key=("user_id",), ci=0.95), "probs_new", dialect)
        out[f"create_model.{dialect}"] = create_model_query(
            table, SPECS["sample"], ModelSpec("my-project.ml.churn", "logistic_reg", "label",
                                              "max_iterations=20,auto_class_weights=true"),
            dialect, statement=dialect == "bigquery")
        out[f"label_values.{dialect}"] = label_values_query(preds, EVALS["binary_by_binned"], dialect)
    return out
