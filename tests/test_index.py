"""Start-up reads an index, not every manifest: files already found valid load when first named;
a new or changed file is checked when the connection opens."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import httpql
from httpql.manifest import load_registry
from httpql.manifest.index import Index

SHIPPED = Path(__file__).resolve().parent.parent / "provider"
LIVE = ("cloudflare", "realtime_kit", "livestreams")


@pytest.fixture
def tree(tmp_path):
    shutil.copytree(SHIPPED / "cloudflare", tmp_path / "cloudflare")
    return tmp_path


def test_second_start_loads_nothing_until_a_resource_is_named(tree, tmp_path):
    index_file = tmp_path / "index.json"
    first = load_registry([tree], index=Index(index_file))
    assert len(first.service(LIVE[:2]).resources._loaded) == 27  # read and checked once
    again = load_registry([tree], index=Index(index_file))
    resources = again.service(LIVE[:2]).resources
    assert resources._loaded == {} and len(resources) == 27
    # SHOW METHODS and SHOW RESOURCES EXTENDED are answered from the index
    assert [m["name"] for m in again.summary(LIVE)] == [
        "start_livestreaming_a_meeting", "create_independent_livestream",
        "stop_livestreaming_a_meeting"]
    assert resources.description("livestreams").startswith("Creates, starts and stops")
    assert resources._loaded == {}
    assert again.resource(LIVE).method("stop_livestreaming_a_meeting").verb == "exec"
    assert list(resources._loaded) == ["livestreams"]


def test_a_file_changed_after_indexing_is_checked_at_connect(tree, tmp_path):
    index_file = tmp_path / "index.json"
    load_registry([tree], index=Index(index_file))
    target = tree / "cloudflare" / "realtime_kit" / "presets.yaml"
    target.write_text(target.read_text().replace("sql_verb: delete", "sql_verb: remove"))
    with pytest.raises(httpql.ManifestError) as info:
        load_registry([tree], index=Index(index_file))
    assert str(target) in str(info.value) and "remove" in str(info.value)


def test_an_unreadable_index_is_rebuilt(tree, tmp_path):
    index_file = tmp_path / "index.json"
    index_file.write_text("{not json")
    reg = load_registry([tree], index=Index(index_file))
    assert len(reg.service(LIVE[:2]).resources) == 27
    assert '"format"' in index_file.read_text()


def test_show_methods_starts_without_yaml_or_the_manifest_parser(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTTPQL_", "CLOUDFLARE_"))}
    env["HTTPQL_CACHE_DIR"] = str(tmp_path)
    code = ("import sys; from httpql.cli.main import main; sys.argv = ['httpql', 'exec', "
            "'-o', 'json', 'SHOW METHODS IN cloudflare.realtime_kit.meetings']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('yaml', 'httpql.manifest.resource', 'sqlglot', 'httpx') "
            "if m in sys.modules), file=sys.stderr)")
    cold = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "refresh_participant_token" in cold.stdout
    warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert warm.stdout == cold.stdout
    assert warm.stderr.strip() == "[]", warm.stderr


def test_a_shape_learnt_in_earlier_runs_is_filled_without_sqlglot_or_yaml(tmp_path):
    """The third run of a statement shape imports neither sqlglot (the shape is learnt) nor
    yaml (the resource is read from its checked JSON copy)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTTPQL_", "CLOUDFLARE_"))}
    env["HTTPQL_CACHE_DIR"] = str(tmp_path)
    code = ("import sys; from httpql.cli.main import main; sys.argv = ['httpql', 'exec', "
            "'--dry-run', '-o', 'json', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('sqlglot' in sys.modules or 'yaml' in sys.modules, file=sys.stderr)")

    def run(name, account="acc"):
        sql = ("INSERT INTO cloudflare.realtime_kit.livestreams (name, account_id, app_id) "
               f"SELECT '{name}', '{account}', 'app' RETURNING data.id")
        return subprocess.run([sys.executable, "-c", code, sql], env=env, capture_output=True,
                              text=True)

    first, second, third = run("one"), run("two"), run("three", "it''s")
    assert [r.stderr.strip().splitlines()[-1] for r in (first, second, third)] == [
        "True", "True", "False"]
    assert '"name": "two"' in second.stdout and '"name": "three"' in third.stdout
    assert "/accounts/it%27s/realtime" in third.stdout
    bad_value = run("four", "x" * 33)  # checks still run on a filled shape
    assert "at most 32" in bad_value.stderr and bad_value.stderr.strip().endswith("False")
    # a syntax error in the same shape's neighbourhood is still the parser's error
    bad = run("x' 'y")
    assert bad.stderr.strip().endswith("True") and "error" in bad.stderr
