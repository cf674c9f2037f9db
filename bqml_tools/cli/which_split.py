"""``bqml-tools which-split``: the split of key values typed on the command line, without reading a table."""
from __future__ import annotations

import click

from ..errors import BqmlToolsError
from ..present.tables import FORMATS
from .options import PRINT_HELP, apply, split_options
from .strict import StrictCommand


@click.command("which-split", cls=StrictCommand)
@click.argument("values", nargs=-1, required=True)
@apply(split_options)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help=PRINT_HELP)
def which_split(values: tuple[str, ...], keys: tuple[str, ...], fractions: str, salt: str | None,
                sample: str | None, buckets: int | None, fmt: str) -> None:
    """Which split each key VALUE falls in, without reading any table.

    A VALUE is the key as text (42, 2024-01-31, true). For a composite key (--key given more
    than once) separate the parts of one VALUE with commas.

    \b
    Examples:
      bqml-tools which-split 42 43 --key user_id
      bqml-tools which-split 42,2024-01-31 --key user_id --key day --sample 1/70
    """
    from ..present.tables import format_plain
    from ..splitting.assignment import assignments
    from ..splitting.spec import SplitSpec

    spec = SplitSpec(key=keys, fractions=fractions, salt=salt, sample=sample, buckets=buckets)
    parsed = [v if len(keys) == 1 else v.split(",") for v in values]
    for value, parts in zip(values, parsed):
        if len(keys) > 1 and len(parts) != len(keys):
            raise BqmlToolsError(
                f"key value {value!r} has {len(parts)} part(s) but --key names {len(keys)} columns "
                f"({', '.join(keys)}): separate the parts of one VALUE with commas, e.g. "
                f"{','.join([parts[0]] + [f'<{k}>' for k in keys[1:]])}")
    click.echo(format_plain(assignments(parsed, spec), fmt))  # no pandas for a few lines
