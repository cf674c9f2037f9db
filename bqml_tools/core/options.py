"""One message, two voices: the library names its Python arguments, the CLI its flags.

A message names an option in double brackets, and :func:`refusal` makes an error whose ``str`` is the
Python wording and whose ``cli`` is the command-line wording:

- ``[[ci]]``: the option itself: ``ci`` / ``--ci``
- ``[[ci!]]``: the option as given, the subject of a refusal: ``EvalSpec(ci=0.9)`` / ``--ci``
- ``[[key=]]``: the option to give: ``key=...`` / ``--key COLUMN``
- ``[[auc=exact]]``: the option with a value: ``auc='exact'`` / ``--auc exact``
- ``[[auc|search=exact]]``: where the flag is not the argument's name: ``auc='exact'`` / ``--search exact``

So every rule is written once (``EvalSpec``'s constraints, say) and reads right in both places.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from ..errors import BqmlToolsError

# Flags whose name is not the argument's with dashes, and the metavar each flag takes.
FLAGS = {"keys": "--key", "only_split": "--split", "key_types": "--key-type", "fmt": "--format"}
METAVARS = {"key": "COLUMN", "keys": "COLUMN", "by": "COLUMN", "label": "COLUMN", "score": "COLUMN",
            "prediction": "COLUMN", "probs": "COLUMN", "weight": "COLUMN", "against": "COLUMN", "stratify": "LABEL",
            "ci": "LEVEL", "partitions": "K", "top_k": "K", "min_slice_rows": "N", "bins_per_logit": "N",
            "positive": "VALUE", "split_column": "NAME", "only_split": "NAME", "destination": "TABLE",
            "output": "PATH", "plot": "PATH", "target": "GOAL", "cost": "fp=A,fn=B", "database": "FILE",
            "project": "PROJECT", "location": "LOCATION", "salt": "TEXT", "sample": "RATE", "buckets": "N",
            "fractions": "NAME=SHARE,...", "null_keys": "POLICY", "tolerance": "SHARE"}
_MARK = re.compile(r"\[\[([a-z_]+)(?:\|([a-z_-]+))?(!|=([^\]]*))?\]\]")


def flag(option: str) -> str:
    """The command line's flag for the Python argument ``option`` (``top_k`` -> ``--top-k``)."""
    return FLAGS.get(option, "--" + option.replace("_", "-"))


def _literal(text: str) -> str:
    """A value as Python writes it: numbers, True, False and None as they are, text quoted."""
    if text in ("True", "False", "None"):
        return text
    try:
        float(text)
        return text
    except ValueError:
        return repr(text)


def say(template: str, voice: str, *, owner: str = "", values: Mapping[str, Any] | None = None) -> str:
    """``template`` in ``voice`` (``"python"`` or ``"cli"``); ``owner`` (``EvalSpec``) and ``values`` (the
    arguments as given) word the subject of a refusal in Python."""
    values = values or {}

    def word(match: re.Match[str]) -> str:
        name, alias, kind, literal = match.group(1), match.group(2), (match.group(3) or "")[:1], match.group(4)
        if voice == "cli":
            shown = "--" + alias if alias else flag(name)
            if kind == "=" and literal != "True":  # a flag that takes no value is given or not
                return f"{shown} {literal or METAVARS.get(alias or name, 'VALUE')}"
            return shown
        if kind == "!":
            given = f"{name}={values[name]!r}" if name in values else name
            return f"{owner}({given})" if owner else given
        if kind == "=":
            return f"{name}={_literal(literal) if literal else '...'}"
        return name

    return _MARK.sub(word, template)


def refusal(template: str, *, owner: str = "", values: Mapping[str, Any] | None = None,
            error: type[BqmlToolsError] = BqmlToolsError) -> BqmlToolsError:
    """An ``error`` saying ``template`` in the library's words, with the CLI's words as its ``cli``."""
    return error(say(template, "python", owner=owner, values=values), cli=say(template, "cli", owner=owner, values=values))
