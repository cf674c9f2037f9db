"""CREATE MODEL with the toolkit's split: BigQuery ML's DATA_SPLIT_METHOD='CUSTOM' on a key-hashed split.

BigQuery ML's CUSTOM split reads a BOOL column (DATA_SPLIT_COL): FALSE rows train the model, TRUE rows are
its evaluation data, and the column itself is no feature. ``create_model_query`` wraps the split
statement (the same one ``split`` prints) so that the train split's rows are FALSE, the valid split's TRUE,
and every other split's rows (test) are left out of the statement: held out for the final report, on
ML.PREDICT of them. A key's rows stay together, the assignment is a function of the key alone (the same
on DuckDB, where this SELECT runs too), and the key columns are left out of the features.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from ..core import identifiers
from ..engines.base import Engine
from ..core.options import refusal
from ..errors import BqmlToolsError, UnknownColumn
from ..sql.render import Query, render
from .queries import split_context
from .spec import SplitSpec

TRAIN, EVAL = "train", "valid"
EVAL_COLUMN = "is_eval"
# Options the statement sets itself; given in --options they would contradict it.
_OWN = ("model_type", "input_label_cols", "data_split_method", "data_split_col", "data_split_eval_fraction",
        "data_split_test_fraction")
_OPTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_MODEL_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class ModelSpec:
    """What CREATE MODEL trains: ``model`` (project.dataset.model), ``model_type`` (e.g. logistic_reg),
    ``label`` (the label column) and more ``options`` (name -> value: a number, true/false or text)."""

    model: str
    model_type: str
    label: str
    options: Any = ()

    def __post_init__(self) -> None:
        model = identifiers.source(self.model)
        if model.is_file or model.is_query or model.is_frame or len(model.parts) < 2:
            raise refusal(f"[[model|create-model]] {self.model!r}: name the model as dataset.model or "
                                 "project.dataset.model")
        if not isinstance(self.model_type, str) or not _MODEL_TYPE.fullmatch(self.model_type):
            raise refusal(f"[[model_type]] {self.model_type!r}: write a BigQuery ML model type, e.g. logistic_reg")
        identifiers.column(self.label, "label column")
        object.__setattr__(self, "options", parse_options(self.options))

    @property
    def relation(self) -> identifiers.Source:
        return identifiers.source(self.model)


def parse_options(options: Any) -> tuple[tuple[str, Any], ...]:
    """``k=v,k=v`` text (or a mapping) as (name, value) pairs: true/false as booleans, numbers as numbers."""
    if isinstance(options, dict):
        pairs = list(options.items())
    elif isinstance(options, str):
        pairs = []
        for part in options.split(",") if options.strip() else []:
            name, sep, value = part.partition("=")
            if not sep:
                raise refusal(f"[[options]] {options!r}: write NAME=VALUE,..., e.g. max_iterations=20,l2_reg=0.1")
            pairs.append((name.strip(), _value(value.strip())))
    else:
        pairs = list(options)
    seen = set()
    for name, value in pairs:
        if not isinstance(name, str) or not _OPTION.fullmatch(name):
            raise refusal(f"[[options]]: {name!r} is not an option name (letters, digits, underscores)")
        if name.lower() in _OWN:
            raise refusal(f"[[options]] {name}: the statement sets {name} itself ([[model_type]], [[label]], and "
                                 "the CUSTOM split): leave it out")
        if name.lower() in seen:
            raise refusal(f"[[options]] names {name} twice")
        seen.add(name.lower())
        if isinstance(value, str) and (not value.isprintable() or "[" in value or "(" in value):
            raise refusal(f"[[options]] {name}={value!r}: only numbers, true/false and plain text values; "
                                 "write lists and structs in your own CREATE MODEL")
        if not isinstance(value, (str, int, float)):
            raise refusal(f"[[options]] {name}={value!r}: only numbers, true/false and text values")
    return tuple(pairs)


def _value(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _NUMBER.fullmatch(text):
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def check(spec: SplitSpec, model: ModelSpec) -> None:
    """What CREATE MODEL needs of the split: a train and a valid split, and a label that is no key column."""
    names = spec.plan.names
    if TRAIN not in names or EVAL not in names:
        raise refusal(f"[[model|create-model]] needs splits named {TRAIN} and {EVAL} (and test, held out), not "
                             f"{', '.join(names)}: e.g. [[fractions=train=0.8,valid=0.1,test=0.1]]")
    if model.label.lower() in [c.lower() for c in spec.key]:
        raise refusal(f"[[label]] {model.label} is a key column: the model cannot learn its label from the key")


def create_model_query(source: str | identifiers.Source, spec: SplitSpec, model: ModelSpec, dialect: str = "bigquery",
                       *, engine: Engine | None = None, statement: bool = True) -> Query:
    """``CREATE OR REPLACE MODEL ... AS SELECT ...`` on BigQuery; ``statement=False`` gives the SELECT alone
    (any dialect: the rows the model sees, with the BOOL column, e.g. to check them on DuckDB)."""
    if statement and dialect != "bigquery":
        raise refusal("CREATE MODEL is BigQuery ML: print it with [[dialect=bigquery]] or run it with "
                             "[[engine=bigquery]]")
    check(spec, model)
    names = spec.plan.names
    template, context = split_context(source, spec, dialect, engine=engine)
    schema = context.pop("schema")
    if schema is not None:
        if model.label not in schema:
            raise UnknownColumn(f"label column {model.label!r} is not in the source; it has: {', '.join(schema)}")
        if any(identifiers.same_name(c, EVAL_COLUMN) for c in schema):
            raise BqmlToolsError(f"the source has a column {EVAL_COLUMN!r}, the name of the CUSTOM split's BOOL "
                                 "column: rename it in a query source (SELECT * EXCEPT ...)")
    held_out = [n for n in names if n not in (TRAIN, EVAL)]
    shares = {n: float(f) for n, f in zip(names, spec.plan.fractions)}
    header = list(context["header_lines"]) + [
        f"CREATE MODEL (data_split_method CUSTOM): {TRAIN} rows ({EVAL_COLUMN} FALSE, {shares[TRAIN]:.0%}) train "
        f"the model, {EVAL} rows ({EVAL_COLUMN} TRUE, {shares[EVAL]:.0%}) are its evaluation data; "
        + (f"{', '.join(held_out)} rows ({sum(shares[n] for n in held_out):.0%}) are held out: not in this "
           "statement, for the final report (the model's predictions of them)" if held_out else "no split is held out"),
        f"features: every column but {model.label} (the label), the key ({', '.join(spec.key)}) and "
        f"{spec.split_column}; {EVAL_COLUMN} is the split column, not a feature",
    ]
    body = render(template, dialect, inline=True, **{**context, "header_lines": []}).sql
    return render("model/create_model.sql", dialect, inline=True, header_lines=header, body=body,
                  statement=statement, model=model.relation, model_type=model.model_type, label=model.label,
                  options=list(model.options), keys=list(spec.key), split_column=spec.split_column,
                  train=TRAIN, evaluation=EVAL, eval_column=EVAL_COLUMN)


def held_out_names(spec: SplitSpec) -> Sequence[str]:
    """The splits CREATE MODEL leaves out (test)."""
    return [n for n in spec.plan.names if n not in (TRAIN, EVAL)]
