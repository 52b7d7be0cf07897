"""bind.py on its own: a SQL or Python value checked against one manifest parameter and converted
to the JSON value that is sent, or a DataError / ProgrammingError that names the value."""

from __future__ import annotations

import datetime
import decimal
import enum
import re
import uuid

import pytest

from httpql.bind import MAX_JSON_DEPTH, MAX_VALUE_CHARS, bind, load_json, python_value, shown
from httpql.errors import DataError, ProgrammingError
from httpql.manifest.model import Param, Pattern
from httpql.sql.statements import Placeholder


def param(type_, **kw) -> Param:
    return Param(name="p", type=type_, **kw)


def refused(p: Param, value, *, top: bool = True) -> str:
    with pytest.raises(DataError) as info:
        bind(p, value, "col", top=top)
    assert "col" in str(info.value)  # every message names where the value came from
    return str(info.value)


# --- conversions a stackql template needs: every value arrives quoted ---------------------------

@pytest.mark.parametrize(("type_", "text", "sent"), [
    ("integer", "20", 20), ("integer", " -3 ", -3), ("number", "2.5", 2.5), ("number", "7", 7),
    ("boolean", "TRUE", True), ("boolean", "false", False),
])
def test_quoted_scalars_convert_at_the_top_level(type_, text, sent):
    got = bind(param(type_), text, "col")
    assert got == sent and type(got) is type(sent)


def test_inside_json_a_quoted_number_is_not_a_number():
    assert "must be an integer, got string '20'" in refused(param("integer"), "20", top=False)
    assert bind(param("integer"), 20.0, "col", top=False) == 20  # JSON's 20.0 is the integer 20


@pytest.mark.parametrize(("type_", "value", "words"), [
    ("integer", "twenty", "must be an integer, got string 'twenty'"),
    ("integer", True, "must be an integer, got boolean true"),
    ("integer", 2.5, "must be an integer, got number 2.5"),
    ("number", "abc", "must be a number, got string 'abc'"),
    ("boolean", 1, "must be TRUE or FALSE, got integer 1"),
    ("boolean", "yes", "must be TRUE or FALSE"),
    ("string", 720, "must be a string, got integer 720 (quote it: '720')"),
])
def test_wrong_types_are_named_with_the_value(type_, value, words):
    assert words in refused(param(type_), value)


def test_an_over_long_integer_is_refused_plainly():
    assert "digits; no API takes such an integer" in refused(param("integer"), "9" * 5000)


def test_null_is_refused_unless_the_parameter_is_nullable():
    assert refused(param("integer"), None) == "col cannot be NULL: give an integer"
    assert refused(param("string"), None) == "col cannot be NULL: give a string"
    assert bind(param("string", nullable=True), None, "col") is None
    # a path segment can never be null, whatever the manifest says
    assert "cannot be NULL" in refused(param("string", nullable=True, location="path"), None)


def test_not_a_number_and_infinity_are_not_json():
    assert "JSON has no NaN or infinity" in refused(param("number"), float("nan"))
    assert "JSON has no NaN or infinity" in refused(param("number"), decimal.Decimal("Infinity"))


# --- strings: formats, patterns, enums, lengths --------------------------------------------------

def test_uuid_format_takes_only_the_canonical_form():
    p = param("string", format="uuid")
    good = "123e4567-e89b-12d3-a456-426614174000"
    assert bind(p, good, "col") == good
    for bad in ("not-a-uuid", "{" + good + "}", "urn:uuid:" + good, good + "\n"):
        assert "must be a UUID like" in refused(p, bad)


def test_pattern_enum_and_max_length():
    p = param("string", pattern=Pattern("^[a-z]+$", re.compile(r"^[a-z]+\Z")))
    assert bind(p, "abc", "col") == "abc"
    assert "must match the pattern ^[a-z]+$, got 'abc\\n'" in refused(p, "abc\n")
    assert "must be one of LIVE, OFFLINE, got 'live'" in refused(
        param("string", enum=("LIVE", "OFFLINE")), "live")
    assert "is 4 characters long; at most 3 are allowed" in refused(
        param("string", max_length=3), "abcd")


def test_every_string_has_an_overall_limit_and_must_be_valid_unicode():
    assert f"the limit is {MAX_VALUE_CHARS:,}" in refused(param("string"), "x" * (MAX_VALUE_CHARS + 1))
    assert "lone surrogate" in refused(param("string"), "a\ud800b")


def test_an_empty_path_segment_is_refused():
    assert refused(param("string", location="path"), "") == "col cannot be empty"
    assert bind(param("string"), "", "col") == ""  # an empty body string is a real value


def test_an_unfilled_template_is_never_sent():
    assert "still holds the template {{ app_id }}" in refused(param("string"), "{{ app_id }}")


def test_an_unbound_placeholder_is_a_programming_error_naming_it():
    with pytest.raises(ProgrammingError, match=r"col is the placeholder \?2, but no value"):
        bind(param("string"), Placeholder(1), "col")
    with pytest.raises(ProgrammingError, match=r"col is the placeholder :meeting"):
        bind(param("string"), Placeholder("meeting"), "col")


# --- objects and arrays ---------------------------------------------------------------------------

VIDEO = param("object", properties={"height": param("integer"), "width": param("integer")},
              required=("height",))


def test_json_text_becomes_an_object_checked_key_by_key():
    assert bind(VIDEO, '{"height": 720, "width": 1280}', "video") == {"height": 720, "width": 1280}
    assert bind(VIDEO, {"height": 720}, "video") == {"height": 720}  # a dict from Python too
    assert "col.width must be an integer, got string '1280'" in refused(
        VIDEO, '{"height": 720, "width": "1280"}')


def test_object_errors_say_what_a_good_value_looks_like():
    assert "unknown key 'depth'; valid keys: height, width" in refused(VIDEO, '{"height": 1, "depth": 2}')
    assert "lacks required key(s) height" in refused(VIDEO, '{"width": 2}')
    assert "must be a JSON object like" in refused(VIDEO, "[1, 2]")
    assert "is not valid JSON: Expecting value at line 1 column 1" in refused(VIDEO, "nope")


def test_array_items_are_checked_with_their_index():
    tags = param("array", items=param("string"))
    assert bind(tags, '["a", "b"]', "tags") == ["a", "b"]
    with pytest.raises(DataError, match=r"tags\[1\] must be a string, got integer 2"):
        bind(tags, '["a", 2]', "tags")


def test_a_parameter_of_any_type_sends_text_as_text_and_checks_the_rest():
    anything = param(None)
    assert bind(anything, "hello", "col") == "hello"
    assert bind(anything, {"a": [1, None]}, "col") == {"a": [1, None]}
    assert bind(anything, None, "col") is None
    with pytest.raises(DataError, match=r"col\.a is a Python set"):
        bind(anything, {"a": {1, 2}}, "col")


# --- load_json on its own ---------------------------------------------------------------------------

def test_load_json_refuses_what_json_readers_disagree_on():
    with pytest.raises(DataError, match="gives the key 'a' twice"):
        load_json('{"a": 1, "a": 2}', "v", "an object")
    with pytest.raises(DataError, match="NaN is not JSON"):
        load_json('{"a": NaN}', "v", "an object")


def test_load_json_limits_depth_without_recursing():
    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(ok, "v", "x")
    with pytest.raises(DataError, match=f"nests more than {MAX_JSON_DEPTH} levels"):
        load_json("[" + ok + "]", "v", "x")
    with pytest.raises(DataError, match="nests too deeply|nests more than"):
        load_json("[" * 100_000 + "]" * 100_000, "v", "x")


def test_load_json_wants_string_keys_and_json_types_all_through():
    with pytest.raises(DataError, match="key that is not a string"):
        load_json({1: "a"}, "v", "an object")
    with pytest.raises(DataError, match=r"holds \{1\}, which JSON cannot carry; expected an object"):
        load_json({"a": [{1}]}, "v", "an object")


# --- Python values ---------------------------------------------------------------------------------

class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(("value", "sent"), [
    (uuid.UUID("123e4567-e89b-12d3-a456-426614174000"), "123e4567-e89b-12d3-a456-426614174000"),
    (datetime.date(2024, 5, 1), "2024-05-01"),
    (datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone.utc), "2024-05-01T12:30:00+00:00"),
    (decimal.Decimal("3"), 3), (decimal.Decimal("2.5"), 2.5),
    (Colour.RED, "red"),
    ((1, decimal.Decimal("2")), [1, 2]),
    ({"when": datetime.date(2024, 1, 2)}, {"when": "2024-01-02"}),
])
def test_python_values_bind_as_what_they_mean(value, sent):
    got = python_value(value, "col")
    assert got == sent and type(got) is type(sent)


def test_a_python_value_without_one_json_meaning_is_named():
    with pytest.raises(DataError, match=r"col\.x is a Python set; values must be"):
        python_value({"x": {1}}, "col")


def test_describe_shows_type_and_a_short_value():
    assert shown(None) == "null"
    assert shown("x") == "string 'x'"
    assert shown([1, 2]) == "array [1, 2]"
    long = shown("y" * 100)  # cut to 40 characters of value
    assert long.startswith("string 'yyy") and long.endswith("...") and len(long) == len("string ") + 40
