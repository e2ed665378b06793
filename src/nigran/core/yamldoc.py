"""YAML reading that remembers line numbers, so every validation message can say ``FILE:LINE``.

Hardened for files from outside: aliases and anchors are refused (a 600-byte "billion laughs" file would
otherwise expand without bound), duplicate keys are an error instead of the last one silently winning,
documents are bounded in size, and an impossible date (``2025-02-30``) is a ``FILE:LINE`` problem like any
other rather than a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # a 5,000-indicator framework is 2.4 MB; twenty times that is refused


class LineDict(dict[str, Any]):
    """A mapping from YAML with the line of the mapping and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses ~4× faster when present
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise YamlSyntaxError(key_node.start_mark.line + 1, "merge keys (<<) are not allowed")
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int):
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in out:
            raise YamlSyntaxError(line, f"duplicate key {key!r} (first on line {out.key_lines[key]})")
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise YamlSyntaxError(node.start_mark.line + 1, f"invalid date {node.value!r}: {exc}") from None


def _construct_float(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    value = yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)
    if value != value or value in (float("inf"), float("-inf")):
        raise YamlSyntaxError(node.start_mark.line + 1, f"{node.value!r} is not a finite number")
    return value


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _refuse_aliases(text: str) -> None:
    """Anchors and aliases have no use in Nigran's formats and are the vehicle of expansion attacks."""
    if "&" not in text and "*" not in text:
        return
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            raise YamlSyntaxError(event.start_mark.line + 1, "YAML aliases (*name) are not allowed")
        anchor = getattr(event, "anchor", None)
        if anchor:
            raise YamlSyntaxError(event.start_mark.line + 1, "YAML anchors (&name) are not allowed")


def load_yaml(text: str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Parse YAML into line-aware dicts and lists; raises :class:`YamlSyntaxError` with the line."""
    if len(text) > max_bytes:
        raise YamlSyntaxError(1, f"document too large ({len(text):,} characters; limit {max_bytes:,})")
    try:
        _refuse_aliases(text)
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(line, f"YAML syntax error: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, f"YAML syntax error: {exc}") from None
    except RecursionError:
        raise YamlSyntaxError(1, "YAML nested too deeply") from None


def load_yaml_bytes(data: bytes, name: str) -> Any:
    """A document from an outside file's bytes; :class:`InvalidInput` with the file and line otherwise."""
    from nigran.core.problems import InvalidInput, Problem

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 text ({exc.reason}); save the file as UTF-8"
        raise InvalidInput([Problem(line, message, name)]) from None
    try:
        return load_yaml(text)
    except YamlSyntaxError as exc:
        raise InvalidInput([Problem(exc.line, exc.message, name)]) from None


def load_yaml_file(path: Path) -> Any:
    return load_yaml(path.read_text(encoding="utf-8"))


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    pass


def _str_presenter(dumper: Any, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)
_Dumper.add_representer(LineDict, yaml.representer.SafeRepresenter.represent_dict)
_Dumper.add_representer(LineList, yaml.representer.SafeRepresenter.represent_list)
_Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)


__all__ = ["LineDict", "LineList", "YamlSyntaxError", "dump_yaml", "load_yaml", "load_yaml_file"]
