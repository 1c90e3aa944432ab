"""What every ARM request body shares, as pydantic: the base model, tags, string maps, and reading
a parsed JSON value into a model with amlite's ARM error on failure.

ARM request models describe the wire (camelCase, ``properties: {...}``, ``tags``, ``location``)
and the JSON type of each field; the rules a field's value must follow beyond its type, and which
fields a resource needs, stay with the service that owns them, so that authorization and the
owner's existence are decided first (a missing workspace is a 404 whatever the body says).
Fields a route does not read are ignored, as ARM resource providers do: clients send back whole
resources (``id``, ``systemData``...).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from amlite.domain.errors import InvalidInput, invalid
from amlite.domain.names import check_tags

__all__ = ["ArmModel", "EmptyBody", "Tags", "TextMap", "parse_request", "text_map"]

M = TypeVar("M", bound=BaseModel)
CODE = "InvalidRequestContent"


class ArmModel(BaseModel):
    """Base of the request models: JSON types are strict (``"true"`` is not a boolean), fields
    are read by their wire name, and fields no route reads are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True, frozen=True)


def text_map(value: object) -> object:
    """Azure ML's ``properties`` maps: names to strings. Numbers and booleans are kept as their
    text (``true``, ``2.1``), a null value as ``""``; an object or a list is refused."""
    if not isinstance(value, dict):
        return value
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool):
            out[str(key)] = str(item).lower()
        elif isinstance(item, (str, int, float)):
            out[str(key)] = str(item)
        elif item is None:
            out[str(key)] = ""
        else:
            raise ValueError(f"property '{key}' must have a string value")
    return out


#: ARM tags: names to strings, with ARM's own error codes (``domain.names.check_tags``).
Tags = Annotated[dict[str, str], BeforeValidator(check_tags)]
TextMap = Annotated[dict[str, str], BeforeValidator(text_map)]

_EXPECTED = {
    "string_type": "a string", "bool_type": "true or false", "dict_type": "an object", "model_type": "an object",
    "model_attributes_type": "an object", "list_type": "a list", "tuple_type": "a list", "int_type": "a whole number",
    "float_type": "a number", "dataclass_type": "an object", "dataclass_exact_type": "an object",
}


def parse_request(model: type[M], value: Any) -> M:
    """``value`` (strict JSON from ``api.json_input``) as ``model``; a value that does not fit is
    ``400 InvalidRequestContent`` naming the first field at fault, in amlite's ARM error."""
    if not isinstance(value, dict):
        raise InvalidInput(CODE, "The request content must be a JSON object.")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise _refusal(exc.errors(include_url=False)[0]) from None


def _refusal(error: ErrorDetails) -> InvalidInput:
    target = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in error["loc"]).replace(".[", "[")
    kind = error["type"]
    where = target or "The request content"
    if kind in _EXPECTED:
        message = f"{where} must be {_EXPECTED[kind]}."
    elif kind == "missing":
        message = f"{where} is required."
    elif kind in ("string_too_long", "too_long"):
        message = f"{where} is longer than {error.get('ctx', {}).get('max_length')} characters."
    elif kind in ("literal_error", "enum"):
        message = f"{where} '{error['input']}' is not valid; use {error.get('ctx', {}).get('expected')}."
    elif kind == "value_error":
        message = f"{where}: {error['msg'].removeprefix('Value error, ')}."
    else:
        message = f"{where}: {error['msg']}."
    return invalid(CODE, message, target or None)


class EmptyBody(ArmModel):
    """The body of an action that reads none (archive, restore, listSecrets): empty, or an object
    whose fields are ignored, as Azure accepts."""
