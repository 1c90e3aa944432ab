"""ARM templates: the subset amlite exports and deploys, judged and expanded without I/O.

A template is accepted only when every part of it is understood: its ``$schema`` is a deployment
template, its parameters have a type (and the missing ones a ``defaultValue``), each resource's
type is one amlite creates, and every expression is one of ``parameters``, ``resourceGroup``
(with ``.location``, ``.name`` or ``.id``), ``subscription`` (``.subscriptionId``), ``concat``,
``resourceId`` and ``guid``. Anything
else is refused as ``InvalidTemplate`` naming the expression or field, before anything is
created: a template is never half-understood.

``expand`` turns a template and its parameter values into ``PlannedResource``s in an order that
honours every ``dependsOn`` (and puts a parent before its children), with all expressions
evaluated. ``drift`` compares two exported templates (what ``workspace diff`` reports).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from amlite.domain.errors import InvalidInput

SCHEMA_2019 = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
CONTENT_VERSION = "1.0.0.0"

ML = "Microsoft.MachineLearningServices"
WORKSPACES = f"{ML}/workspaces"
COMPUTES = f"{ML}/workspaces/computes"
ENDPOINTS = f"{ML}/workspaces/onlineEndpoints"
DEPLOYMENTS = f"{ML}/workspaces/onlineEndpoints/deployments"
ROLE_ASSIGNMENTS = "Microsoft.Authorization/roleAssignments"
#: resource type -> the api-version the export writes (Azure's stable ones for these types)
API_VERSIONS = {
    WORKSPACES: "2024-10-01", COMPUTES: "2024-10-01", ENDPOINTS: "2024-10-01", DEPLOYMENTS: "2024-10-01",
    ROLE_ASSIGNMENTS: "2022-04-01",
}
SUPPORTED_TYPES = frozenset(API_VERSIONS)
FUNCTIONS = ("parameters", "resourceGroup", "subscription", "concat", "resourceId", "guid")
PARAMETER_TYPES = frozenset({"string", "int", "bool", "object", "array", "securestring", "secureobject"})
#: ARM's namespace for ``guid()`` is not published; any fixed one keeps ``guid`` deterministic.
GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


def template_error(message: str, target: str | None = None) -> InvalidInput:
    return InvalidInput("InvalidTemplate", f"Deployment template validation failed: '{message}'.", target)


@dataclass(frozen=True)
class GroupContext:
    """What ``resourceGroup()`` and ``resourceId()`` see: the group deployed into."""

    subscription_id: str
    name: str
    location: str

    @property
    def arm_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


@dataclass(frozen=True)
class PlannedResource:
    """One template resource with its expressions evaluated. ``names`` are its name's segments
    (a compute ``ws/cpu`` is ``("ws", "cpu")``); ``scope`` an extension resource's scope id."""

    type: str
    names: tuple[str, ...]
    api_version: str
    body: dict[str, Any]
    scope: str | None = None
    depends_on: tuple[str, ...] = ()
    arm_id: str = ""
    symbol: str = field(default="", compare=False)


# -- expressions ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<sym>[(),.]))")


class _Parser:
    """A recursive-descent reader of ARM's expression language (calls, strings, integers and
    member access), evaluating as it reads."""

    def __init__(self, text: str, expression: str, env: "_Env") -> None:
        self._tokens = self._lex(text, expression)
        self._pos = 0
        self._expr = expression
        self._env = env

    def _lex(self, text: str, expression: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise template_error(f"The template language expression '{expression}' is not valid: "
                                     f"unexpected '{text[pos:].strip()[:20]}'")
            pos = m.end()
            kind = m.lastgroup or ""
            out.append((kind, m.group(kind)))
        return out

    def _peek(self) -> tuple[str, str] | None:
        return self._tokens[self._pos] if self._pos < len(self._tokens) else None

    def _take(self, sym: str | None = None) -> tuple[str, str]:
        tok = self._peek()
        if tok is None or (sym is not None and tok != ("sym", sym)):
            raise template_error(f"The template language expression '{self._expr}' is not valid: "
                                 f"expected '{sym or 'a value'}'")
        self._pos += 1
        return tok

    def parse(self) -> Any:
        value = self._value()
        if self._peek() is not None:
            raise template_error(f"The template language expression '{self._expr}' is not valid: "
                                 f"unexpected '{self._peek()[1]}'")  # type: ignore[index]
        return value

    def _value(self) -> Any:
        kind, text = self._take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return int(text)
        if kind != "name":
            raise template_error(f"The template language expression '{self._expr}' is not valid: unexpected '{text}'")
        if text not in FUNCTIONS:
            raise template_error(f"The template function '{text}' in the expression '{self._expr}' is not "
                                 f"supported; amlite evaluates {', '.join(FUNCTIONS)}")
        self._take("(")
        args: list[Any] = []
        if self._peek() != ("sym", ")"):
            args.append(self._value())
            while self._peek() == ("sym", ","):
                self._take(",")
                args.append(self._value())
        self._take(")")
        value = self._env.call(text, args, self._expr)
        while self._peek() == ("sym", "."):
            self._take(".")
            member = self._take()[1]
            if not isinstance(value, dict) or member not in value:
                raise template_error(f"The template language expression '{self._expr}' is not valid: "
                                     f"no property '{member}'")
            value = value[member]
        return value


@dataclass
class _Env:
    params: dict[str, Any]
    group: GroupContext

    def call(self, name: str, args: list[Any], expr: str) -> Any:
        if name == "parameters":
            if len(args) != 1 or args[0] not in self.params:
                raise template_error(f"The template parameter '{args[0] if args else ''}' in '{expr}' is not found")
            return self.params[args[0]]
        if name == "resourceGroup":
            if args:
                raise template_error(f"resourceGroup() takes no arguments in '{expr}'")
            g = self.group
            return {"id": g.arm_id, "name": g.name, "location": g.location}
        if name == "subscription":
            if args:
                raise template_error(f"subscription() takes no arguments in '{expr}'")
            sub = self.group.subscription_id
            return {"id": f"/subscriptions/{sub}", "subscriptionId": sub}
        if name == "concat":
            if all(isinstance(a, list) for a in args) and args:
                return [x for a in args for x in a]
            return "".join(_text(a, expr) for a in args)
        if name == "guid":
            if not args:
                raise template_error(f"guid() needs at least one argument in '{expr}'")
            return str(uuid.uuid5(GUID_NAMESPACE, "-".join(_text(a, expr) for a in args)))
        # resourceId(type, name1, name2, ...)
        if len(args) < 2 or not all(isinstance(a, str) for a in args):
            raise template_error(f"resourceId() needs a resource type and its names in '{expr}'")
        return resource_id(self.group, args[0], tuple(args[1:]), expr)


def _text(value: Any, expr: str) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (str, int)):
        return str(value)
    raise template_error(f"The expression '{expr}' joins a value that is not a string")


def resource_id(group: GroupContext, rtype: str, names: tuple[str, ...], expr: str = "") -> str:
    parts = rtype.split("/")
    if len(parts) < 2 or len(parts) - 1 != len(names):
        raise template_error(f"The resource type '{rtype}' and names {list(names)} do not match"
                             + (f" in '{expr}'" if expr else ""))
    path = f"{group.arm_id}/providers/{parts[0]}"
    for segment, name in zip(parts[1:], names):
        path += f"/{segment}/{name}"
    return path


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("[") and value.endswith("]") and not value.startswith("[[")


def evaluate(value: Any, env: _Env) -> Any:
    """Every string that is an expression evaluated, in any nesting; ``[[`` escapes a literal."""
    if isinstance(value, dict):
        return {k: evaluate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, env) for v in value]
    if is_expression(value):
        return _Parser(value[1:-1], value, env).parse()
    if isinstance(value, str) and value.startswith("[["):
        return value[1:]
    return value


# -- templates -----------------------------------------------------------------------------------

_RESOURCE_KEYS = frozenset({"type", "apiVersion", "name", "location", "kind", "tags", "sku", "identity",
                            "properties", "dependsOn", "scope", "comments"})
_TEMPLATE_KEYS = frozenset({"$schema", "contentVersion", "parameters", "variables", "resources", "outputs",
                            "metadata"})


def parameter_values(template: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The values of the template's parameters: the given ones, else their defaults."""
    declared = template.get("parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise template_error(f"The template parameters '{', '.join(unknown)}' are not present in the template")
    out: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in given:
            out[name] = given[name]
        elif "defaultValue" in spec:
            out[name] = spec["defaultValue"]
        else:
            raise template_error(f"The value for the template parameter '{name}' is not provided")
    return out


def _check_shape(template: Any) -> None:
    if not isinstance(template, dict):
        raise template_error("The template must be a JSON object")
    schema = template.get("$schema")
    if not isinstance(schema, str) or "deploymentTemplate.json" not in schema:
        raise template_error("The template's $schema must be a deploymentTemplate schema", "$schema")
    if not isinstance(template.get("contentVersion"), str):
        raise template_error("The template needs a contentVersion", "contentVersion")
    extra = sorted(set(template) - _TEMPLATE_KEYS)
    if extra:
        raise template_error(f"The template's members '{', '.join(extra)}' are not supported", extra[0])
    for part in ("variables", "outputs"):
        if template.get(part):
            raise template_error(f"Template {part} are not supported by amlite", part)
    params = template.get("parameters") or {}
    if not isinstance(params, dict):
        raise template_error("The template's parameters must be an object", "parameters")
    for name, spec in params.items():
        if not isinstance(spec, dict) or str(spec.get("type", "")).lower() not in PARAMETER_TYPES:
            raise template_error(f"The template parameter '{name}' needs a type", f"parameters.{name}")
    if not isinstance(template.get("resources"), list):
        raise template_error("The template needs a resources array", "resources")


def expand(template: Any, given: dict[str, Any], group: GroupContext) -> list[PlannedResource]:
    """The template's resources, evaluated and ordered for creation. Raises ``InvalidTemplate``
    for anything amlite does not understand, before anything is created."""
    _check_shape(template)
    raw_params = parameter_values(template, given)
    env = _Env({}, group)
    # a default may use resourceGroup() (e.g. location) or earlier parameters
    for name, value in raw_params.items():
        env.params[name] = evaluate(value, env)
    planned: list[PlannedResource] = []
    for i, raw in enumerate(template["resources"]):
        planned.append(_plan(raw, i, env))
    return _order(planned)


def _plan(raw: Any, index: int, env: _Env) -> PlannedResource:
    where = f"resources[{index}]"
    if not isinstance(raw, dict):
        raise template_error(f"The resource at {where} must be an object", where)
    extra = sorted(set(raw) - _RESOURCE_KEYS)
    if extra:
        raise template_error(f"The resource at {where} has members amlite does not support: {', '.join(extra)}",
                             f"{where}.{extra[0]}")
    rtype = raw.get("type")
    if rtype not in SUPPORTED_TYPES:
        raise template_error(f"The resource type '{rtype}' at {where} is not supported; amlite deploys "
                             f"{', '.join(sorted(SUPPORTED_TYPES))}", f"{where}.type")
    if not isinstance(raw.get("apiVersion"), str):
        raise template_error(f"The resource at {where} needs an apiVersion", f"{where}.apiVersion")
    value = evaluate(raw, env)
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise template_error(f"The resource at {where} needs a name", f"{where}.name")
    names = tuple(name.split("/"))
    if len(names) != len(rtype.split("/")) - 1:
        raise template_error(f"The resource name '{name}' at {where} does not have as many segments as its "
                             f"type '{rtype}'", f"{where}.name")
    depends = value.get("dependsOn") or []
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise template_error(f"The dependsOn of the resource at {where} must be a list of strings", f"{where}.dependsOn")
    scope = value.get("scope")
    if rtype == ROLE_ASSIGNMENTS:
        if not isinstance(scope, str) or not scope:
            raise template_error(f"The role assignment at {where} needs a scope", f"{where}.scope")
        if not scope.startswith("/"):  # relative: "Microsoft.X/type/name"
            parts = scope.split("/")
            scope = resource_id(env.group, "/".join([parts[0], *parts[1::2]]), tuple(parts[2::2]))
        arm_id = f"{scope}/providers/{ROLE_ASSIGNMENTS}/{name}"
    elif scope is not None:
        raise template_error(f"Only role assignments take a scope here ({where})", f"{where}.scope")
    else:
        arm_id = resource_id(env.group, rtype, names)
    body = {k: v for k, v in value.items() if k not in ("type", "apiVersion", "name", "dependsOn", "scope", "comments")}
    return PlannedResource(type=rtype, names=names, api_version=raw["apiVersion"], body=body, scope=scope,
                           depends_on=tuple(depends), arm_id=arm_id, symbol=where)


def _order(planned: list[PlannedResource]) -> list[PlannedResource]:
    """Creation order: each resource after what it depends on and after its parent when the
    parent is in the template (template order otherwise). A dependency on a resource not in the
    template, or a cycle, is refused."""
    by_id = {p.arm_id.lower(): p for p in planned}
    by_name = {"/".join(p.names).lower(): p for p in planned}
    edges: dict[str, set[str]] = {}
    for p in planned:
        deps: set[str] = set()
        for d in p.depends_on:
            target = by_id.get(d.lower()) or by_name.get(d.lower())
            if target is None:
                raise template_error(f"The resource '{d}' in the dependsOn of {p.symbol} is not defined in the "
                                     "template", f"{p.symbol}.dependsOn")
            deps.add(target.arm_id.lower())
        parent = p.arm_id.rsplit("/", 2)[0].lower()
        if p.type != ROLE_ASSIGNMENTS and parent in by_id:
            deps.add(parent)
        if p.scope and p.scope.lower() in by_id:
            deps.add(p.scope.lower())
        edges[p.arm_id.lower()] = deps
    if len(by_id) != len(planned):
        raise template_error("The template defines a resource more than once")
    out: list[PlannedResource] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(key: str) -> None:
        if key in done:
            return
        if key in visiting:
            raise template_error(f"Circular dependency detected on resource '{by_id[key].arm_id}'")
        visiting.add(key)
        for dep in sorted(edges[key], key=lambda k: planned.index(by_id[k])):
            visit(dep)
        visiting.discard(key)
        done.add(key)
        out.append(by_id[key])

    for p in planned:
        visit(p.arm_id.lower())
    return out


# -- drift ---------------------------------------------------------------------------------------

#: Template fields that must differ between two workspaces and are left out of a comparison.
_IGNORED = frozenset({"location"})


def _key(resource: dict[str, Any]) -> str:
    """A resource's identity across workspaces: its type and its names below the workspace."""
    name = str(resource.get("name", ""))
    rtype = str(resource.get("type", ""))
    if rtype == ROLE_ASSIGNMENTS:
        props = resource.get("properties") or {}
        return f"{rtype}:{str(props.get('roleDefinitionId', '')).rsplit('/', 1)[-1]}:{props.get('principalId', '')}"
    tail = re.sub(r"^\[concat\(parameters\('workspaceName'\), '/', (.*)\)\]$", r"\1", name)
    return f"{rtype}:{tail}"


def _comparable(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items()
            if k not in _IGNORED and k not in ("name", "dependsOn", "scope", "apiVersion")}


def drift(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """What differs between two exported templates, resource by resource and field by field:
    ``[{"resource", "change": "added"|"removed"|"modified", "path"?, "a"?, "b"?}]`` (``removed``:
    only in A; ``added``: only in B). Names and locations are what must differ and are not compared."""
    ra = {_key(r): r for r in a.get("resources", [])}
    rb = {_key(r): r for r in b.get("resources", [])}
    out: list[dict[str, Any]] = []
    for key in sorted(set(ra) | set(rb)):
        if key not in rb:
            out.append({"resource": key, "change": "removed", "a": _comparable(ra[key])})
        elif key not in ra:
            out.append({"resource": key, "change": "added", "b": _comparable(rb[key])})
        else:
            for path, va, vb in _fields(_comparable(ra[key]), _comparable(rb[key]), ""):
                out.append({"resource": key, "change": "modified", "path": path, "a": va, "b": vb})
    return out


def _fields(a: Any, b: Any, path: str) -> list[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str, Any, Any]] = []
        for k in sorted(set(a) | set(b)):
            out.extend(_fields(a.get(k), b.get(k), f"{path}.{k}" if path else k))
        return out
    return [] if a == b else [(path, a, b)]


# -- deployments (the record of one template deployment) -----------------------------------------

@dataclass(frozen=True)
class TemplateDeployment:
    """``Microsoft.Resources/deployments``: one run of a template into a resource group, kept so
    that ``GET`` and list show its state, the resources it made and, when it failed, which one."""

    key: str
    resource_group_key: str
    subscription_id: str
    resource_group_name: str
    name: str
    state: str  # Running, Succeeded, Failed
    parameters: dict[str, Any]
    template_hash: str
    output_resources: tuple[str, ...]
    error: dict[str, Any] | None
    created_at: Any
    modified_at: Any
    duration_seconds: float = 0.0

    @property
    def arm_id(self) -> str:
        return (f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group_name}"
                f"/providers/Microsoft.Resources/deployments/{self.name}")
