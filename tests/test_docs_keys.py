"""docs/keys.md is exact: the key strings rebuilt from its two tables, hashed with pyfarmhash, put every
row in the split ``bt.split`` gives it on DuckDB, for every key type, salted or not, one column or
several.

The tables are read from the page itself: the rule table's "string hashed" templates are interpreted
as written (``<t1>``, ``<len(S)>``, ``...``), and the type table's kinds must be exactly
``keys.KINDS``, each with a Python rendering of its "canonical text" cell (``CANONICAL`` below,
keyed by that cell's text, so rewording a rule on the page fails here until the oracle follows), and
each example in the page's "DuckDB value" column must give the page's "text"; the page's SQL table
must name what the split statement hashes, per kind and dialect.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import duckdb
import farmhash
import numpy as np
import pyarrow as pa
import pytest

import bqml_tools as bt
from bqml_tools.core.keys import KINDS

pytestmark = pytest.mark.duckdb

PAGE = Path(__file__).resolve().parents[1] / "docs" / "keys.md"
ROWS = 2000
SALT = "exp-ü7"  # not ASCII: <len(S)> counts code points, not bytes


def table(title: str, which: int = 0) -> list[dict[str, str]]:
    """The rows of the page's table number ``which`` (from 0) among those whose header starts with
    ``title``, as {header: cell}."""
    lines = PAGE.read_text().splitlines()
    start = [i for i, line in enumerate(lines) if line.startswith(f"| {title} |")][which]
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(header, (c.strip() for c in line.strip().strip("|").split(" | ")))))
    return rows


def unquote(cell: str) -> str:
    assert cell.startswith("`") and cell.endswith("`"), cell
    return cell[1:-1]


# --- the canonical text of each kind, in Python, keyed by the page's wording -----------------------
def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


CANONICAL: dict[str, Callable[[Any], str]] = {
    "the text itself (a UUID in its lowercase 8-4-4-4-12 form)": lambda v: str(v),  # str(uuid.UUID) is the lowercase 8-4-4-4-12 form
    "decimal digits, `-` for negatives": lambda v: str(int(v)),
    "`true` or `false`": lambda v: "true" if v else "false",
    "`YYYY-MM-DD`": lambda v: v.strftime("%Y-%m-%d"),
    "`YYYY-MM-DDTHH:MM:SS.ffffff`, always six fractional digits": _iso,
    "the same, of the instant in UTC (DuckDB's session time zone does not matter)":
        lambda v: _iso(v.astimezone(dt.timezone.utc)),
    "lowercase hex": lambda v: bytes(v).hex(),
    "plain decimal without trailing zeros (nor a trailing point)": lambda v: format(Decimal(v).normalize(), "f"),
}


def kinds() -> dict[str, Callable[[Any], str]]:
    rows = table("kind")
    assert [r["kind"] for r in rows] == list(KINDS), "the page's types are not bqml_tools.core.keys.KINDS"
    unknown = [r["canonical text"] for r in rows if r["canonical text"] not in CANONICAL]
    assert unknown == [], f"docs/keys.md states a rule this test does not know: {unknown}; update CANONICAL"
    return {r["kind"]: CANONICAL[r["canonical text"]] for r in rows}


# --- the string hashed, interpreted from the page's templates --------------------------------------
def hashed_string(texts: list[str], salt: str | None) -> str:
    rules = table("key columns")
    wanted = ("one" if len(texts) == 1 else "two or more", "none" if salt is None else "`--salt S`")
    [rule] = [r for r in rules if (r["key columns"], r["salt"]) == wanted]
    template = unquote(rule["string hashed"])
    if template.endswith("..."):  # the last column's part, repeated for the columns after it
        head = template[:-3]
        unit = head[head.index(next(t for t in re.findall(r"<[^>]*>", head) if "t2" in t)):]
        template = head + "".join(unit.replace("t2", f"t{k}") for k in range(3, len(texts) + 1))
    values = {"S": salt or "", **{f"t{k}": t for k, t in enumerate(texts, 1)}}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        length = re.fullmatch(r"len\((\w+)\)", name)
        return str(len(values[length.group(1)])) if length else values[name]

    assert len(re.findall(r"<t\d+>", template)) == len(texts) or len(texts) == 1, template
    return re.sub(r"<([^>]*)>", fill, template)


def fingerprint(text: str) -> int:
    value = farmhash.fingerprint64(text)
    return value - (1 << 64) if value >= 1 << 63 else value


def expected_split(h: int) -> str:  # the default 80/10/10: 10 buckets, ABS(MOD(h, 10)) (docs/splitting.md)
    bucket = abs(h) % 10  # MOD truncates toward zero, so ABS(MOD(h, 10)) == abs(h) % 10
    return "train" if bucket < 8 else "valid" if bucket < 9 else "test"


# --- a table with a column of every kind ------------------------------------------------------------
def columns(rows: int) -> dict[str, tuple[str, list[Any]]]:
    """column -> (kind, Python values), random but seeded, with the cases a rule could get wrong."""
    r = np.random.default_rng(16)
    # code points, not bytes nor graphemes: "e\u0301" (e + combining acute) and a flag are 2 code points, 1 grapheme
    alphabet = list("ab:Z09 -") + ["é", "ß", "日本", "😀", "Zoë", "e\u0301", "🇫🇷"]
    strings = ["".join(r.choice(alphabet, size=r.integers(0, 6))) for _ in range(rows)]
    epoch = dt.datetime(2000, 1, 1)
    stamps = [epoch + dt.timedelta(seconds=int(s), microseconds=int(u) * int(r.integers(0, 2)))
              for s, u in zip(r.integers(-10**9, 10**9, rows), r.integers(0, 10**6, rows))]
    return {
        "s": ("STRING", strings),
        "u": ("STRING", [uuid.UUID(int=int(r.integers(0, 2**62)) << 64 | int(r.integers(0, 2**62))) for _ in range(rows)]),
        "i": ("INT64", [int(v) for v in r.integers(-2**62, 2**62, rows)]),
        "i16": ("INT64", [int(v) for v in r.integers(-300, 300, rows)]),
        "b": ("BOOL", [bool(v) for v in r.integers(0, 2, rows)]),
        "d": ("DATE", [dt.date(1900, 1, 1) + dt.timedelta(days=int(v)) for v in r.integers(0, 73000, rows)]),
        "ts": ("DATETIME", stamps),
        "tz": ("TIMESTAMP", [s.replace(tzinfo=dt.timezone.utc) for s in stamps[::-1]]),
        "by": ("BYTES", [bytes(r.integers(0, 256, r.integers(0, 9)).astype(np.uint8)) for _ in range(rows)]),
        "n": ("NUMERIC", [Decimal(int(v)).scaleb(-4) * m for v, m in
                          zip(r.integers(-10**9, 10**9, rows), r.choice([1, 10, 10**4], rows))]),
    }


@pytest.fixture(scope="module")
def keyed():
    data = columns(ROWS)
    arrow = pa.table({
        "id": pa.array(range(ROWS), pa.int64()),
        "s": pa.array(data["s"][1], pa.string()),
        "u": pa.array([str(v) for v in data["u"][1]], pa.string()),
        "i": pa.array(data["i"][1], pa.int64()),
        "i16": pa.array(data["i16"][1], pa.int16()),
        "b": pa.array(data["b"][1], pa.bool_()),
        "d": pa.array(data["d"][1], pa.date32()),
        "ts": pa.array(data["ts"][1], pa.timestamp("us")),
        "tz": pa.array(data["tz"][1], pa.timestamp("us", tz="UTC")),
        "by": pa.array(data["by"][1], pa.binary()),
        "n": pa.array(data["n"][1], pa.decimal128(18, 4)),
    })
    engine = bt.DuckDBEngine()
    connection = engine.connection
    connection.execute("SET TimeZone = 'Asia/Kolkata'")  # the page says the session time zone does not matter
    connection.register("arrow_keys", arrow)
    connection.execute("CREATE TABLE keys_table AS SELECT * REPLACE (CAST(u AS UUID) AS u) FROM arrow_keys")
    connection.unregister("arrow_keys")
    types = dict(connection.execute("SELECT column_name, data_type FROM information_schema.columns "
                                    "WHERE table_name = 'keys_table'").fetchall())
    assert types["u"] == "UUID" and types["tz"] == "TIMESTAMP WITH TIME ZONE" and types["ts"] == "TIMESTAMP"
    return engine, data


CASES = ([([c], salt) for c in ("s", "u", "i", "i16", "b", "d", "ts", "tz", "by", "n") for salt in (None, SALT)]
         + [([c, "s"], salt) for c in ("u", "i", "b", "d", "ts", "tz", "by", "n") for salt in (None, SALT)]
         + [(["i", "s", "d"], None), (["tz", "n", "by", "s"], SALT)])


@pytest.mark.parametrize("key,salt", CASES, ids=[f"{'+'.join(k)}-{'salted' if s else 'unsalted'}" for k, s in CASES])
def test_the_documented_key_string_gives_the_tools_split(keyed, key, salt):
    engine, data = keyed
    text_of = kinds()
    rebuilt = []
    for row in range(ROWS):
        texts = [text_of[data[c][0]](data[c][1][row]) for c in key]
        rebuilt.append(expected_split(fingerprint(hashed_string(texts, salt))))
    frame = bt.split(engine, "keys_table", bt.SplitSpec(key=key, salt=salt)).sort_values("id")
    tool = list(frame["split"].astype(str))
    wrong = sum(a != b for a, b in zip(tool, rebuilt))
    assert wrong == 0, f"{wrong} of {ROWS} rows: docs/keys.md's rule disagrees with bqml-tools split"
    assert len(set(tool)) == 3 or key == ["b"]  # two BOOL keys can share a split


def test_the_pages_examples_follow_its_rules():
    text_of = kinds()
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'America/Los_Angeles'")
    for row in table("kind"):
        [[value]] = connection.execute(f"SELECT {unquote(row['DuckDB value'])}").fetchall()
        assert text_of[row["kind"]](value) == unquote(row["text"]), row


def test_the_rule_table_on_known_strings():
    """The templates as read give the strings the page's prose and sessions show."""
    assert hashed_string(["42"], None) == "42"
    assert hashed_string(["42"], "exp-7") == "5:exp-72:42"
    assert hashed_string(["42", "2024-01-31"], "exp-7") == "5:exp-72:4210:2024-01-31"
    assert hashed_string(["Zoë"], "exp-ü") == "5:exp-ü3:Zoë"
    assert hashed_string(["1", "23", "4"], None) == "1:12:231:4"
    assert fingerprint("1footrue") == -1541654101129638711  # the page's fingerprint session


DUCKDB_TYPE = {"STRING": "VARCHAR", "INT64": "BIGINT", "BOOL": "BOOLEAN", "DATE": "DATE", "DATETIME": "TIMESTAMP",
               "TIMESTAMP": "TIMESTAMPTZ", "BYTES": "BLOB", "NUMERIC": "DECIMAL(18, 3)"}


@pytest.mark.parametrize("dialect,quoted", [("bigquery", "`c`"), ("duckdb", '"c"')])
def test_the_pages_sql_is_what_the_templates_render(dialect, quoted):
    """The page's table of SQL expressions names what the split statement hashes, for every kind."""
    covered = set()
    for row in table("kind", 1):
        expression = re.search(r"`([^`]*)`", row["BigQuery" if dialect == "bigquery" else "DuckDB"]).group(1)
        expression = re.sub(r"\bc\b", quoted, expression)
        for kind in row["kind"].split(", "):
            key_type = kind if dialect == "bigquery" else DUCKDB_TYPE[kind]
            spec = bt.SplitSpec(key=["c"], key_types={"c": key_type})
            sql = bt.split_query("my-project.ml.t" if dialect == "bigquery" else "t", spec, dialect).sql
            assert expression in sql, (kind, expression)
            covered.add(kind)
    assert covered == set(KINDS)
