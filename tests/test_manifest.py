"""Provider manifests: the shipped one loads; broken ones list every problem with file and key;
a resource added as YAML only is usable."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

import httpql
from httpql.manifest import default_paths, load_registry
from httpql.manifest.loader import ecma_pattern

SHIPPED = Path(__file__).resolve().parent.parent / "provider"
RESOURCE_FILE = Path("cloudflare") / "realtime_kit" / "livestreams.yaml"


# --- the shipped manifest ---------------------------------------------------------------------

def test_shipped_manifest_loads_with_the_three_methods_in_order():
    reg = load_registry([SHIPPED])
    res = reg.resource(("cloudflare", "realtime_kit", "livestreams"))
    assert res.id == "cloudflare.realtime_kit.livestreams"
    assert [m.name for m in res.methods] == [
        "start_livestreaming_a_meeting", "create_independent_livestream", "stop_livestreaming_a_meeting"]
    start, create, stop = res.methods
    assert (start.verb, start.http_method) == ("insert", "POST")
    assert start.path == "/accounts/{account_id}/realtime/kit/{app_id}/meetings/{meeting_id}/livestreams"
    assert set(start.required) == {"meeting_id", "account_id", "app_id"}
    assert set(start.optional) == {"name", "video_config"}
    assert 201 in start.success_status
    assert (create.verb, create.http_method) == ("insert", "POST")
    assert create.path == "/accounts/{account_id}/realtime/kit/{app_id}/livestreams"
    assert set(create.required) == {"account_id", "app_id"}
    assert set(create.optional) == {"name"}
    assert (stop.verb, stop.http_method) == ("exec", "POST")
    assert stop.path == ("/accounts/{account_id}/realtime/kit/{app_id}/meetings/{meeting_id}"
                         "/active-livestream/stop")
    assert set(stop.required) == {"meeting_id", "account_id", "app_id"}
    assert stop.optional == ()
    assert stop.body_params == ()


def test_shipped_parameters_carry_the_api_constraints():
    res = load_registry([SHIPPED]).resource(("cloudflare", "realtime_kit", "livestreams"))
    p = res.params
    assert p["account_id"].location == "path" and p["account_id"].max_length == 32
    assert p["app_id"].location == "path" and p["app_id"].max_length == 32
    assert p["meeting_id"].location == "path" and p["meeting_id"].format == "uuid"
    assert p["name"].location == "body" and p["name"].pattern.pattern == "^[a-zA-Z0-9-_]*$"
    assert p["name"].pattern.regex.pattern == r"^[a-zA-Z0-9-_]*\Z"  # '$' means the very end
    assert p["video_config"].type == "object"
    assert {k: v.type for k, v in p["video_config"].properties.items()} == {
        "height": "integer", "width": "integer"}


def test_shipped_provider_defaults():
    prov = load_registry([SHIPPED]).provider("cloudflare")
    assert prov.base_url == "https://api.cloudflare.com/client/v4"
    assert prov.auth_type == "bearer"
    assert prov.credentials_env == "CLOUDFLARE_API_TOKEN"


def test_default_paths_include_the_shipped_manifests(monkeypatch):
    monkeypatch.delenv("HTTPQL_PROVIDER_PATH", raising=False)
    reg = load_registry(default_paths())
    assert "cloudflare" in reg.providers


# --- broken manifests -------------------------------------------------------------------------

@pytest.fixture
def tree(tmp_path):
    """A copy of the shipped provider folder to break."""
    shutil.copytree(SHIPPED / "cloudflare", tmp_path / "cloudflare")
    return tmp_path


def edit(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def problems_of(root: Path) -> list[str]:
    with pytest.raises(httpql.ManifestError) as info:
        load_registry([root])
    e = info.value
    assert isinstance(e, httpql.InterfaceError) and isinstance(e, httpql.Error)
    for p in e.problems:  # every problem is in the message too
        assert p in str(e)
    return e.problems


def find(problems: list[str], *parts: str) -> str:
    hits = [p for p in problems if all(x in p for x in parts)]
    assert hits, f"no problem mentions {parts}: {problems}"
    return hits[0]


def _start(doc):
    return doc["methods"][0]


def _param(doc, name):
    return doc["parameters"][name]


def _response(doc, i):
    return doc["methods"][i]["response"]["properties"]


BREAKS = {
    "unknown-verb": (lambda d: _start(d).update(sql_verb="upsert"),
                     ("methods[0]", "sql_verb", "upsert")),
    "undeclared-path-param": (
        lambda d: d["methods"][1].update(
            path="/accounts/{account_id}/realtime/kit/{app_id}/{ghost}/livestreams"),
        ("methods[1]", "path", "ghost")),
    "declared-path-param-not-in-path": (
        lambda d: d["methods"][2].update(path="/accounts/{account_id}/realtime/kit/{app_id}/stop"),
        ("methods[2]", "meeting_id")),
    "duplicate-method": (lambda d: d["methods"].append(dict(d["methods"][1])),
                         ("methods[3]", "create_independent_livestream", "twice")),
    "bad-jsonpath": (lambda d: d["methods"][1].update(rows_at="$[?(("),
                     ("methods[1]", "rows_at", "JSONPath")),
    "bad-regex": (lambda d: d["parameters"]["name"].update(pattern="^[a-z"),
                  ("parameters.name.pattern", "regular expression")),
    "unknown-key": (lambda d: d.update(colour="blue"), ("colour", "unknown key")),
    "unknown-method-key": (lambda d: _start(d).update(verb="insert"), ("methods[0]", "verb", "unknown key")),
    # wrong scalar types
    "outcome-hint-not-a-string": (lambda d: d["methods"][1].update(outcome_hint=5),
                                  ("methods[1]", "outcome_hint", "string", "5")),
    "description-not-a-string": (lambda d: _param(d, "account_id").update(description=["x"]),
                                 ("parameters.account_id.description", "string")),
    "method-description-not-a-string": (lambda d: d["methods"][2].update(description={"a": 1}),
                                        ("methods[2]", "description", "string")),
    "field-description-not-a-string": (
        lambda d: _response(d, 0)["success"].update(description=1.5),
        ("methods[0](start_livestreaming_a_meeting).response.properties.success.description",
         "string")),
    "enum-not-scalars": (lambda d: _param(d, "name").update(enum=[{"a": 1}]),
                         ("parameters.name.enum", "list")),
    "nullable-not-a-boolean": (lambda d: _param(d, "name").update(nullable="yes"),
                               ("parameters.name.nullable", "true or false")),
    "max-length-not-an-integer": (lambda d: _param(d, "app_id").update(maxLength="32"),
                                  ("parameters.app_id.maxLength", "positive integer")),
    "max-length-a-boolean": (lambda d: _param(d, "account_id").update(maxLength=True),
                             ("parameters.account_id.maxLength", "positive integer")),
    "pattern-null": (lambda d: _param(d, "meeting_id").update(pattern=None),
                     ("parameters.meeting_id.pattern", "string")),
    "success-status-out-of-range": (lambda d: d["methods"][2].update(success_status=700),
                                    ("methods[2]", "success_status", "700")),
    "success-status-empty-list": (lambda d: d["methods"][1].update(success_status=[]),
                                  ("methods[1]", "success_status", "non-empty")),
    "success-status-strings": (lambda d: _start(d).update(success_status=["201"]),
                               ("methods[0]", "success_status", "'201'")),
    "rows-at-not-a-string": (lambda d: d["methods"][2].update(rows_at=5),
                             ("methods[2]", "rows_at", "string")),
    "required-not-a-list": (lambda d: d["methods"][2].update(required="meeting_id"),
                            ("methods[2]", "required", "list of parameter names")),
    "parameter-name-not-a-string": (lambda d: d["parameters"].update({True: {"in": "body", "type": "string"}}),
                                    ("parameters.True", "string")),
    # contradictions
    "listed-twice": (lambda d: d["methods"][1].update(optional=["name", "name"]),
                     ("methods[1]", "optional", "'name' more than once")),
    "pattern-on-an-integer": (
        lambda d: _param(d, "video_config")["properties"]["width"].update(pattern="^1"),
        ("parameters.video_config.properties.width.pattern", "only for strings", "integer")),
    "empty-properties": (
        lambda d: d["parameters"].update(extra={"in": "body", "type": "object", "properties": None}),
        ("parameters.extra.properties", "empty")),
    "field-properties-not-object": (
        lambda d: _response(d, 1)["success"].update(properties={"x": {"type": "string"}}),
        ("methods[1](create_independent_livestream).response.properties.success.properties",
         "object")),
    "nullable-path-parameter": (lambda d: _param(d, "app_id").update(nullable=True),
                                ("parameters.app_id.nullable", "path")),
    "rows-at-not-on-select": (lambda d: _start(d).update(rows_at="$.data"),
                              ("methods[0]", "rows_at", "select")),
    "body-parameter-on-get": (lambda d: d["methods"][1].update(http_method="GET"),
                              ("methods[1]", "'name'", "GET")),
    "query-in-path": (lambda d: _start(d).update(path=_start(d)["path"] + "?x=1"),
                      ("methods[0]", "path", "query")),
    "hint-names-no-parameter": (lambda d: d["methods"][2].update(outcome_hint="see {ghost_id}"),
                                ("methods[2]", "outcome_hint", "{ghost_id}")),
}


@pytest.mark.parametrize("case", list(BREAKS))
def test_each_problem_names_file_and_key(tree, case):
    change, parts = BREAKS[case]
    edit(tree / RESOURCE_FILE, change)
    problems = problems_of(tree)
    hit = find(problems, *parts)
    assert str(tree / RESOURCE_FILE) in hit


def test_service_folder_not_declared(tree):
    (tree / "cloudflare" / "other").mkdir()
    shutil.copy(tree / RESOURCE_FILE, tree / "cloudflare" / "other" / "livestreams.yaml")
    problems = problems_of(tree)
    hit = find(problems, "other", "not declared")
    assert str(tree / "cloudflare" / "other" / "livestreams.yaml") in hit


def test_every_problem_is_reported_together(tree):
    def break_all(doc):
        for change, _ in BREAKS.values():
            change(doc)

    edit(tree / RESOURCE_FILE, break_all)
    (tree / "cloudflare" / "other").mkdir()
    (tree / "cloudflare" / "other" / "things.yaml").write_text(
        "name: things\nmethods:\n  - {name: x, sql_verb: exec, http_method: POST, path: /x}\n")
    edit(tree / "cloudflare" / "provider.yaml", lambda d: d.update(flavour="x"))
    problems = problems_of(tree)
    for _, parts in BREAKS.values():
        find(problems, str(tree / RESOURCE_FILE), *parts)
    find(problems, str(tree / "cloudflare" / "other" / "things.yaml"), "not declared")
    find(problems, str(tree / "cloudflare" / "provider.yaml"), "flavour")
    assert len(problems) >= len(BREAKS) + 2
    assert f"{len(problems)} problem" in str(httpql.ManifestError(problems))


def test_problems_in_two_files_are_reported_together(tree):
    edit(tree / RESOURCE_FILE, lambda d: _start(d).update(http_method="FETCH"))
    edit(tree / "cloudflare" / "provider.yaml", lambda d: d.update(base_url="ftp://example.com"))
    problems = problems_of(tree)
    find(problems, str(tree / RESOURCE_FILE), "http_method", "FETCH")
    find(problems, str(tree / "cloudflare" / "provider.yaml"), "base_url")


def test_not_yaml_is_a_manifest_error(tree):
    (tree / RESOURCE_FILE).write_text("name: [unclosed\n")
    find(problems_of(tree), str(tree / RESOURCE_FILE), "YAML")


def test_missing_folder_is_a_manifest_error(tmp_path):
    find(problems_of(tmp_path / "nope"), "nope", "does not exist")


def test_connect_with_a_broken_manifest_raises_manifest_error(tree):
    edit(tree / RESOURCE_FILE, lambda d: _start(d).update(sql_verb="upsert"))
    with pytest.raises(httpql.ManifestError):
        httpql.connect(dry_run=True, provider_paths=[tree])


# --- provider.yaml: types, env names, base URL ----------------------------------------------------

def _auth(doc):
    return doc["auth"]


PROVIDER_BREAKS = {
    "http-base-url": (lambda d: d.update(base_url="http://api.cloudflare.com/client/v4"),
                      ("base_url", "https://", "loopback")),
    "base-url-env-list": (lambda d: d.update(base_url_env=["A"]),
                          ("base_url_env", "environment variable", "['A']")),
    "credentials-env-int": (lambda d: _auth(d).update(credentials_env=7),
                            ("auth.credentials_env", "environment variable", "integer")),
    "version-a-number": (lambda d: d.update(version=1.10), ("version", "string", "1.1")),
    "service-title-not-a-string": (lambda d: d["services"]["realtime_kit"].update(title=3),
                                   ("services.realtime_kit.title", "string")),
    "description-not-a-string": (lambda d: d.update(description=["x"]), ("description", "string")),
    "service-name-a-boolean": (lambda d: d["services"].update({True: {"title": "x"}}),
                               ("services.True", "string")),
}
PROVIDER_ONLY = {  # contradict the cases above, so checked one at a time
    "env-name-with-a-newline": (lambda d: _auth(d).update(credentials_env="CLOUDFLARE_API_TOKEN\n"),
                                ("auth.credentials_env", "environment variable")),
    "env-name-with-a-dash": (lambda d: d.update(base_url_env="CF-BASE-URL"),
                             ("base_url_env", "environment variable")),
    "no-credentials-env-for-bearer": (lambda d: _auth(d).update(credentials_env=None),
                                      ("auth.credentials_env", "bearer")),
    "credentials-env-without-auth": (lambda d: _auth(d).update(type="none"),
                                     ("auth.credentials_env", "none")),
    "auth-a-list": (lambda d: d.update(auth=[]), ("auth", "mapping")),
    "base-url-with-query": (lambda d: d.update(base_url="https://api.example.com/v4?x=1"),
                            ("base_url", "query")),
    "base-url-with-password": (lambda d: d.update(base_url="https://u:secret@api.example.com"),
                               ("base_url", "password")),
    "http-base-url-with-password": (lambda d: d.update(base_url="http://u:secret@example.com"),
                                    ("base_url", "****@example.com", "password")),
    "token-as-credentials-env": (lambda d: _auth(d).update(credentials_env="secret-token.x"),
                                 ("auth.credentials_env", "string (not shown)")),
    "base-url-no-host": (lambda d: d.update(base_url="https://"), ("base_url", "https://")),
    "ftp-base-url": (lambda d: d.update(base_url="ftp://example.com"), ("base_url", "https://")),
}


@pytest.mark.parametrize("case", list(PROVIDER_BREAKS) + list(PROVIDER_ONLY))
def test_each_provider_problem_names_file_and_key(tree, case):
    change, parts = {**PROVIDER_BREAKS, **PROVIDER_ONLY}[case]
    edit(tree / "cloudflare" / "provider.yaml", change)
    problems = problems_of(tree)
    hit = find(problems, *parts)
    assert str(tree / "cloudflare" / "provider.yaml") in hit
    assert "secret" not in "\n".join(problems)  # a password or pasted token is never echoed


def test_every_provider_problem_is_reported_together(tree):
    def break_all(doc):
        for change, _ in PROVIDER_BREAKS.values():
            change(doc)

    edit(tree / "cloudflare" / "provider.yaml", break_all)
    edit(tree / RESOURCE_FILE, lambda d: _param(d, "name").update(nullable="no"))
    problems = problems_of(tree)
    for _, parts in PROVIDER_BREAKS.values():
        find(problems, str(tree / "cloudflare" / "provider.yaml"), *parts)
    find(problems, str(tree / RESOURCE_FILE), "parameters.name.nullable")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v4", "http://localhost:9/v4",
                                 "http://[::1]:9/", "https://api.example.com/v4/"])
def test_https_and_loopback_http_base_urls_load(tree, url):
    edit(tree / "cloudflare" / "provider.yaml", lambda d: d.update(base_url=url))
    assert load_registry([tree]).provider("cloudflare").base_url == url


# --- more contradictions in a resource --------------------------------------------------------

def _swap_first_two(doc):
    doc["methods"][:2] = doc["methods"][1::-1]


RESOURCE_ONLY = {  # each would disturb the cases in BREAKS
    "required-and-optional": (lambda d: _start(d).update(optional=["name", "app_id"]),
                              ("methods[0]", "optional", "'app_id'", "both required and optional")),
    "placeholder-not-in-path": (lambda d: _param(d, "app_id").update({"in": "query"}),
                                ("methods[0]", "path", "{app_id}", "in: query")),
    "unreachable-method": (_swap_first_two,
                           ("methods[1](start_livestreaming_a_meeting)", "INSERT never chooses it",
                            "create_independent_livestream")),
    "unbalanced-brace": (lambda d: d["methods"][1].update(
        path="/accounts/{account_id}/realtime/kit/{app_id}/livestreams}"),
                         ("methods[1]", "path", "unbalanced")),
    "enum-outside-pattern": (lambda d: _param(d, "name").update(enum=["town hall", "ok"]),
                             ("parameters.name.enum", "'town hall'", "pattern")),
    "enum-over-max-length": (lambda d: _param(d, "app_id").update(enum=["a" * 33]),
                             ("parameters.app_id.enum", "maxLength")),
    "enum-on-an-object": (lambda d: _param(d, "video_config").update(enum=[1, 2]),
                          ("parameters.video_config.enum", "only for strings", "object")),
    "enum-empty": (lambda d: _param(d, "name").update(enum=[]), ("parameters.name.enum", "non-empty")),
    "object-in-the-path": (lambda d: _param(d, "app_id").update(type="object"),
                           ("parameters.app_id.type", "path segment")),
    "unknown-type-alone": (lambda d: _param(d, "video_config").update(type="objekt"),
                           ("parameters.video_config.type", "objekt")),
}


@pytest.mark.parametrize("case", list(RESOURCE_ONLY))
def test_each_contradiction_names_file_and_key(tree, case):
    change, parts = RESOURCE_ONLY[case]
    edit(tree / RESOURCE_FILE, change)
    problems = problems_of(tree)
    assert str(tree / RESOURCE_FILE) in find(problems, *parts)
    if case == "unknown-type-alone":  # no follow-on complaint about its properties
        assert len(problems) == 1, problems


def test_resource_name_must_be_an_identifier(tree):
    target = tree / "cloudflare" / "realtime_kit" / "live-streams.yaml"
    (tree / RESOURCE_FILE).rename(target)
    edit(target, lambda d: d.update(name="live-streams"))
    assert str(target) in find(problems_of(tree), "name", "plain identifier")


def test_identifiers_may_not_end_in_a_newline(tree):
    edit(tree / RESOURCE_FILE, lambda d: _start(d).update(name="start\n"))
    find(problems_of(tree), "methods[0].name", "plain identifier")


# --- duplicate YAML keys ----------------------------------------------------------------------

def _line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[nth - 1]


def test_duplicate_keys_are_problems_with_path_and_line(tree):
    path = tree / RESOURCE_FILE
    text = path.read_text()
    text = text.replace("parameters:\n", "parameters:\n  account_id: {in: path, type: integer}\n", 1)
    text = text.replace("  sql_verb: exec\n", "  sql_verb: exec\n  sql_verb: insert\n", 1)
    text = text.replace("      height:\n        type: integer\n",
                        "      height:\n        type: integer\n        type: string\n", 1)
    path.write_text(text)
    problems = problems_of(tree)
    hit = find(problems, str(path), "parameters.account_id:", "duplicate key")
    assert f"line {_line_of(text, '  account_id:', 2)}" in hit
    assert f"first at line {_line_of(text, '  account_id:', 1)}" in hit
    hit = find(problems, str(path), "methods[2].sql_verb:", "duplicate key")
    assert f"line {_line_of(text, 'sql_verb: exec') + 1} (first at line {_line_of(text, 'sql_verb: exec')})" in hit
    find(problems, str(path), "parameters.video_config.properties.height.type:", "duplicate key")
    assert len([p for p in problems if "duplicate key" in p]) == 3


def test_duplicate_keys_in_provider_yaml_are_reported_with_other_problems(tree):
    pfile = tree / "cloudflare" / "provider.yaml"
    pfile.write_text(pfile.read_text() + "base_url: https://other.example.com\n")
    edit(tree / RESOURCE_FILE, lambda d: _start(d).update(sql_verb="upsert"))
    problems = problems_of(tree)
    find(problems, str(pfile), "base_url:", "duplicate key")
    find(problems, str(tree / RESOURCE_FILE), "sql_verb", "upsert")


def test_merge_keys_may_override_without_a_duplicate(tree):
    path = tree / RESOURCE_FILE
    text = path.read_text().replace(
        "  app_id:\n", "  app_id:\n    <<: &segment {in: query, type: string}\n", 1)
    path.write_text(text)
    assert load_registry([tree]).resource(
        ("cloudflare", "realtime_kit", "livestreams")).params["app_id"].location == "path"


def test_not_utf8_is_a_manifest_error(tree):
    (tree / RESOURCE_FILE).write_bytes(b"name: livestreams\xff\n")
    find(problems_of(tree), str(tree / RESOURCE_FILE), "not readable YAML")


def test_yaml_syntax_errors_name_the_line(tree):
    (tree / RESOURCE_FILE).write_text("name: livestreams\nmethods: [unclosed\n")
    find(problems_of(tree), str(tree / RESOURCE_FILE), "not readable YAML", "line ")


# --- .yml files and files that would not be read ----------------------------------------------

def test_yml_files_load_like_yaml(tree):
    (tree / RESOURCE_FILE).rename((tree / RESOURCE_FILE).with_suffix(".yml"))
    (tree / "cloudflare" / "provider.yaml").rename(tree / "cloudflare" / "provider.yml")
    res = load_registry([tree]).resource(("cloudflare", "realtime_kit", "livestreams"))
    assert len(res.methods) == 3


def test_yaml_and_yml_of_one_resource_are_a_duplicate(tree):
    shutil.copy(tree / RESOURCE_FILE, (tree / RESOURCE_FILE).with_suffix(".yml"))
    shutil.copy(tree / "cloudflare" / "provider.yaml", tree / "cloudflare" / "provider.yml")
    problems = problems_of(tree)
    find(problems, str((tree / RESOURCE_FILE).with_suffix(".yml")), "defined twice")
    find(problems, str(tree / "cloudflare" / "provider.yml"), "keep one")


def test_yaml_files_that_would_not_be_read_are_problems(tree):
    shutil.copy(tree / RESOURCE_FILE, tree / "cloudflare" / "livestreams.yaml")
    (tree / "cloudflare" / "realtime_kit" / "old").mkdir()
    shutil.copy(tree / RESOURCE_FILE, tree / "cloudflare" / "realtime_kit" / "old" / "x.yml")
    (tree / "orphan" / "svc").mkdir(parents=True)
    (tree / "orphan" / "svc" / "r.yaml").write_text("name: r\n")
    (tree / "stray.yml").write_text("id: x\n")
    problems = problems_of(tree)
    find(problems, str(tree / "cloudflare" / "livestreams.yaml"), "not read")
    find(problems, str(tree / "cloudflare" / "realtime_kit" / "old" / "x.yml"), "not read")
    find(problems, str(tree / "orphan" / "svc" / "r.yaml"), "no provider.yaml")
    find(problems, str(tree / "stray.yml"), "not read")
    assert len(problems) == 4, problems


# --- patterns mean what JSON Schema means -------------------------------------------------------

@pytest.mark.parametrize("pattern, compiled", [
    (r"^[a-z]*$", r"^[a-z]*\Z"),
    (r"^a$|^b$", r"^a\Z|^b\Z"),
    (r"^\$[0-9]+$", r"^\$[0-9]+\Z"),       # an escaped $ is a dollar sign
    (r"^[$]+$", r"^[$]+\Z"),                # so is one inside a class
    (r"^[]$]$", r"^[]$]\Z"),                # ']' first in a class is a literal
    (r"^[^]$]$", r"^[^]$]\Z"),
    (r"^a\\$", r"^a\\\Z"),                  # an escaped backslash, then the anchor
    (r"^[\]$]$", r"^[\]$]\Z"),
    ("abc", "abc"),
])
def test_pattern_dollar_means_end_of_string(pattern, compiled):
    assert ecma_pattern(pattern) == compiled
    re.compile(compiled)


def test_a_trailing_newline_does_not_match_the_name_pattern():
    with httpql.connect(dry_run=True, token="t") as conn:
        sql = ("INSERT INTO cloudflare.realtime_kit.livestreams (name, account_id, app_id) "
               "VALUES ('abc\n', 'a', 'b')")
        with pytest.raises(httpql.DataError, match="name") as info:
            conn.execute(sql)
        assert "^[a-zA-Z0-9-_]*$" in str(info.value)  # the manifest's pattern, as written
        conn.execute(sql.replace("abc\n", "abc"))  # and without it, the statement plans


# --- a new resource, as YAML only -------------------------------------------------------------

TOY_PROVIDER = """\
id: toy
version: v0
title: Toy
base_url: https://toy.example.com/api
auth:
  type: bearer
  credentials_env: TOY_TOKEN
services:
  widgets:
    title: Widgets
    description: Things to poke.
"""

TOY_RESOURCE = """\
name: gadgets
description: Gadgets that can be poked.
parameters:
  gadget_id: {in: path, type: string, description: The gadget.}
  force: {in: body, type: boolean, description: Poke hard.}
  times: {in: body, type: integer, description: How often.}
  dry: {in: query, type: boolean, description: Pretend.}
fields:
  ok: {type: boolean}
methods:
  - name: poke
    sql_verb: exec
    http_method: POST
    path: /gadgets/{gadget_id}/poke
    required: [gadget_id]
    optional: [force, times, dry]
    description: Poke a gadget.
"""


@pytest.fixture
def toy(tmp_path):
    (tmp_path / "toy" / "widgets").mkdir(parents=True)
    (tmp_path / "toy" / "provider.yaml").write_text(TOY_PROVIDER)
    (tmp_path / "toy" / "widgets" / "gadgets.yaml").write_text(TOY_RESOURCE)
    return tmp_path


def test_yaml_only_resource_is_usable_in_dry_run(toy, monkeypatch):
    monkeypatch.delenv("TOY_TOKEN", raising=False)
    with httpql.connect(dry_run=True, provider_paths=[toy]) as conn:
        assert conn.execute("SHOW PROVIDERS") == [{"name": "toy", "version": "v0"}]
        methods = conn.execute("SHOW METHODS IN toy.widgets.gadgets")
        assert [(m["MethodName"], m["SQLVerb"], m["RequiredParams"]) for m in methods] == [
            ("poke", "EXEC", "gadget_id")]
        [result] = conn.run("EXEC toy.widgets.gadgets.poke @gadget_id='g/1', @force=TRUE, "
                            "@times='3', @dry=FALSE")
        [req] = result.requests
        assert req.method == "POST"
        assert req.url == "https://toy.example.com/api/gadgets/g%2F1/poke?dry=false"
        assert req.body == {"force": True, "times": 3}
        assert "Bearer ****" in result.message
        assert '"force": true' in result.message


def test_yaml_only_resource_checks_its_parameters(toy):
    with httpql.connect(dry_run=True, provider_paths=[toy]) as conn:
        with pytest.raises(httpql.ProgrammingError, match="gadget_id"):
            conn.execute("EXEC toy.widgets.gadgets.poke @force=TRUE")
        with pytest.raises(httpql.DataError, match="times"):
            conn.execute("EXEC toy.widgets.gadgets.poke @gadget_id='g', @times='many'")
        with pytest.raises(httpql.ProgrammingError, match="poke"):
            conn.execute("EXEC toy.widgets.gadgets.pokee @gadget_id='g'")
        with pytest.raises(httpql.NotSupportedError):
            conn.execute("INSERT INTO toy.widgets.gadgets (gadget_id) SELECT 'g'")


def test_yaml_resource_next_to_the_shipped_one(toy):
    with httpql.connect(dry_run=True, provider_paths=[SHIPPED, toy]) as conn:
        names = {r["name"] for r in conn.execute("SHOW PROVIDERS")}
        assert names == {"cloudflare", "toy"}
        assert conn.execute("SHOW RESOURCES IN toy.widgets") == [
            {"name": "gadgets", "id": "toy.widgets.gadgets"}]
