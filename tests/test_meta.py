"""meta.py on its own: SHOW and DESCRIBE answered from a small registry built here, with no
manifest files and no requests."""

from __future__ import annotations

import pytest

from httpql.errors import ProgrammingError
from httpql.manifest.model import Method, Param, Provider, Registry, Resource, Resources, Service
from httpql.meta import describe, insert_template, like_matcher, show
from httpql.sql import statements as st

ACCOUNT = Param("account_id", "string", "path", "The account")
NAME = Param("name", "string", description="What to call it")
VIDEO = Param("video_config", "object", properties={
    "height": Param("height", "integer", description="Pixels")})
MEETING = Param("meeting_id", "string", "path", format="uuid")


def method(name, verb, required, optional=(), **kw) -> Method:
    params = {p.name: p for p in (*required, *optional)}
    return Method(name=name, verb=verb, http_method=kw.pop("http", "POST"), path="/x",
                  required=tuple(p.name for p in required),
                  optional=tuple(p.name for p in optional), params=params,
                  success_status=(200,), **kw)


STREAMS = Resource("acme", "video", "streams", "Live streams", [
    method("stop_stream", "exec", [MEETING, ACCOUNT], description="Stop it"),
    method("start_stream", "insert", [MEETING, ACCOUNT], [NAME]),
    method("create_stream", "insert", [ACCOUNT], [NAME, VIDEO], description="A new one",
           response=Param("answer", "object", properties={
               "data": Param("data", "object", description="The stream", properties={
                   "id": Param("id", "string", description="Its id")}),
               "success": Param("success", "boolean")})),
    method("get_stream", "select", [ACCOUNT], http="GET"),
])
HOOKS = Resource("acme", "video", "hooks", "Webhooks", [method("hook", "exec", [ACCOUNT])])


@pytest.fixture
def registry() -> Registry:
    resources = Resources()
    resources["streams"] = STREAMS
    resources["hooks"] = HOOKS
    service = Service("acme", "video", "Video", "Video things", resources)
    provider = Provider("acme", "v2", "Acme", "", "https://api.example.com", None, "bearer", None,
                        {"video": service})
    return Registry({"acme": provider})


def run_show(registry, kind, target=(), **kw):
    return show(registry, st.Show(kind, tuple(target), text=f"SHOW {kind}", **kw))


def test_show_providers_services_and_resources(registry):
    assert run_show(registry, "PROVIDERS") == (["name", "version"], [{"name": "acme", "version": "v2"}])
    cols, rows = run_show(registry, "SERVICES", ["acme"], extended=True)
    assert cols == ["id", "name", "title", "description"]
    assert rows == [{"id": "video:v2", "name": "video", "title": "Video", "description": "Video things"}]
    cols, rows = run_show(registry, "RESOURCES", ["acme", "video"], like="%STR%")
    assert (cols, rows) == (["name", "id"], [{"name": "streams", "id": "acme.video.streams"}])


def test_show_methods_lists_by_verb_then_in_the_order_they_are_tried(registry):
    cols, rows = run_show(registry, "METHODS", ["acme", "video", "streams"])
    assert cols == ["MethodName", "RequiredParams", "OptionalParams", "SQLVerb"]
    assert [(r["MethodName"], r["SQLVerb"]) for r in rows] == [
        ("get_stream", "SELECT"), ("start_stream", "INSERT"), ("create_stream", "INSERT"),
        ("stop_stream", "EXEC")]
    assert rows[2]["RequiredParams"] == "account_id"
    assert rows[2]["OptionalParams"] == "name, video_config"


def test_show_methods_where_and_extended(registry):
    where = ("or", ("cmp", "=", "sqlverb", "INSERT"), ("like", "MethodName", "STOP%"))
    cols, rows = run_show(registry, "METHODS", ["acme", "video", "streams"], where=where,
                          extended=True)
    assert cols[-1] == "description"
    assert [(r["MethodName"], r["description"]) for r in rows] == [
        ("start_stream", ""), ("create_stream", "A new one"), ("stop_stream", "Stop it")]


def test_show_where_on_an_unknown_column_names_the_columns_and_the_statement(registry):
    with pytest.raises(ProgrammingError) as info:
        run_show(registry, "METHODS", ["acme", "video", "streams"], where=("null", "verb"))
    assert "unknown column 'verb' (columns: MethodName, RequiredParams, OptionalParams, SQLVerb)" \
        in str(info.value)
    assert info.value.statement == "SHOW METHODS"


def test_show_names_the_unknown_resource_with_a_suggestion(registry):
    with pytest.raises(ProgrammingError, match="unknown resource 'stream'.*did you mean 'streams'"):
        run_show(registry, "METHODS", ["acme", "video", "stream"])


def test_show_insert_gives_a_template_of_the_first_insert_method(registry):
    [row] = run_show(registry, "INSERT", ["acme", "video", "streams"])[1]
    assert row["insert_statement"] == "\n".join([
        "INSERT INTO acme.video.streams (", "meeting_id,", "account_id,", "name", ")", "SELECT",
        "'{{ meeting_id }}', -- required, string (uuid)",
        "'{{ account_id }}', -- required, string",
        "'{{ name }}' -- optional, string", ";"])


def test_show_insert_required_only_and_of_one_method(registry):
    stmt = st.Show("INSERT", ("acme", "video", "streams", "create_stream"), hints=("REQUIRED",))
    assert insert_template(registry, stmt) == (
        "INSERT INTO acme.video.streams (\naccount_id\n)\nSELECT\n"
        "'{{ account_id }}' -- required, string\n;")


def test_show_insert_refuses_a_method_or_resource_that_does_not_insert(registry):
    with pytest.raises(ProgrammingError, match="stop_stream is an EXEC method"):
        run_show(registry, "INSERT", ["acme", "video", "streams", "stop_stream"])
    with pytest.raises(ProgrammingError, match="acme.video.hooks has no INSERT method"):
        run_show(registry, "INSERT", ["acme", "video", "hooks"])


def test_describe_lists_answer_fields_then_parameters_with_where_they_go(registry):
    cols, rows = describe(registry, st.Describe(("acme", "video", "streams")))
    assert cols == ["name", "type", "kind"]
    assert rows == [
        {"name": "data", "type": "object", "kind": "field"},
        {"name": "data.id", "type": "string", "kind": "field"},
        {"name": "success", "type": "boolean", "kind": "field"},
        {"name": "meeting_id", "type": "string", "kind": "path parameter"},
        {"name": "account_id", "type": "string", "kind": "path parameter"},
        {"name": "name", "type": "string", "kind": "body parameter"},
        {"name": "video_config", "type": "object", "kind": "body parameter"},
        {"name": "video_config.height", "type": "integer", "kind": "body parameter"},
    ]


def test_describe_extended_adds_descriptions(registry):
    cols, rows = describe(registry, st.Describe(("acme", "video", "streams"), extended=True))
    assert cols[-1] == "description"
    described = {r["name"]: r["description"] for r in rows}
    assert described["data.id"] == "Its id" and described["video_config.height"] == "Pixels"


def test_describe_of_an_unknown_resource_carries_the_statement(registry):
    with pytest.raises(ProgrammingError) as info:
        describe(registry, st.Describe(("acme", "video", "nothing"), text="DESCRIBE x"))
    assert info.value.statement == "DESCRIBE x"


@pytest.mark.parametrize(("pattern", "text", "matches"), [
    ("%live%", "LIVESTREAMS", True), ("live_", "lives", True), ("live_", "live", False),
    ("a.b", "axb", False), ("100%", "100% sure", True), ("%", "two\nlines", True),
])
def test_like_is_sql_like_without_regard_to_case(pattern, text, matches):
    assert bool(like_matcher(pattern)(text)) is matches
