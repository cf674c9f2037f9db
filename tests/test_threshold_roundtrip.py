"""Printed thresholds round-trip (the shortest text that parses back to the same double), and a chosen
threshold is carried into evaluate on other rows without copying (threshold --save-threshold FILE,
evaluate --threshold @FILE)."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from sklearn import metrics as skm

from bqml_tools.present.tables import format_frame, transposed
from breast_cancer import POSITIVE, predictions
from cli_runner import run

FRAME = predictions()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=5))
def test_every_printed_threshold_parses_back_to_the_same_double(values):
    frame = pd.DataFrame({"threshold": values, "threshold_upper": values, "recall": values})
    lines = format_frame(frame, "table").splitlines()[1:]
    for line, value in zip(lines, values):
        threshold, upper, _ = line.split()
        assert float(threshold) == value and float(upper) == value
        assert threshold == repr(value).removesuffix(".0")  # the shortest such text
    if len(values) == 1:
        shown = dict(line.split() for line in transposed(frame).splitlines()[1:])
        assert float(shown["threshold"]) == values[0]
    assert pd.read_csv(io.StringIO(format_frame(frame, "csv")))["threshold"].tolist() == values
    assert [row["threshold"] for row in json.loads(format_frame(frame, "json"))] == values


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    path = tmp_path_factory.mktemp("roundtrip") / "preds.parquet"
    FRAME.to_parquet(path)
    return str(path)


MODEL = ["--label", "label", "--probs", "probs_a", "--positive", POSITIVE]


def _confusion(rows: pd.DataFrame, threshold: float) -> dict[str, int]:
    tn, fp, fn, tp = skm.confusion_matrix(rows["label"] == POSITIVE, rows["p_a"] >= threshold, labels=[False, True]).ravel()
    return {"tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn)}


def test_the_printed_threshold_pasted_back_gives_the_reported_counts(capsys, parquet):
    code, out, err = run(capsys, "threshold", parquet, *MODEL, "--target", "recall>=0.95", "--where", "split=train")
    assert code == 0, err
    summary = out.strip().splitlines()[-1]
    printed = summary.split("positive when score >= ")[1].split(":")[0]
    reported = dict(line.split() for line in out.strip().splitlines()[1:-1])
    code, out, err = run(capsys, "evaluate", parquet, "--task", "binary", *MODEL, "--where", "split=train",
                         "--threshold", printed, "--format", "json")
    assert code == 0, err
    again = json.loads(out)[0]
    train = FRAME[FRAME["split"] == "train"]
    assert {c: again[c] for c in ("tp", "fp", "tn", "fn")} == {c: int(reported[c]) for c in ("tp", "fp", "tn", "fn")} \
        == _confusion(train, float(printed))


def test_a_saved_threshold_is_chosen_on_valid_and_reported_on_test(capsys, parquet, tmp_path):
    saved = str(tmp_path / "t.json")
    code, out, err = run(capsys, "threshold", parquet, *MODEL, "--target", "recall>=0.95", "--where", "split=valid",
                         "--save-threshold", saved, "--format", "json")
    assert code == 0, err
    chosen = json.loads(out)[0]["threshold"]
    document = json.load(open(saved))
    assert document["threshold"] == chosen and document["where"] == {"split": "valid"}
    valid = FRAME[FRAME["split"] == "valid"]
    assert (valid.loc[valid["label"] == POSITIVE, "p_a"] >= chosen).mean() >= 0.95
    code, out, err = run(capsys, "evaluate", parquet, "--task", "binary", *MODEL, "--where", "split=test",
                         "--threshold", f"@{saved}", "--format", "json")
    assert code == 0, err
    test = json.loads(out)[0]
    assert {c: test[c] for c in ("tp", "fp", "tn", "fn")} == _confusion(FRAME[FRAME["split"] == "test"], chosen)
    # the same file again, without --replace, is refused; another model cannot use this threshold
    code, _, err = run(capsys, "threshold", parquet, *MODEL, "--target", "f1", "--save-threshold", saved)
    assert code == 2 and "already exists" in err
    code, _, err = run(capsys, "evaluate", parquet, "--task", "binary", "--label", "label", "--probs", "probs_b",
                       "--positive", POSITIVE, "--threshold", f"@{saved}")
    assert code == 2 and "was chosen on score the prob of 'malignant' in probs_a" in err, err


@pytest.mark.parametrize("content,message", [(None, "cannot read it"), ("{", "is not JSON"),
                                             ('{"threshold": 2}', "is not a threshold saved by")])
def test_a_bad_threshold_file_is_one_line(capsys, parquet, tmp_path, content, message):
    path = tmp_path / "t.json"
    if content is not None:
        path.write_text(content)
    code, _, err = run(capsys, "evaluate", parquet, "--task", "binary", *MODEL, "--threshold", f"@{path}")
    assert code == 2 and message in err, err


def test_save_threshold_keeps_one_group(capsys, parquet, tmp_path):
    code, _, err = run(capsys, "threshold", parquet, *MODEL, "--target", "f1", "--by", "split",
                       "--save-threshold", str(tmp_path / "t.json"))
    assert code == 2 and "choose it on one group with --where (e.g. --where split=valid)" in err, err
