"""Manifest YAML read safely, with duplicate keys reported (YAML would keep the last silently)."""

from __future__ import annotations

from pathlib import Path

import yaml

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader):
    """A safe loader that records duplicate mapping keys instead of keeping the last one."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[yaml.Node, yaml.Node, yaml.Node]] = []  # mapping, key, first

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                    continue  # merged keys may be overridden; complex keys are refused later
                key = self.construct_object(key_node)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue
                if first is not key_node:
                    self.duplicates.append((node, key_node, first))
        return super().construct_mapping(node, deep=deep)


def read(path: Path, problems: list[str]) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            loader = _Loader(f)
            try:
                root = loader.get_single_node()
                doc = loader.construct_document(root) if root is not None else None
            finally:
                loader.dispose()
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as e:
        reason = "nests too deeply" if isinstance(e, RecursionError) else str(e).splitlines()[0]
        mark = getattr(e, "problem_mark", None)
        if mark is not None:
            reason += f" (line {mark.line + 1}, column {mark.column + 1})"
        problems.append(f"{path}: not readable YAML: {reason}")
        return None
    if loader.duplicates:
        paths = _key_paths(root)
        for mapping, key_node, first in loader.duplicates:
            at = paths.get(id(mapping), "")
            key = f"{at}.{key_node.value}" if at else key_node.value
            here, there = key_node.start_mark, first.start_mark
            col = here.line == there.line  # in one flow mapping: the columns tell them apart
            problems.append(f"{path}: {key}: duplicate key at {_at(here, col)} (first at "
                            f"{_at(there, col)}); keep only one")
    if not isinstance(doc, dict):
        problems.append(f"{path}: the top level must be a mapping")
        return None
    return doc


def _at(mark, column: bool) -> str:
    return f"line {mark.line + 1}" + (f", column {mark.column + 1}" if column else "")


def _key_paths(root: yaml.Node) -> dict[int, str]:
    """id(node) -> its key path ('parameters.name', 'methods[0]'); built only to name duplicates."""
    paths, stack = {id(root): ""}, [root]
    while stack:
        node = stack.pop()
        base = paths[id(node)]
        if isinstance(node, yaml.MappingNode):
            children = [(f"{base}.{_label(k)}" if base else _label(k), v) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(f"{base}[{i}]", v) for i, v in enumerate(node.value)]
        else:
            continue
        for label, child in children:
            if id(child) not in paths:  # an alias is named by its first place
                paths[id(child)] = label
                stack.append(child)
    return paths


def _label(key: yaml.Node) -> str:
    return str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
