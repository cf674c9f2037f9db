"""``bqml-tools fingerprint``: BigQuery's FARM_FINGERPRINT of values typed on the command line."""
from __future__ import annotations

import click

from ..errors import BqmlToolsError
from ..present.tables import FORMATS
from .options import PRINT_HELP
from .strict import StrictCommand


@click.command(cls=StrictCommand)
@click.argument("values", nargs=-1, required=True)
@click.option("--hex", "from_hex", is_flag=True, help="VALUES are hex-encoded BYTES, not text.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help=PRINT_HELP)
def fingerprint(values: tuple[str, ...], from_hex: bool, fmt: str) -> None:
    """Print BigQuery's FARM_FINGERPRINT of each VALUE (signed INT64).

    \b
    Examples:
      bqml-tools fingerprint 1footrue        # -1541654101129638711, as on BigQuery
      bqml-tools fingerprint --hex 00ff
    """
    from ..core.fingerprint import farm_fingerprint
    from ..present.tables import format_plain

    rows = []
    for value in values:
        if from_hex:
            try:
                data: str | bytes = bytes.fromhex(value)
            except ValueError:
                raise BqmlToolsError(f"{value!r} is not hex: write bytes as pairs of hex digits, e.g. 00ff") from None
        else:
            data = value
        rows.append({"value": value, "farm_fingerprint": farm_fingerprint(data)})
    click.echo(format_plain(rows, fmt))  # no pandas to print two columns
