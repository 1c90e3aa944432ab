"""MLflow's search grammar for runs and experiments, parsed into comparisons a store can turn into
SQL: ``filter_string`` (``metrics.acc > 0.9 and params.lr = '0.1' and tags.`team x` LIKE 'v%'``)
and ``order_by`` (``metrics.acc DESC``, ``attributes.start_time``).

What MLflow accepts parses here the same way, and what it refuses (``OR``, an unknown attribute, a
string compared to a metric) is an ``INVALID_PARAMETER_VALUE`` naming the fault.

Examples::

    >>> parse_run_filter("metrics.rmse < 1 and tags.team = 'vision'")
    (Comparison(kind='metric', key='rmse', op='<', value=1.0), Comparison(kind='tag', key='team', op='=', value='vision'))
    >>> parse_order_by("metrics.rmse DESC", RUN_ORDER_ATTRIBUTES)
    OrderBy(kind='metric', key='rmse', ascending=False)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from amlite.domain.tracking import invalid

Value = str | float | tuple[str, ...] | None
Take = Callable[[], tuple[str, str]]


@dataclass(frozen=True)
class Comparison:
    """``kind`` is ``metric``, ``param``, ``tag`` or ``attribute``; for an attribute, ``key`` is its
    canonical name. ``op`` is one of ``= != < <= > >= LIKE ILIKE IN NOT IN IS NULL IS NOT NULL``."""

    kind: str
    key: str
    op: str
    value: Value


@dataclass(frozen=True)
class OrderBy:
    kind: str
    key: str
    ascending: bool


_PREFIXES = {
    "metrics": "metric", "metric": "metric", "params": "param", "param": "param", "parameters": "param",
    "parameter": "param", "tags": "tag", "tag": "tag", "attributes": "attribute", "attribute": "attribute",
    "attr": "attribute", "run": "attribute",
}
#: Run attributes that can be searched and sorted, and whether they are numbers.
RUN_ATTRIBUTES: Mapping[str, str] = {
    "run_id": "run_id", "run_name": "run_name", "status": "status", "user_id": "user_id",
    "artifact_uri": "artifact_uri", "start_time": "start_time", "end_time": "end_time", "created": "start_time",
    "Created": "start_time",
}
RUN_NUMERIC = frozenset({"start_time", "end_time"})
RUN_ORDER_ATTRIBUTES: Mapping[str, str] = {
    "run_id": "run_id", "run_name": "run_name", "status": "status", "user_id": "user_id",
    "artifact_uri": "artifact_uri", "start_time": "start_time", "end_time": "end_time", "created": "start_time",
    "Created": "start_time", "experiment_id": "experiment_id",
}
EXPERIMENT_ATTRIBUTES: Mapping[str, str] = {
    "name": "name", "creation_time": "creation_time", "last_update_time": "last_update_time",
    "experiment_id": "experiment_id",
}
EXPERIMENT_NUMERIC = frozenset({"creation_time", "last_update_time"})

_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ident>[A-Za-z_]+\.(?:`[^`]*`|"[^"]*"|[\w\-./:]+)|`[^`]*`|[A-Za-z_][\w]*)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise invalid(f"Invalid filter string '{text}': cannot parse at '{text[pos:pos + 20]}'.")
        kind = m.lastgroup or ""
        value = m.group(kind).strip()
        if kind == "ident" and value.upper() in _KEYWORDS:
            kind, value = "kw", value.upper()
        out.append((kind, value))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`\"'":
        return re.sub(r"\\(.)", r"\1", text[1:-1]) if text[0] != "`" else text[1:-1]
    return text


def _identifier(token: str, attributes: Mapping[str, str], allowed: tuple[str, ...], what: str) -> tuple[str, str]:
    if "." in token and not token.startswith(("`", '"')):
        prefix, _, key = token.partition(".")
        kind = _PREFIXES.get(prefix.lower())
        if kind is None or kind not in allowed:
            raise invalid(f"Invalid {what} '{token}'. Valid prefixes are {', '.join(p + '.' for p in allowed)}"
                          " (for example 'metrics.', 'params.', 'tags.', 'attributes.').")
        key = _unquote(key)
    else:
        kind, key = "attribute", _unquote(token)
    if kind == "attribute":
        if key not in attributes:
            raise invalid(f"Invalid attribute key '{key}' in {what}. "
                          f"Valid attribute keys are {sorted(set(attributes))}.")
        key = attributes[key]
    if not key:
        raise invalid(f"Invalid {what} '{token}': the key is empty.")
    return kind, key


def _parse(text: str, attributes: Mapping[str, str], numeric: frozenset[str], kinds: tuple[str, ...]) -> tuple[Comparison, ...]:
    if not text or not text.strip():
        return ()
    tokens = _tokens(text)
    out: list[Comparison] = []
    i = 0

    def take() -> tuple[str, str]:
        nonlocal i
        if i >= len(tokens):
            raise invalid(f"Invalid filter string '{text}': it ends too early.")
        i += 1
        return tokens[i - 1]

    while True:
        kind, ident = take()
        if kind != "ident":
            raise invalid(f"Invalid filter string '{text}': expected an identifier, got '{ident}'.")
        entity, key = _identifier(ident, attributes, kinds, "filter")
        op = _operator(take, text)
        value = _value(take, op, text)
        out.append(_check(Comparison(entity, key, op, value), numeric, text))
        if i == len(tokens):
            return tuple(out)
        kind, word = take()
        if (kind, word) != ("kw", "AND"):
            raise invalid(f"Invalid filter string '{text}': only 'AND' joins clauses (got '{word}').")


def _operator(take: Take, text: str) -> str:
    kind, word = take()
    if kind == "op":
        return "!=" if word == "<>" else word
    if kind == "kw" and word in ("LIKE", "ILIKE", "IN"):
        return str(word)
    if kind == "kw" and word == "NOT":
        nxt = take()
        if nxt == ("kw", "IN"):
            return "NOT IN"
    if kind == "kw" and word == "IS":
        nxt = take()
        if nxt == ("kw", "NULL"):
            return "IS NULL"
        if nxt == ("kw", "NOT") and take() == ("kw", "NULL"):
            return "IS NOT NULL"
    raise invalid(f"Invalid filter string '{text}': '{word}' is not a comparator.")


def _value(take: Take, op: str, text: str) -> Value:
    if op in ("IS NULL", "IS NOT NULL"):
        return None
    if op in ("IN", "NOT IN"):
        if take() != ("punct", "("):
            raise invalid(f"Invalid filter string '{text}': IN needs a parenthesised list of strings.")
        items: list[str] = []
        while True:
            kind, word = take()
            if kind != "string":
                raise invalid(f"Invalid filter string '{text}': IN lists hold quoted strings.")
            items.append(_unquote(word))
            kind, word = take()
            if word == ")":
                return tuple(items)
            if word != ",":
                raise invalid(f"Invalid filter string '{text}': expected ',' or ')' in the IN list.")
    kind, word = take()
    if kind == "number":
        return float(word)
    if kind == "string":
        return _unquote(word)
    raise invalid(f"Invalid filter string '{text}': expected a value, got '{word}'.")


def _check(c: Comparison, numeric: frozenset[str], text: str) -> Comparison:
    is_numeric = c.kind == "metric" or (c.kind == "attribute" and c.key in numeric)
    if c.op in ("IS NULL", "IS NOT NULL"):
        if c.kind not in ("tag", "param"):
            raise invalid(f"Invalid filter string '{text}': '{c.op}' applies to tags and params only.")
        return c
    if is_numeric:
        if c.op not in _NUMERIC_OPS or not isinstance(c.value, float):
            raise invalid(f"Invalid filter string '{text}': {c.kind} '{c.key}' is compared with a number "
                          f"and one of {', '.join(_NUMERIC_OPS)}.")
        return c
    if c.op not in _STRING_OPS:
        raise invalid(f"Invalid filter string '{text}': {c.kind} '{c.key}' is compared with one of "
                      f"{', '.join(_STRING_OPS)}.")
    if c.op in ("IN", "NOT IN"):
        if c.kind != "attribute" or c.key != "run_id":
            raise invalid(f"Invalid filter string '{text}': IN applies to attributes.run_id only.")
        return c
    if not isinstance(c.value, str):
        raise invalid(f"Invalid filter string '{text}': {c.kind} '{c.key}' is compared with a quoted string.")
    return c


def parse_run_filter(text: str | None) -> tuple[Comparison, ...]:
    return _parse(text or "", RUN_ATTRIBUTES, RUN_NUMERIC, ("metric", "param", "tag", "attribute"))


def parse_experiment_filter(text: str | None) -> tuple[Comparison, ...]:
    return _parse(text or "", EXPERIMENT_ATTRIBUTES, EXPERIMENT_NUMERIC, ("tag", "attribute"))


def parse_order_by(clause: str, attributes: Mapping[str, str],
                   kinds: tuple[str, ...] = ("metric", "param", "tag", "attribute")) -> OrderBy:
    """One ``order_by`` clause: an identifier and an optional ``ASC``/``DESC``."""
    text = clause.strip()
    m = re.fullmatch(r"(.+?)(?:\s+(ASC|DESC))?", text, re.IGNORECASE | re.DOTALL)
    if not text or m is None:
        raise invalid(f"Invalid order_by clause '{clause}'.")
    tokens = _tokens(m.group(1))
    if len(tokens) != 1 or tokens[0][0] != "ident":
        raise invalid(f"Invalid order_by clause '{clause}'.")
    kind, key = _identifier(tokens[0][1], attributes, kinds, "order_by clause")
    return OrderBy(kind, key, (m.group(2) or "ASC").upper() == "ASC")


def parse_orders(clauses: list[str] | None, attributes: Mapping[str, str],
                 kinds: tuple[str, ...] = ("metric", "param", "tag", "attribute")) -> tuple[OrderBy, ...]:
    return tuple(parse_order_by(c, attributes, kinds) for c in clauses or [])
