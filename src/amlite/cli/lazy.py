"""Command groups whose sub-commands are imported only when they are used.

Every ``amlite`` invocation is a new process. Importing every command module, and what they
import (the SDK's entities, the pydantic schemas, httpx), and building all their commands was most
of a command's start-up, though a command needs one of them. A :class:`LazyGroup` knows its sub-commands' names, in their order,
from a static table (name -> ``"module:function"`` that registers it on a Typer app), and imports
the module behind one only when Click asks for that command: to run it, or to show its line in
``--help`` (so help lists the same commands, in the same order, as when every module was loaded).

Each registering function runs at most once per process, on a Typer app of its own (the
module-level Typer apps of the command modules must not be registered twice), and each command is
converted to Click once, when first asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any, ClassVar

import typer
import typer.main
from typer.core import TyperGroup

__all__ = ["LazyGroup", "load", "registered"]

#: ``"module:function"`` -> the Typer app that function registered its commands on.
_REGISTERED: dict[str, typer.Typer] = {}
#: (``"module:function"``, name) -> that command, converted to Click.
_BUILT: dict[tuple[str, str], Any] = {}


def registered(target: str) -> typer.Typer:
    """The Typer app ``module:function`` registered its commands on (imported and run once)."""
    app = _REGISTERED.get(target)
    if app is None:
        module, _sep, function = target.partition(":")
        app = typer.Typer()
        getattr(importlib.import_module(module), function)(app)
        _REGISTERED[target] = app
    return app


def load(target: str, name: str) -> Any:
    """Command ``name`` of ``module:function`` as Click sees it, built once. Only that one is
    converted (a module may register several groups: ``ml model`` need not build ``ml data``)."""
    built = _BUILT.get((target, name))
    if built is None:
        app = registered(target)
        options = {"pretty_exceptions_short": app.pretty_exceptions_short, "rich_markup_mode": app.rich_markup_mode}
        group = next((g for g in app.registered_groups if g.name == name), None)
        command = next((c for c in app.registered_commands if c.name == name), None)
        if group is not None:
            built = typer.main.get_group_from_info(group, suggest_commands=app.suggest_commands, **options)
        elif command is not None:
            built = typer.main.get_command_from_info(command, **options)
        else:  # named by Typer's defaults (the function's name): convert them all to find it
            built = typer.main.get_group(app).commands.get(name)
        if built is None:
            raise RuntimeError(f"{target} does not register the command '{name}' its table names")
        _BUILT[(target, name)] = built
    return built


class _LazyCommands(MutableMapping[str, Any]):
    """A group's ``commands``: names known up front, each command built on first access."""

    def __init__(self, table: Sequence[tuple[str, str]], eager: Mapping[str, Any]) -> None:
        self._targets = dict(table)
        self._order = [name for name, _target in table]
        self._commands: dict[str, Any] = {}
        for name, cmd in eager.items():
            self[name] = cmd

    def __getitem__(self, name: str) -> Any:
        if name not in self._commands:
            self._commands[name] = load(self._targets[name], name)  # KeyError: no such command
        return self._commands[name]

    def __setitem__(self, name: str, cmd: Any) -> None:
        if name not in self._targets and name not in self._commands:
            self._order.append(name)
        self._commands[name] = cmd

    def __delitem__(self, name: str) -> None:
        if name not in self._targets and name not in self._commands:
            raise KeyError(name)
        self._targets.pop(name, None)
        self._commands.pop(name, None)
        self._order.remove(name)

    def __contains__(self, name: object) -> bool:
        return name in self._targets or name in self._commands

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands come from ``table``; subclass it with a table and pass the
    subclass as ``typer.Typer(cls=...)``."""

    table: ClassVar[Sequence[tuple[str, str]]] = ()

    def __init__(self, *, commands: Mapping[str, Any] | None = None, **attrs: Any) -> None:
        super().__init__(commands=_LazyCommands(self.table, commands or {}), **attrs)

    def list_commands(self, ctx: Any) -> list[str]:
        """The names in table order, without importing anything (Typer's own lists the values)."""
        return list(self.commands)
