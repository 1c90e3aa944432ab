"""Reading Azure ML CLI v2 YAML the way Azure ML reads it, and turning pydantic errors into messages.

Two things PyYAML's ``safe_load`` gets wrong for asset files:

- ``version: 1`` and ``version: "1"`` must both mean the string "1", and a tag ``python: 3.10`` must
  stay "3.10" (``safe_load`` gives the float 3.1). :class:`SourceTextLoader` therefore does not
  resolve ints and floats at all: every plain scalar that is not a bool or null keeps its source
  text, and the pydantic models turn the few fields that really are numbers (``instance_count``,
  an integer input's ``default``) into numbers.
- Errors must name the field (``inputs.lr.type``) and the file, not pydantic's internal location.

``params_override`` follows azure-ai-ml: a list of ``{"dotted.key": value}`` mappings applied on top
of the file's content before validation (the CLI's ``--set`` and ``--name``/``--version``/``--path``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

__all__ = [
    "SourceTextLoader",
    "YamlSchemaError",
    "apply_overrides",
    "format_location",
    "load_yaml_dict",
    "load_yaml_text",
    "raise_from_pydantic",
]


class YamlSchemaError(ValueError):
    """A YAML file does not match its schema; ``field`` is the dotted path of the offending field."""

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None) -> None:
        self.field = field
        self.source = source
        self.detail = message
        where = f"{source}: " if source else ""
        named = f"field '{field}': " if field else ""
        super().__init__(f"{where}{named}{message}")


#: Most nodes a YAML document may expand to once aliases are followed. Azure ML specs have a few
#: hundred; a "billion laughs" document of a few hundred bytes expands to billions, and whoever
#: walks it (validation, ``--set``, JSON encoding) runs out of memory.
MAX_EXPANDED_NODES = 100_000


class SourceTextLoader(yaml.SafeLoader):
    """A safe loader that keeps numbers as the text they were written as (see the module docstring),
    refuses a key given twice in one mapping (PyYAML keeps the last silently, so a file could say
    two things), and refuses documents whose aliases expand past :data:`MAX_EXPANDED_NODES`."""

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found duplicate key '{key_node.value}'", key_node.start_mark)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _check_expansion(root: yaml.Node) -> None:
    """Count the nodes ``root`` expands to, each alias counted as often as it is used, without
    expanding anything: a node's size is computed once. A node that contains itself is refused."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if children_done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            if size[key] > MAX_EXPANDED_NODES:
                raise yaml.YAMLError(f"the document expands to more than {MAX_EXPANDED_NODES} nodes "
                                     "(aliases used too often)")
            continue
        if key in size:
            continue
        if key in on_path:
            raise yaml.YAMLError("the document refers to itself through an alias")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in size)


SourceTextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml_text(text: str, source: str | None = None) -> Any:
    """The value a YAML text holds, read by :class:`SourceTextLoader`; ``YamlSchemaError`` if it
    is not YAML or breaks the loader's rules (duplicate keys, alias bombs, nesting too deep)."""
    try:
        return yaml.load(text, Loader=SourceTextLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise YamlSchemaError(f"not valid YAML: {exc}", source=source) from None
    except RecursionError:
        raise YamlSchemaError("not valid YAML: nested too deeply.", source=source) from None


def _parse_text(text: str, source: str | None) -> dict[str, Any]:
    data = load_yaml_text(text, source)
    if data is None:
        raise YamlSchemaError("the file is empty; it must hold a YAML mapping.", source=source)
    if not isinstance(data, dict):
        raise YamlSchemaError("the file must hold a YAML mapping at the top level.", source=source)
    return data


def load_yaml_dict(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The mapping a YAML file holds, numbers kept as their source text."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlSchemaError(f"the file '{file}' does not exist.") from None
    except IsADirectoryError:
        raise YamlSchemaError(f"'{file}' is a directory, not a YAML file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlSchemaError(f"cannot read '{file}': {exc}") from None
    return _parse_text(text, str(file))


def _override_value(value: Any) -> Any:
    """Values from ``--set k=v`` arrive as text: parse them as YAML scalars/flows, numbers kept as text."""
    if isinstance(value, str):
        try:
            parsed = load_yaml_text(value)
        except YamlSchemaError:
            return value
        return value if parsed is None and value.strip() not in ("null", "~") else parsed
    return value


def apply_overrides(data: dict[str, Any], params_override: Sequence[Mapping[str, Any]] | None) -> dict[str, Any]:
    """Apply azure-ai-ml style overrides (``[{"tags.owner": "me"}, {"version": "2"}]``) in order."""
    result = dict(data)
    for override in params_override or []:
        for dotted, raw in override.items():
            keys = [k for k in str(dotted).split(".") if k]
            if not keys:
                raise YamlSchemaError(f"cannot override an empty key ({dotted!r}).")
            target = result
            for key in keys[:-1]:
                nxt = target.get(key)
                if not isinstance(nxt, dict):
                    nxt = {}
                else:
                    nxt = dict(nxt)
                target[key] = nxt
                target = nxt
            target[keys[-1]] = _override_value(raw)
    return result


def format_location(loc: Sequence[int | str]) -> str:
    """``("inputs", "lr", "type")`` → ``inputs.lr.type``; list indexes as ``[0]``.

    Discriminated unions add the tag to the location (``environment.function-after[...]``): those
    internal segments are dropped so the path is the YAML's.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = str(part)
        if ("[" in text or "(" in text or text.startswith(("function-", "tagged-union", "union"))
                or text in _INTERNAL_SEGMENTS):
            continue
        out = f"{out}.{text}" if out else text
    return out


#: Location segments pydantic adds for unions (tags and member types), not YAML keys.
_INTERNAL_SEGMENTS = frozenset({"str", "int", "float", "bool", "dict", "list", "reference", "inline",
                                "mpi", "pytorch", "tensorflow", "ray"})

_PYDANTIC_PREFIX = re.compile(r"^(Value error|Assertion failed), ")


def raise_from_pydantic(exc: ValidationError, source: str | None, prefix: str = "") -> YamlSchemaError:
    """One error naming the first offending field (all of them in the message when there are few)."""
    errors = exc.errors(include_url=False)
    parts: list[str] = []
    first_field: str | None = None
    for err in errors[:5]:
        field = format_location(err.get("loc", ()))
        if prefix:
            field = f"{prefix}.{field}" if field else prefix
        if first_field is None:
            first_field = field or None
        message = _PYDANTIC_PREFIX.sub("", str(err.get("msg", "invalid value")))
        if err.get("type") == "extra_forbidden":
            message = "unknown field (not in the Azure ML schema)"
        elif err.get("type") == "missing":
            message = "required field is missing"
        parts.append(f"'{field}': {message}" if field else message)
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    if len(errors) == 1:
        only = parts[0].split(": ", 1)[1] if first_field else parts[0]
        return YamlSchemaError(only, field=first_field, source=source)
    error = YamlSchemaError("; ".join(parts), source=source)
    error.field = first_field  # the first offender, for callers that point at one field
    return error
