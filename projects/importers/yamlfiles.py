"""Small YAML files (hparams.yaml, MLflow's meta.yaml) read as plain data, never code."""

from __future__ import annotations

import pathlib

import yaml


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader that reads Python-tagged nodes (Lightning may save a Namespace) as plain data."""


# libyaml's loader is about ten times quicker (an MLflow store has a meta.yaml per run), but it
# recurses in C without Python's depth guard, so it only gets flat documents (see _is_flat).
_FastYamlLoader = (
    type("_FastYamlLoader", (yaml.CSafeLoader,), {}) if yaml.__with_libyaml__ else _YamlLoader
)


def _construct_tagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


for _loader in {_YamlLoader, _FastYamlLoader}:
    _loader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_tagged)
    _loader.add_multi_constructor("!", _construct_tagged)

YAML_MAX_BYTES = 1024 * 1024


def load_yaml(path: pathlib.Path):
    """A small YAML file as plain data (never runs code); ValueError when it cannot be read."""
    if path.stat().st_size > YAML_MAX_BYTES:
        raise ValueError(f"it is larger than {YAML_MAX_BYTES // 1024} KB")
    with open(path, "rb") as handle:
        return parse_yaml(handle.read())


def parse_yaml(raw: bytes):
    """YAML bytes as plain data (never runs code); ValueError when they cannot be read."""
    if len(raw) > YAML_MAX_BYTES:
        raise ValueError(f"it is larger than {YAML_MAX_BYTES // 1024} KB")
    loader = _FastYamlLoader if _is_flat(raw) else _YamlLoader
    try:
        return yaml.load(raw.decode("utf-8-sig", errors="replace"), Loader=loader)  # noqa: S506
    except (yaml.YAMLError, RecursionError) as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else "not valid YAML"
        raise ValueError(problem) from None


def _is_flat(raw: bytes) -> bool:
    """Top-level "key: value" lines with a few brackets at most: nesting cannot go deep."""
    if raw.count(b"[") + raw.count(b"{") >= 32:
        return False
    return not any(line[:1] in b" \t-?" for line in raw.splitlines() if line)
