"""Argument conventions az users type that Click does not parse natively.

- Space-separated multi-values: ``--tags a=b c=d`` (Click wants ``--tags a=b --tags c=d``).
  :func:`expand_argv` rewrites the former into the latter before Click sees it; ``--tags`` with no
  value (or ``--tags ""``) clears the tags, as in az.
- Options whose value is optional: ``--write-config`` alone means the current directory.
- ``@file`` as any argument (or ``--option=@file``) stands for the file's content, as in az:
  ``--role-definition @role.json``. A missing file is a usage error (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from amlite.cli.session import CliError

__all__ = ["MULTI_VALUE_OPTIONS", "apply_set_remove", "expand_argv", "expand_file_arguments", "parse_key_values",
           "parse_tags"]

#: Options that take several space-separated values after one flag.
MULTI_VALUE_OPTIONS = frozenset({"--tags", "--defaults", "--set", "--remove", "--force-deletion-types", "--scopes", "--ids"})
#: Options whose value may be omitted, with the value used then.
OPTIONAL_VALUE_OPTIONS = {"--write-config": "."}


def _file_content(token: str) -> str:
    path = Path(token).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError("FileNotFound", f"cannot read '@{token}': {exc.strerror or exc}", 2) from None


def expand_file_arguments(argv: Sequence[str]) -> list[str]:
    """Replace ``@path`` and ``--opt=@path`` arguments with the file's content (az's convention)."""
    out: list[str] = []
    for index, token in enumerate(argv):
        if token == "--":
            out.extend(argv[index:])
            break
        if token.startswith("@") and len(token) > 1:
            out.append(_file_content(token[1:]))
        elif token.startswith("--") and "=@" in token:
            option, _sep, path = token.partition("=@")
            out.append(f"{option}={_file_content(path)}")
        else:
            out.append(token)
    return out


def expand_argv(argv: Sequence[str]) -> list[str]:
    """Rewrite az-style ``@file``, multi-value and optional-value options into what Click understands."""
    out: list[str] = []
    i = 0
    args = expand_file_arguments(argv)
    while i < len(args):
        token = args[i]
        if token == "--":
            out.extend(args[i:])
            break
        if token in MULTI_VALUE_OPTIONS:
            j = i + 1
            values: list[str] = []
            while j < len(args) and not (args[j].startswith("-") and len(args[j]) > 1):
                values.append(args[j])
                j += 1
            if not values:
                values = [""]
            for value in values:
                out.extend([token, value])
            i = j
            continue
        if token in OPTIONAL_VALUE_OPTIONS:
            nxt = args[i + 1] if i + 1 < len(args) else None
            out.append(token)
            if nxt is None or (nxt.startswith("-") and len(nxt) > 1):
                out.append(OPTIONAL_VALUE_OPTIONS[token])
            i += 1
            continue
        out.append(token)
        i += 1
    return out


def parse_key_values(values: Sequence[str] | None, option: str = "--tags") -> dict[str, str] | None:
    """``["k=v", "k2"]`` to ``{"k": "v", "k2": ""}``; ``[""]`` to ``{}``; ``None`` when not given."""
    if values is None:
        return None
    result: dict[str, str] = {}
    for item in values:
        if item == "":
            continue
        key, _sep, value = item.partition("=")
        key = key.strip()
        if not key:
            raise CliError("InvalidArgumentValue", f"{option}: '{item}' is not in KEY[=VALUE] form.", 2)
        result[key] = value
    return result


def parse_tags(values: Sequence[str] | None) -> dict[str, str] | None:
    return parse_key_values(values, "--tags")


def apply_set_remove(
    tags: dict[str, str], set_values: Sequence[str] | None, remove_values: Sequence[str] | None
) -> dict[str, str]:
    """Apply az's generic-update arguments to tags: ``--set tags.k=v`` and ``--remove tags.k``.

    Only the ``tags`` property can be changed on a resource group, so other paths are refused.
    """
    result = dict(tags)
    for item in set_values or []:
        if not item:
            continue
        path, sep, value = item.partition("=")
        if not sep:
            raise CliError("InvalidArgumentValue", f"--set: '{item}' is not in PATH=VALUE form.", 2)
        if path == "tags":
            if value.strip() in ("", "{}"):
                result = {}
                continue
            raise CliError("InvalidArgumentValue", "--set tags=... accepts only '{}'; use tags.KEY=VALUE.", 2)
        if not path.startswith("tags."):
            raise CliError("InvalidArgumentValue", f"--set: only 'tags.KEY=VALUE' can be set, not '{path}'.", 2)
        result[path[len("tags."):]] = value
    for item in remove_values or []:
        if not item:
            continue
        if item == "tags":
            result = {}
            continue
        if not item.startswith("tags."):
            raise CliError("InvalidArgumentValue", f"--remove: only 'tags' or 'tags.KEY' can be removed, not '{item}'.", 2)
        result.pop(item[len("tags."):], None)
    return result
