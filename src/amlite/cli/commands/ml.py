"""``amlite ml``: the Azure Machine Learning resources, one group per kind.

The groups live in their own modules; :class:`MlGroup` imports one only when its group is used
(``amlite.cli.lazy``), so ``amlite ml model list`` does not pay for jobs, computes or endpoints.
The table's order is the order ``amlite ml --help`` lists them in.
"""

from __future__ import annotations

import typer

from amlite.cli.lazy import LazyGroup

__all__ = ["MlGroup", "register"]

_COMMANDS = "amlite.cli.commands"


class MlGroup(LazyGroup):
    table = (
        ("workspace", f"{_COMMANDS}.workspace:register"),
        ("model", f"{_COMMANDS}.assets:register"),
        ("environment", f"{_COMMANDS}.assets:register"),
        ("component", f"{_COMMANDS}.assets:register"),
        ("data", f"{_COMMANDS}.assets:register"),
        ("datastore", f"{_COMMANDS}.datastore:register"),
        ("connection", f"{_COMMANDS}.connection:register"),
        ("compute", f"{_COMMANDS}.compute:register"),
        ("online-endpoint", f"{_COMMANDS}.online:register"),
        ("online-deployment", f"{_COMMANDS}.online:register"),
        ("registry", f"{_COMMANDS}.registry:register"),
        ("job", f"{_COMMANDS}.job:register"),
    )


def register(root: typer.Typer) -> None:
    root.add_typer(typer.Typer(cls=MlGroup, help="Manage Azure Machine Learning resources.", no_args_is_help=True),
                   name="ml")
