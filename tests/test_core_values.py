"""The shared rules for numbers, spreadsheet cells, JSON and YAML from outside."""

from __future__ import annotations

import json
import math

import pytest

from nigran.core.cells import neutralise, unguard
from nigran.core.jsonout import dumps
from nigran.core.numbers import NumberError, parse_count, parse_number
from nigran.core.yamldoc import YamlSyntaxError, load_yaml


@pytest.mark.parametrize(
    "text", ["inf", "-inf", "nan", "NaN", "1e999", "1,45", "12,3456", "", "abc", "1.2.3"]
)
def test_numbers_refused(text: str) -> None:
    with pytest.raises(NumberError):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "value"), [("145", 145.0), ("1,450", 1450.0), ("1 450", 1450.0), ("-2.5", -2.5), ("3e2", 300.0)]
)
def test_numbers_read(text: str, value: float) -> None:
    assert parse_number(text) == value


def test_counts_are_whole_and_not_negative() -> None:
    assert parse_count("12") == 12
    for bad in ("-1", "2.5", float("nan"), True):
        with pytest.raises(NumberError):
            parse_count(bad)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'])
def test_formula_text_is_neutralised_and_read_back(text: str) -> None:
    cell = neutralise(text)
    assert cell.startswith("'") and unguard(cell) == text


def test_numbers_and_plain_text_pass_unchanged() -> None:
    assert neutralise(-5) == -5 and neutralise("Peshawar") == "Peshawar" and unguard("'quoted'") == "'quoted'"


def test_json_never_holds_nan_or_infinity() -> None:
    text = dumps({"a": math.nan, "b": [math.inf, -math.inf, 1.5]})
    assert json.loads(text) == {"a": None, "b": [None, None, 1.5]}
    assert "NaN" not in text and "Infinity" not in text


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
        ("when: 2025-02-30\n", 1, "invalid date"),
        ("x: .nan\n", 1, "not a finite number"),
        ("a: &x 1\nb: *x\n", 1, "anchors"),
        ("a: {b: 1}\n<<: {c: 2}\n", 2, "merge keys"),
    ],
)
def test_yaml_refusals_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(YamlSyntaxError) as info:
        load_yaml(text)
    assert info.value.line == line and message in info.value.message


def test_a_billion_laughs_is_refused_at_once() -> None:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(YamlSyntaxError, match="anchors"):  # refused before anything is expanded
        load_yaml("\n".join(rows))


def test_documents_are_bounded() -> None:
    with pytest.raises(YamlSyntaxError, match="too large"):
        load_yaml("a: 1\n" * 10, max_bytes=20)
