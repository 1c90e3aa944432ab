"""Output formats of the CLI, as az prints them: json, jsonc, yaml, table, tsv and none.

Commands return plain data in the shape az prints (azure-ai-ml's entity dicts for ``ml``, az's own
shapes elsewhere); this module adds ``resourceGroup`` to every object with an ARM id below a
resource group (az's global result transform), applies ``--query`` (JMESPath) and then renders. A command may provide a *table transformer* that
picks readable columns; as in az it is used only when no ``--query`` reshaped the result.
"""

from __future__ import annotations

import io
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import jmespath
import jmespath.exceptions

__all__ = [
    "FORMATS",
    "InvalidQueryError",
    "TableTransformer",
    "add_resource_group",
    "apply_query",
    "format_output",
    "format_table",
    "format_tsv",
]

FORMATS = ("json", "jsonc", "yaml", "yamlc", "table", "tsv", "none")

TableTransformer = Callable[[Any], list[dict[str, Any]]]


class InvalidQueryError(ValueError):
    """The ``--query`` string is not valid JMESPath."""


def _group_in_id(value: Any) -> str | None:
    """The resource group of ``[prefix]/subscriptions/S/resourceGroups/G/providers/NS/type/name...``."""
    if not isinstance(value, str):
        return None
    parts = value.split("/")
    if len(parts) > 8 and parts[3].lower() == "resourcegroups":
        return parts[4]
    return None


def add_resource_group(result: Any) -> Any:
    """A copy of ``result`` where each object (at any depth) whose ``id`` names a resource in a group
    has ``resourceGroup``, as az adds to every command's result before ``--query`` sees it."""
    if isinstance(result, list):
        return [add_resource_group(item) for item in result]
    if isinstance(result, dict):
        out = {key: add_resource_group(value) for key, value in result.items()}
        if not any(str(k).lower() == "resourcegroup" for k in out):
            group = _group_in_id(out.get("id"))
            if group is not None:
                out["resourceGroup"] = group
        return out
    return result


def apply_query(result: Any, query: str | None) -> Any:
    """Apply a JMESPath ``--query`` to the result (no-op without a query)."""
    if not query:
        return result
    try:
        # OrderedDict keeps a multiselect hash ({a: x, b: y}) in the order the query wrote it;
        # tsv honours that order (as az does), while plain dicts print with sorted keys.
        return jmespath.search(query, result, options=jmespath.Options(dict_cls=OrderedDict))
    except jmespath.exceptions.JMESPathError as exc:
        raise InvalidQueryError(f"argument --query: invalid jmespath_type value: {query!r}: {exc}") from exc


def format_json(result: Any) -> str:
    return json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def format_jsonc(result: Any) -> str:
    """JSON with colours (az's ``jsonc``), rendered by Rich's JSON highlighter."""
    from rich.console import Console
    from rich.json import JSON

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=10_000)
    console.print(JSON(format_json(result), indent=2, sort_keys=True))
    return buffer.getvalue().rstrip("\n")


def format_yaml(result: Any) -> str:
    import yaml

    return str(yaml.safe_dump(result, default_flow_style=False, sort_keys=True, allow_unicode=True)).rstrip("\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple))


def _capitalize(key: str) -> str:
    return key[:1].upper() + key[1:]


def _auto_rows(result: Any) -> list[dict[str, Any]]:
    """az's automatic table: scalar fields of each object, keys capitalised, nested ones skipped."""
    items = result if isinstance(result, list) else [result]
    rows: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            rows.append({_capitalize(str(k)): v for k, v in item.items() if _is_scalar(v)})
        else:
            rows.append({"Result": item})
    return rows


def format_table(result: Any, transformer: TableTransformer | None = None) -> str:
    """Plain text table: header, a dashed rule, then rows; columns separated by two spaces."""
    if result is None or result == [] or result == {}:
        return ""
    rows = transformer(result) if transformer else _auto_rows(result)
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    if not columns:
        return ""
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    widths = [max([len(col), *(len(r[i]) for r in cells)]) for i, col in enumerate(columns)]
    lines = [
        "  ".join(col.ljust(widths[i]) for i, col in enumerate(columns)).rstrip(),
        "  ".join("-" * widths[i] for i in range(len(columns))),
    ]
    lines.extend("  ".join(r[i].ljust(widths[i]) for i in range(len(columns))).rstrip() for r in cells)
    return "\n".join(lines)


def _tsv_value(value: Any) -> str:
    if isinstance(value, list):
        return str(len(value))  # az prints a list's length to keep columns aligned
    if isinstance(value, dict):
        return ""
    return _cell(value)


def _tsv_row(item: Any) -> str:
    if isinstance(item, OrderedDict):
        return "\t".join(_tsv_value(v) for v in item.values())
    if isinstance(item, dict):
        return "\t".join(_tsv_value(v) for _, v in sorted(item.items()))
    if isinstance(item, list):
        return "\t".join(_tsv_value(v) for v in item)
    return _tsv_value(item)


def format_tsv(result: Any) -> str:
    """Tab-separated values as az prints them.

    One line per item of a list (so a list of scalars prints one per line), a dict's values on one
    line in sorted key order (query order for ``--query`` hashes), nested objects blank and lists
    as their length so that columns stay aligned.
    """
    if result is None:
        return ""
    items = result if isinstance(result, list) else [result]
    return "\n".join(_tsv_row(item) for item in items)


def format_output(
    result: Any,
    output: str = "json",
    *,
    query: str | None = None,
    table_transformer: TableTransformer | None = None,
) -> str:
    """Add ``resourceGroup``, apply ``query``, then render in ``output``; '' means print nothing."""
    data = apply_query(add_resource_group(result), query)
    fmt = output.lower()
    if fmt == "none":
        return ""
    if fmt == "json":
        return format_json(data)
    if fmt == "jsonc":
        return format_jsonc(data)
    if fmt in ("yaml", "yamlc"):
        return format_yaml(data)
    if fmt == "table":
        return format_table(data, None if query else table_transformer)
    if fmt == "tsv":
        return format_tsv(data)
    raise ValueError(f"unknown output format {output!r}")
