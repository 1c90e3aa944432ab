"""Command groups whose sub-commands are imported only when they are used.

Every ``amlite`` invocation is a new process. Importing all the command modules, and what they
import (the SDK's entities, the pydantic schemas, httpx), cost most of a command's start-up, for
commands that need one of them. A :class:`LazyGroup` knows its sub-commands' names, in their order,
from a static table (name -> ``"module:function"`` that registers it on a Typer app), and imports
the module behind one only when Click asks for that command: to run it, or to show its line in
``--help`` (so help lists the same commands, in the same order, as when every module was loaded).

Each registering function runs at most once per process, on a Typer app of its own, and the Click
commands it yields are kept: the module-level Typer apps of the command modules must not be
registered twice.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any, ClassVar

import typer
import typer.main
from typer.core import TyperGroup

__all__ = ["LazyGroup", "load"]

#: ``"module:function"`` -> the Click commands that function registered, by name.
_LOADED: dict[str, dict[str, Any]] = {}


def load(target: str) -> dict[str, Any]:
    """The Click commands ``module:function`` registers on a fresh Typer app (built once)."""
    commands = _LOADED.get(target)
    if commands is None:
        module, _sep, function = target.partition(":")
        scratch = typer.Typer()
        getattr(importlib.import_module(module), function)(scratch)
        commands = _LOADED[target] = dict(typer.main.get_group(scratch).commands)
    return commands


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
            target = self._targets[name]  # KeyError: no such command
            registered = load(target)
            if name not in registered:
                raise RuntimeError(f"{target} does not register the command '{name}' its table names")
            self._commands[name] = registered[name]
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
