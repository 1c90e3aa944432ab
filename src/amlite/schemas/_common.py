"""Field types every asset YAML shares: names, versions, tags, and the base model with ``$schema``.

Azure ML keeps versions and tag values as strings; YAML read by :mod:`amlite.schemas._yaml` already
keeps numbers as their source text, and these types turn what the SDK hands in (``version=1``) into
the same strings, so the YAML path and the Python path produce identical REST bodies.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from amlite.schemas.rules import ASSET_NAME_RE, VERSION_RE, asset_name_problem, version_problem

__all__ = [
    "ASSET_NAME_RE",
    "AssetName",
    "AssetSpec",
    "SpecModel",
    "StrDict",
    "VERSION_RE",
    "Version",
    "check_asset_name",
    "check_version",
    "scalar_text",
]



def scalar_text(value: Any) -> Any:
    """Scalars as Azure ML stores them: text. Booleans are written lower-case, as YAML spells them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def check_asset_name(value: str) -> str:
    """The server's rule (:mod:`amlite.schemas.rules`), so a name the SDK sends is never refused."""
    problem = asset_name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def check_version(value: str) -> str:
    problem = version_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _text_dict(value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                raise ValueError(f"the value of '{key}' must be a string, not a {type(item).__name__}")
            out[scalar_text(key)] = "" if item is None else scalar_text(item)
        return out
    return value


AssetName = Annotated[str, BeforeValidator(scalar_text), AfterValidator(check_asset_name)]
Version = Annotated[str, BeforeValidator(scalar_text), AfterValidator(check_version)]
StrDict = Annotated[dict[str, str], BeforeValidator(_text_dict)]


class SpecModel(BaseModel):
    """Base of every YAML spec: unknown fields are refused and ``$schema`` is accepted and ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: str | None = Field(default=None, alias="$schema", exclude=True)


class AssetSpec(SpecModel):
    """What models, environments, data and components have in common."""

    name: AssetName
    version: Version | None = None
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    properties: StrDict = Field(default_factory=dict)
