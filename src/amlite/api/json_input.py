"""Reading a request's JSON text into Python values that every later step can store and render.

``json.loads`` accepts more than the stores and the renderer can take back: ``NaN``, ``Infinity``
and ``1e999999`` (not JSON, and not storable), lone UTF-16 surrogates such as ``"\\ud800"`` (valid
JSON escapes, but not Unicode: once stored, every response that includes them fails to encode),
``"\\u0000"`` (PostgreSQL text refuses it) and nesting deep enough to exhaust the interpreter's
stack. Each is refused here, before any service sees the body, with a 400 that names where.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi.responses import JSONResponse

from amlite.domain.errors import InvalidInput

#: Deepest nesting of objects and arrays a body may have: ASP.NET Core's (and so ARM's) JSON limit.
MAX_DEPTH = 64

CODE = "InvalidRequestContent"


def _refuse(message: str, target: str | None = None) -> InvalidInput:
    return InvalidInput(CODE, f"The request content was invalid: {message}", target)


def _no_constant(name: str) -> Any:
    raise _refuse(f"'{name}' is not a JSON number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _refuse(f"the number '{text[:40]}' is out of range.")
    return value


def parse_json(raw: bytes | str) -> Any:
    """The JSON value ``raw`` holds, refused with ``InvalidRequestContent`` unless it is strict JSON
    of well-formed Unicode without NUL characters, nested at most :data:`MAX_DEPTH` levels."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise _refuse(f"JSON may be nested at most {MAX_DEPTH} levels deep.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(CODE, f"The request content was invalid and could not be deserialized: {exc}.") from None
    check_json_value(value)
    return value


def check_json_value(value: Any) -> None:
    """Walk a parsed JSON value: nesting depth and every key and string (see :func:`parse_json`)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, where)
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                raise _refuse(f"JSON may be nested at most {MAX_DEPTH} levels deep.", where or None)
            if isinstance(item, dict):
                for key, child in item.items():
                    path = f"{where}.{key}" if where else key
                    _check_text(key, where or None, is_key=True)
                    stack.append((child, path, depth + 1))
            else:
                stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))


def _check_text(text: str, where: str | None, is_key: bool = False) -> None:
    if text.isascii() and "\x00" not in text:
        return
    what = "a property name" if is_key else "the string"
    if "\x00" in text:
        raise _refuse(f"{what} at '{where or '(root)'}' contains a NUL character (\\u0000).", where or None)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse(f"{what} at '{where or '(root)'}' is not well-formed Unicode "
                      "(it holds a lone UTF-16 surrogate).", where or None) from None


class SafeJSONResponse(JSONResponse):
    """A JSON response whose rendering cannot fail on text: a string that is not well-formed
    Unicode (stored before :func:`parse_json` refused such text, or built from a path) is written
    with ``\\u`` escapes, as ``json.dumps`` does by default, instead of failing to encode after the
    request's unit of work has already committed."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")
