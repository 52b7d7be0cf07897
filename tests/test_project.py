"""project.py on its own: RETURNING and SELECT columns picked out of a decoded answer, and a read
answer's rows found where the manifest says they are."""

from __future__ import annotations

import pytest

from httpql.project import extract, project, project_returning
from httpql.sql.statements import Column

BODY = {"success": True,
        "data": {"id": "ls-1", "status": "LIVE", "stream_key": "k", "viewers": 0, "ended": None,
                 "config": {"height": 720}, "tags": [{"name": "a"}]}}


def col(text: str, alias: str | None = None) -> Column:
    return Column(tuple(text.split(".")) if text != "*" else (), alias)


def test_dotted_paths_walk_into_objects_and_label_the_column_by_its_path():
    row = project(BODY, (col("data.stream_key"), col("data.config.height"), col("success")))
    assert row == {"data.stream_key": "k", "data.config.height": 720, "success": True}
    assert list(row) == ["data.stream_key", "data.config.height", "success"]  # the order asked


def test_an_alias_names_the_column():
    assert project(BODY, (col("data.stream_key", "key"),)) == {"key": "k"}


def test_false_zero_and_null_values_are_kept_as_they_are():
    row = project(BODY, (col("data.viewers"), col("data.ended")))
    assert row == {"data.viewers": 0, "data.ended": None}


@pytest.mark.parametrize("path", ["nope", "data.nope", "data.ended.x", "success.x", "data.tags.name",
                                  "data.tags.0"])
def test_what_the_answer_lacks_is_null_never_an_error(path):
    # through null, a scalar or a list there is nothing to pick: no column path indexes a list
    assert project(BODY, (col(path),)) == {path: None}


def test_star_gives_every_top_level_field_and_mixes_with_paths():
    assert project(BODY, (col("*"),)) == BODY
    assert project(BODY, (col("*"), col("data.id", "id"))) == {**BODY, "id": "ls-1"}
    assert project(BODY, None) == BODY and project(BODY, None) is not BODY


def test_an_answer_that_is_not_an_object_becomes_one_value_column():
    assert project([1, 2], None) == {"value": [1, 2]}
    assert project("OK", (col("value"), col("data"))) == {"value": "OK", "data": None}


def test_rows_at_a_jsonpath_are_the_list_found_there():
    page = {"success": True, "data": [{"id": 1}, {"id": 2}]}
    assert extract(page, "$.data") == [{"id": 1}, {"id": 2}]
    assert extract({"data": {"id": 1}}, "$.data") == [{"id": 1}]  # one object: one row
    assert extract({"other": 1}, "$.data") == []
    assert extract({"a": [{"b": 1}, {"b": 2}]}, "$.a[*].b") == [1, 2]  # a real JSONPath


def test_without_rows_at_the_answer_itself_is_the_rows():
    assert extract([{"id": 1}], None) == [{"id": 1}]
    assert extract({"id": 1}, None) == [{"id": 1}]


def test_returning_a_parameter_of_the_statement_gives_the_value_sent():
    values = {"meeting_id": "m-1", "video_config": {"height": 720}}
    cols = (col("meeting_id"), col("video_config.height"), col("video_config.width"),
            col("data.id"))
    assert project_returning(BODY, cols, values) == {
        "meeting_id": "m-1", "video_config.height": 720, "video_config.width": None,
        "data.id": "ls-1"}


def test_the_answer_wins_over_a_parameter_of_the_same_name():
    assert project_returning({"meeting_id": "from-api"}, (col("meeting_id"),),
                             {"meeting_id": "sent"}) == {"meeting_id": "from-api"}
