"""Strict reading of request JSON and text rules (issue 9, items 3, 5 and 6)."""

from __future__ import annotations

import json

import pytest

from amlite.api.json_input import MAX_DEPTH, SafeJSONResponse, parse_json
from amlite.domain.errors import InvalidInput
from amlite.domain.names import check_tags, check_text, has_control_characters


@pytest.mark.parametrize("text, target", [
    ('{"a": "\\ud800"}', "a"), ('{"a": {"b": ["x", "\\udfff"]}}', "a.b[1]"), ('{"\\ud83d": 1}', None),
    ('{"a": "nul\\u0000"}', "a"),
])
def test_text_that_no_store_can_hold_is_refused_naming_where(text: str, target: str | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_json(text)
    assert caught.value.code == "InvalidRequestContent"
    assert caught.value.target == target


def test_a_surrogate_pair_is_one_well_formed_character() -> None:
    assert parse_json('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001F600"}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999999", "-1e400"])
def test_numbers_that_are_not_finite_are_refused(number: str) -> None:
    with pytest.raises(InvalidInput):
        parse_json('{"a": ' + number + "}")


def test_ordinary_numbers_are_read() -> None:
    assert parse_json('{"a": 1.5, "b": 1e300, "c": 12345678901234567890}') == {"a": 1.5, "b": 1e300,
                                                                                "c": 12345678901234567890}


def test_nesting_is_bounded_at_the_limit() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for depth in (MAX_DEPTH + 1, 50_000):
        with pytest.raises(InvalidInput, match="nested"):
            parse_json("[" * depth + "]" * depth)
        with pytest.raises(InvalidInput, match="nested"):
            parse_json('{"a": ' * depth + "1" + "}" * depth)


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_json(b'{"a": "\xff"}')


def test_control_characters() -> None:
    assert not has_control_characters("plain text é 😀")
    assert has_control_characters("a\x00b") and has_control_characters("\x7f") and has_control_characters("\x85")
    assert has_control_characters("two\nlines") and not has_control_characters("two\nlines", "\n")
    assert has_control_characters("\ud800")
    with pytest.raises(InvalidInput):
        check_tags({"k": "a\nb"})
    with pytest.raises(InvalidInput):
        check_tags({"k\t": "v"})
    assert check_text("a\r\n\tb", "d", 100) == "a\r\n\tb"
    with pytest.raises(InvalidInput):
        check_text("a\x1bb", "d", 100)


def test_a_response_renders_even_text_that_is_not_well_formed() -> None:
    body = SafeJSONResponse({"tags": {"k": "\ud800"}}).body
    assert json.loads(body) == {"tags": {"k": "\ud800"}}
    assert SafeJSONResponse({"k": "é"}).body == '{"k":"é"}'.encode()
