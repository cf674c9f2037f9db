"""A chosen threshold carried from ``threshold --save-threshold FILE`` to ``evaluate --threshold @FILE``.

The file is JSON: the threshold as the exact double (JSON writes repr), what it was chosen for (goal,
label, score, positive label, source, filters) and the counts at it. ``evaluate`` refuses a file chosen
on another score or label, so a threshold is never applied to a model it was not chosen for.
"""
from __future__ import annotations

import json
import math
import os
import secrets
from typing import Any, Mapping

from ..errors import BqmlToolsError

KIND = "bqml_tools threshold"
COUNTS = ("rows", "positives", "tp", "fp", "tn", "fn", "precision", "recall", "f1")


def save_threshold(path: str, row: Mapping[str, Any], chosen_on: Mapping[str, Any], replace: bool) -> None:
    """Write the chosen threshold (one result row) and what it was chosen on, atomically."""
    from ..engines.publish import publish
    from ..present.tables import records
    import pandas as pd

    plain = records(pd.DataFrame([dict(row)]))[0]
    document = {"kind": KIND, "threshold": float(row["threshold"]), **dict(chosen_on),
                "at_threshold": {c: plain[c] for c in COUNTS if c in plain}}
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(8)}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2)
            out.write("\n")
        publish(temporary, path, replace)
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)


def read_threshold(path: str) -> dict[str, Any]:
    """The saved document, checked: a finite threshold in [0, 1] written by --save-threshold."""
    if not path:
        raise BqmlToolsError("--threshold @FILE: name the file after @, e.g. --threshold @threshold.json")
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as error:
        raise BqmlToolsError(f"--threshold @{path}: cannot read it ({error.strerror}): save one with threshold "
                             f"... --save-threshold {path}") from None
    except ValueError:
        raise BqmlToolsError(f"--threshold @{path} is not JSON: save one with threshold ... --save-threshold") from None
    value = document.get("threshold") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("kind") != KIND or isinstance(value, bool) \
            or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 1:
        raise BqmlToolsError(f"--threshold @{path} is not a threshold saved by threshold --save-threshold")
    document["threshold"] = float(value)
    return document


def check_same_model(chosen: Mapping[str, Any], label: str, score: str, positive: Any, path: str) -> None:
    """Refuse a saved threshold chosen on another label, score or positive label than this evaluation's."""
    for what, here in (("label", label), ("score", score), ("positive", positive)):
        there = chosen.get(what)
        if there is not None and here is not None and str(there) != str(here):
            raise BqmlToolsError(f"--threshold {path} was chosen on {what} {there}, and this evaluation reads {what} "
                                 f"{here}: choose a threshold for this model (threshold ... --save-threshold FILE)")
