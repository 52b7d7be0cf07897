"""Provider manifests: the shipped one loads; broken ones list every problem with file and key;
a resource added as YAML only is usable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import httpql
from httpql.manifest import default_paths, load_registry

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
    "bad-jsonpath": (lambda d: d["methods"][1].update(object_key="$[?(("),
                     ("methods[1]", "object_key", "JSONPath")),
    "bad-regex": (lambda d: d["parameters"]["name"].update(pattern="^[a-z"),
                  ("parameters.name.pattern", "regular expression")),
    "unknown-key": (lambda d: d.update(colour="blue"), ("colour", "unknown key")),
    "unknown-method-key": (lambda d: _start(d).update(verb="insert"), ("methods[0]", "verb", "unknown key")),
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
