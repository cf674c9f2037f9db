"""The CLI reads well: chosen metric columns, one row transposed, groups in natural order, one
number parser for every numeric option, split notes (sampled rows, dropped NULL keys), --plot files,
and the README documents exactly the options the commands have."""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from bqml_tools.cli import Number, cli, main
from cli_runner import run

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def docs_text() -> str:
    """The README and every docs/ page: the documentation the options must be in."""
    return "\n".join(p.read_text() for p in [README, *sorted((ROOT / "docs").glob("*.md"))])




def refused(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err


@pytest.fixture
def preds(tmp_path):
    rng = np.random.default_rng(3)
    n = 4000
    label = (rng.random(n) < 0.4).astype(int)
    # splits in an order that is neither natural nor alphabetical, plus two other groups
    split = rng.choice(["test", "holdout", "valid", "train", "extra"], n, p=[0.1, 0.05, 0.1, 0.7, 0.05])
    frame = pd.DataFrame({"id": np.arange(n), "split": split, "label": label,
                          "p": np.clip(rng.random(n) * 0.6 + 0.35 * label, 0, 1)})
    path = tmp_path / "preds.parquet"
    frame.to_parquet(path)
    return str(path), frame


BINARY = ["--task", "binary", "--label", "label", "--score", "p"]


def _json(out: str) -> list[dict]:
    return json.loads(out)


# --- --metrics ---------------------------------------------------------------------------------

def test_metrics_chooses_the_columns_in_the_order_given(capsys, preds):
    path, frame = preds
    code, out, _ = run(capsys, "evaluate", path, *BINARY, "--by", "split", "--metrics", "roc_auc,rows",
                       "--format", "json")
    assert code == 0
    rows = _json(out)
    assert all(list(r) == ["split", "roc_auc", "rows"] for r in rows)
    for r in rows:
        part = frame[frame["split"] == r["split"]]
        assert r["rows"] == len(part)
        assert r["roc_auc"] == pytest.approx(roc_auc_score(part["label"], part["p"]), abs=1e-12)


def test_unknown_or_repeated_metrics_are_refused_listing_the_available_ones(capsys, preds):
    path, _ = preds
    code, _, err = run(capsys, "evaluate", path, *BINARY, "--metrics", "rows,auc")
    refused(code, err, "unknown metric(s) auc", "choose from rows, positives", "roc_auc")
    code, _, err = run(capsys, "evaluate", path, *BINARY, "--metrics", "rows,rows")
    refused(code, err, "names a metric twice")
    code, _, err = run(capsys, "evaluate", path, *BINARY, "--metrics", ",")
    refused(code, err, "choose from")
    code, _, err = run(capsys, "evaluate", path, *BINARY, "--metrics", "rows", "--dialect", "duckdb")
    refused(code, err, "--metrics chooses the printed columns of a run")


# --- one group: (metric, value) ------------------------------------------------------------------

def test_one_group_prints_metric_value_lines_in_table_format_only(capsys, preds):
    path, frame = preds
    code, out, _ = run(capsys, "evaluate", path, *BINARY, "--metrics", "rows,roc_auc")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["metric", "value"]
    assert [line.split()[0] for line in lines[1:]] == ["rows", "roc_auc"]
    assert int(lines[1].split()[1]) == len(frame)
    assert float(lines[2].split()[1]) == pytest.approx(roc_auc_score(frame["label"], frame["p"]), rel=1e-5)
    code, out, _ = run(capsys, "evaluate", path, *BINARY, "--metrics", "rows,roc_auc", "--format", "json")
    assert list(_json(out)[0]) == ["rows", "roc_auc"] and len(_json(out)) == 1
    code, out, _ = run(capsys, "evaluate", path, *BINARY, "--by", "split", "--metrics", "rows")
    assert out.splitlines()[0].split() == ["split", "rows"]  # several groups: one row each


# --- natural order -------------------------------------------------------------------------------

def _natural(names: list[str]) -> list[str]:
    first = [n for n in ("train", "valid", "test") if n in names]
    return first + [n for n in names if n not in first]


def test_evaluate_groups_come_train_valid_test_first(capsys, preds):
    path, _ = preds
    _, out, _ = run(capsys, "evaluate", path, *BINARY, "--by", "split", "--metrics", "rows", "--format", "json")
    names = [r["split"] for r in _json(out)]
    assert names[:3] == ["train", "valid", "test"] and sorted(names[3:]) == ["extra", "holdout"]
    _, table, _ = run(capsys, "evaluate", path, *BINARY, "--by", "split", "--metrics", "rows")
    assert [line.split()[0] for line in table.splitlines()[1:]] == names


def test_curve_groups_come_in_natural_order_and_keep_their_curve_order(capsys, preds):
    path, _ = preds
    _, out, _ = run(capsys, "curve", path, "roc", "--label", "label", "--score", "p", "--by", "split",
                    "--format", "json")
    rows = _json(out)
    names = list(dict.fromkeys(r["split"] for r in rows))
    assert names == _natural(names) and names[:3] == ["train", "valid", "test"]
    for name in names:  # each group's rows stay together, thresholds falling as the engine gave them
        thresholds = [r["threshold"] for r in rows if r["split"] == name]
        assert thresholds == sorted(thresholds, reverse=True)
    blocks = [r["split"] for r in rows]
    assert blocks == sorted(blocks, key=names.index)


def test_split_report_lists_train_valid_test_first(capsys, preds):
    path, _ = preds
    _, out, _ = run(capsys, "split", path, "--key", "label", "--fractions", "test=0.2,extra=0.1,train=0.7",
                    "--split-column", "fold", "--format", "json")  # the source has a column split
    assert [r["split"] for r in _json(out)] == ["train", "test", "extra"]


def test_stratified_report_columns_follow_the_same_order(capsys, preds):
    path, _ = preds
    _, out, _ = run(capsys, "split", path, "--key", "id", "--stratify", "label", "--split-column", "fold",
                    "--fractions", "extra=0.25,test=0.25,train=0.5")
    strata = out.split("rows per label value:\n")[1].splitlines()
    assert strata[0].split() == ["stratum", "rows", "train", "test", "extra", "max_deviation"]


# --- one number parser ---------------------------------------------------------------------------

def _numeric_options() -> list[tuple[str, click.Option]]:
    out = []
    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and not param.is_flag and (
                    isinstance(param.type, (Number, click.types._NumberParamTypeBase))
                    or param.name in ("threshold", "sample", "buckets")):
                out.append((name, param))
    return out


def test_every_numeric_option_uses_the_one_number_parser():
    """No option parses numbers on its own (click's int/float types accept other spellings and ranges)."""
    options = _numeric_options()
    assert len(options) > 10
    stray = [f"{name} {p.opts[0]}" for name, p in options
             if not isinstance(p.type, Number) and p.name != "sample"]  # --sample: SplitSpec's rate parser
    assert stray == []


@pytest.mark.parametrize("text", ["1/3", "0.3333333333333333", "33.33333333333333%"])
def test_threshold_takes_fractions_decimals_and_percentages_alike(capsys, preds, text):
    path, frame = preds
    code, out, _ = run(capsys, "evaluate", path, *BINARY, "--threshold", text, "--metrics", "tp,fp",
                       "--format", "json")
    assert code == 0
    positive = frame["p"] >= 1 / 3
    assert _json(out) == [{"tp": int((positive & (frame["label"] == 1)).sum()),
                           "fp": int((positive & (frame["label"] == 0)).sum())}]


WHOLE = [("curve", "--steps"), ("curve", "--bins"), ("evaluate", "--bins-per-logit"), ("split", "--buckets"),
         ("demo", "--rows"), ("evaluate", "--max-bytes-billed")]


@pytest.mark.parametrize("command,option", WHOLE)
@pytest.mark.parametrize("value", ["2.5", "1/2", "50%", "1e3", "ten", "9" * 40])
def test_whole_number_options_refuse_anything_else(capsys, preds, command, option, value):
    path, _ = preds
    args = {"curve": ["curve", path, "thresholds", "--label", "label", "--score", "p"],
            "evaluate": ["evaluate", path, *BINARY], "split": ["split", path, "--key", "label"],
            "demo": ["demo"]}[command]
    code, _, err = run(capsys, *args, option, value)
    refused(code, err, option, "not a whole number")


@pytest.mark.parametrize("value", ["1e999999999", "1/" + "7" * 100000, "0." + "3" * 100000, "nan", "inf", "1/0"])
def test_numbers_with_unbounded_precision_are_refused_at_once(capsys, preds, value):
    path, _ = preds
    start = time.monotonic()
    code, _, err = run(capsys, "evaluate", path, *BINARY, "--threshold", value)
    refused(code, err, "--threshold")
    assert time.monotonic() - start < 60  # a guard against a hang, not a speed assertion


# --- split notes ---------------------------------------------------------------------------------

def test_null_keys_drop_reports_how_many_rows_it_dropped(capsys, tmp_path):
    frame = pd.DataFrame({"user_id": [1, None, 3, None, 5, 6, None], "x": range(7)}, dtype="Int64")
    path = tmp_path / "nulls.parquet"
    frame.to_parquet(path)
    code, out, err = run(capsys, "split", str(path), "--key", "user_id", "--null-keys", "drop")
    assert code == 0
    assert f"dropped {int(frame['user_id'].isna().sum())} row(s) with a NULL key" in out
    code, out, err = run(capsys, "split", str(path), "--key", "user_id", "--null-keys", "drop", "--format", "json")
    assert json.loads(out) and "dropped 3 row(s) with a NULL key" in err  # stdout stays JSON


def test_sampled_split_report_shows_sampled_and_unsampled_rows(capsys, preds):
    path, frame = preds
    code, out, _ = run(capsys, "split", path, "--key", "id", "--sample", "1/7", "--split-column", "fold",
                       "--format", "json")
    kept = sum(r["rows"] for r in _json(out))
    _, table, _ = run(capsys, "split", path, "--key", "id", "--sample", "1/7", "--split-column", "fold")
    note = re.search(r"sampled ([\d,]+) of ([\d,]+) rows \(1/7 sample of the keys\); ([\d,]+) rows not sampled", table)
    assert note, table
    sampled, total, unsampled = (int(g.replace(",", "")) for g in note.groups())
    assert (sampled, total, unsampled) == (kept, len(frame), len(frame) - kept)


def test_short_project_ids_are_explained(capsys):
    code, _, err = run(capsys, "split", "proj.ml.events", "--key", "user_id", "--dialect", "bigquery")
    refused(code, err, "project id 'proj' has 4 characters", "6 to 30")


# --- curve --plot --------------------------------------------------------------------------------

def test_plot_writes_an_image_with_one_line_per_group(capsys, preds, tmp_path):
    import matplotlib.image

    path, _ = preds
    image = tmp_path / "roc.png"
    code, out, err = run(capsys, "curve", path, "roc", "--label", "label", "--score", "p", "--by", "split",
                         "--plot", str(image))
    assert code == 0 and err.startswith(f"wrote the roc plot to {image}: ") and out == ""
    pixels = matplotlib.image.imread(image)
    assert pixels.ndim == 3 and pixels.shape[0] > 200 and pixels.shape[1] > 200
    assert len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)) > 10  # not a blank canvas
    assert sorted(os.listdir(tmp_path)) == ["preds.parquet", "roc.png"]  # no temporary file left


def test_plot_prints_one_line_of_points_per_group_and_the_points_only_when_format_asks(capsys, preds, tmp_path):
    path, frame = preds
    args = ["curve", path, "roc", "--label", "label", "--score", "p", "--by", "split", "--replace"]
    code, out, _ = run(capsys, *args[:-1], "--format", "json")
    points = pd.DataFrame(_json(out))
    counts = points.groupby("split").size()
    code, out, err = run(capsys, *args, "--plot", str(tmp_path / "roc.png"))
    assert code == 0 and out == "" and err.count("\n") == 1, err
    expected = ", ".join(f"{name} {counts[name]:,}" for name in ["train", "valid", "test", "extra", "holdout"]
                         if name in counts.index)
    assert err.rstrip().endswith(f"{len(points):,} points ({expected})"), err
    for fmt, parse in (("json", lambda text: len(_json(text))), ("csv", lambda text: len(text.splitlines()) - 1)):
        code, out, err = run(capsys, *args, "--plot", str(tmp_path / "roc.png"), "--format", fmt)
        assert code == 0 and parse(out) == len(points), err


def test_plot_refuses_clobbering_unknown_suffixes_and_print_modes(capsys, preds, tmp_path):
    path, _ = preds
    args = ["curve", path, "calibration", "--label", "label", "--score", "p"]
    image = tmp_path / "cal.svg"
    image.write_text("keep me")
    code, _, err = run(capsys, *args, "--plot", str(image))
    refused(code, err, "already exists", "--replace")
    assert image.read_text() == "keep me"
    code, _, _ = run(capsys, *args, "--plot", str(image), "--replace")
    assert code == 0 and image.read_text().lstrip().startswith("<?xml")
    code, _, err = run(capsys, *args, "--plot", str(tmp_path / "cal.gif"))
    refused(code, err, "unknown suffix", ".png, .svg, .pdf")
    code, _, err = run(capsys, *args, "--plot", path.replace(".parquet", ".png"), "--dialect", "duckdb")
    refused(code, err, "--plot draws the rows of a run")
    code, _, err = run(capsys, *args, "--replace")
    refused(code, err, "--replace goes with --plot")
    code, _, err = run(capsys, *args, "--plot", str(tmp_path / "missing" / "x.png"))
    refused(code, err, "does not exist")


# --- README documents every option, and only real ones ----------------------------------------------

def _options() -> dict[str, set[str]]:
    out = {}
    for name, command in cli.commands.items():
        out[name] = {opt for p in command.params if isinstance(p, click.Option)
                     for opt in p.opts + p.secondary_opts if opt.startswith("--")}
    return out


def test_every_option_of_every_command_is_in_the_docs():
    text = docs_text()
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))
    missing = sorted(f"{name} {opt}" for name, opts in _options().items() for opt in opts
                     if opt not in mentioned and opt != "--help")
    assert missing == [], "document these in README.md or docs/: " + ", ".join(missing)


def test_every_option_the_docs_mention_exists():
    text = docs_text()
    known = set().union(*_options().values()) | {"--help", "--version"}
    # pip/pytest/make flags that the README quotes for set-up are not bqml-tools options
    foreign = {line for line in text.splitlines() if re.match(r"\s*(\$ )?(pip|python|\.venv/bin/python|make|pytest|mkdocs)\b",
                                                               line)}
    mentioned = set()
    for line in text.splitlines():
        if line not in foreign:
            mentioned |= set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", line))
    assert sorted(mentioned - known) == []
