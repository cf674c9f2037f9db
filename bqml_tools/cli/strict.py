"""Commands that refuse a single-value option given twice, and a file SOURCE with --engine bigquery."""
from __future__ import annotations

import os
from typing import Any

import click

from ..errors import BqmlToolsError


class StrictCommand(click.Command):
    """A command that refuses a single-value option given twice instead of silently keeping the last.

    Options declared ``multiple=True`` (``--key``, ``--by``, ``--key-type``) stay repeatable.
    """

    def make_parser(self, ctx: click.Context) -> Any:
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def parse_once(args: list[str]) -> Any:
            opts, rest, order = parse(args=args)
            if ctx.resilient_parsing:  # shell completion: never fail
                return opts, rest, order
            seen: set[str] = set()
            for param in order:
                if not isinstance(param, click.Option) or param.multiple or param.count or param.is_eager:
                    continue
                if param.name in seen:
                    flags = " / ".join(param.opts + param.secondary_opts)
                    raise click.UsageError(f"{flags} given more than once: give it once (only "
                                           f"{repeatable(self)} may repeat)", ctx)
                seen.add(param.name or "")
            return opts, rest, order

        parser.parse_args = parse_once
        return parser

    def invoke(self, ctx: click.Context) -> Any:
        refuse_file_on_bigquery(ctx.params)
        return super().invoke(ctx)


def refuse_file_on_bigquery(params: dict[str, Any]) -> None:
    """A file SOURCE with --engine bigquery: refused before a BigQuery client (and its credentials) is made."""
    source = params.get("source")
    if params.get("engine_name") == "bigquery" and isinstance(source, str) and \
            os.path.splitext(source)[1].lower() in (".csv", ".parquet", ".pq", ".tsv"):
        raise BqmlToolsError(f"SOURCE {source} is a file, which only DuckDB reads: drop --engine bigquery, or load "
                             "the file into a BigQuery table and give its name (project.dataset.table)")


class StrictGroup(click.Group):
    """Every subcommand is a StrictCommand."""

    command_class = StrictCommand


def repeatable(command: click.Command) -> str:
    """The options of ``command`` that may be given more than once, for the refusal's hint."""
    names = [p.opts[0] for p in command.params if isinstance(p, click.Option) and p.multiple]
    return ", ".join(names) if names else "no option"
