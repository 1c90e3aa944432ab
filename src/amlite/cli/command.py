"""The ``@command`` decorator: what every amlite command shares, in one place.

az accepts ``-o/--output``, ``--query``, ``--subscription``, ``--only-show-errors`` and ``--debug``
after any command, so they cannot live on the root callback (Click only accepts those before the
sub-command). The decorator appends them to each command's signature, strips them off before the
command runs, makes a :class:`Session` for it, prints what the command returns in the requested
format, and turns every error into ``(Code) message`` on stderr with az's exit codes:

- 0 success; 1 any error; 2 usage errors (Click's own, and :class:`CliError` with exit_code 2);
- 3 when a ``show``-style command finds nothing (``ResourceNotFoundError``), as az does;
- a command's own code when it returns an ``Outcome`` (``workspace diff``: 1 when the two differ);
- 0, silently, when the reader of stdout goes away (``amlite ... | head``).

No traceback is ever printed for a server or connection error unless ``--debug`` is given.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import typer

from amlite.cli.output import FORMATS, InvalidQueryError, TableTransformer, format_output
from amlite.cli.session import CliError, GlobalOptions, Session
from amlite.sdk.errors import AzureError, ResourceNotFoundError

__all__ = ["command", "current_session", "emit_error", "silence_stdout"]

F = TypeVar("F", bound=Callable[..., Any])

_SESSION: contextvars.ContextVar[Session] = contextvars.ContextVar("amlite_session")
GLOBAL_PANEL = "Global Arguments"
_GLOBAL_NAMES = ("output", "query", "subscription", "only_show_errors", "debug")


def current_session() -> Session:
    """The session of the command being run (tests may set one with ``_SESSION``)."""
    try:
        return _SESSION.get()
    except LookupError:
        return Session()


def _check_output(value: str | None) -> str | None:
    if value is not None and value.lower() not in FORMATS:
        raise typer.BadParameter(f"invalid choice: '{value}'. (choose from {', '.join(FORMATS)})")
    return value.lower() if value else value


def _global_parameters(subscription_short: bool) -> list[inspect.Parameter]:
    sub_decls = ["--subscription", "-s"] if subscription_short else ["--subscription"]
    kw = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter(
            "output", kw, default=None,
            annotation=Annotated[str | None, typer.Option(
                "--output", "-o", help="Output format: json, jsonc, yaml, table, tsv, none.",
                callback=_check_output, rich_help_panel=GLOBAL_PANEL, show_default=False)],
        ),
        inspect.Parameter(
            "query", kw, default=None,
            annotation=Annotated[str | None, typer.Option(
                "--query", help="JMESPath query string.", rich_help_panel=GLOBAL_PANEL)],
        ),
        inspect.Parameter(
            "subscription", kw, default=None,
            annotation=Annotated[str | None, typer.Option(
                *sub_decls, help="Name or ID of subscription.", rich_help_panel=GLOBAL_PANEL)],
        ),
        inspect.Parameter(
            "only_show_errors", kw, default=False,
            annotation=Annotated[bool, typer.Option(
                "--only-show-errors", help="Only show errors, suppressing warnings.",
                rich_help_panel=GLOBAL_PANEL)],
        ),
        inspect.Parameter(
            "debug", kw, default=False,
            annotation=Annotated[bool, typer.Option(
                "--debug", help="Increase logging verbosity to show all debug logs.",
                rich_help_panel=GLOBAL_PANEL)],
        ),
    ]


def emit_error(exc: BaseException, debug: bool = False) -> None:
    """Print an error as ``(Code) message`` on stderr (with the traceback under ``--debug``)."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, (AzureError, CliError)):
        text = str(exc)
        error = getattr(exc, "error", None)
        if error is not None and getattr(error, "code", None) and not text.startswith("("):
            text = f"({error.code}) {text}"
    else:
        text = f"(UnexpectedError) The command failed with an unexpected error: {type(exc).__name__}: {exc}"
    print(text, file=sys.stderr)


def silence_stdout() -> None:
    """Point stdout at /dev/null after its reader went away (SIGPIPE), so that Python's own flush
    at exit does not raise ``BrokenPipeError`` again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def _default_output() -> str:
    value = os.environ.get("AMLITE_CORE_OUTPUT", "json").lower()
    return value if value in FORMATS else "json"


def _configure_logging(debug: bool) -> None:
    if debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                            format="DEBUG: %(name)s: %(message)s")
        logging.getLogger("amlite").setLevel(logging.DEBUG)
        logging.getLogger("httpcore").setLevel(logging.INFO)  # socket-level chatter hides the requests


@dataclass(frozen=True)
class Outcome:
    """A result to print and the exit code to end with (``workspace diff`` prints the drift and
    exits 1 when there is some, as ``diff`` does)."""

    result: Any
    exit_code: int


def command(
    app: typer.Typer,
    name: str,
    *,
    table: TableTransformer | None = None,
    not_found_exit_code: int = 1,
    subscription_short: bool = False,
    help: str | None = None,
) -> Callable[[F], F]:
    """Register ``func`` as command ``name`` of ``app`` with the global arguments added.

    The function returns the data to print (``None`` prints nothing) and reads the global options
    through :func:`current_session`.
    """

    def decorate(func: F) -> F:
        signature = inspect.signature(func, eval_str=True)

        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> None:
            options = GlobalOptions(
                output=kwargs.pop("output", None) or _default_output(),
                query=kwargs.pop("query", None),
                subscription=kwargs.pop("subscription", None),
                only_show_errors=bool(kwargs.pop("only_show_errors", False)),
                debug=bool(kwargs.pop("debug", False)),
            )
            _configure_logging(options.debug)
            session = Session(options)
            token = _SESSION.set(session)
            try:
                result = func(**kwargs)
                exit_code = 0
                if isinstance(result, Outcome):
                    result, exit_code = result.result, result.exit_code
                if result is not None:
                    text = format_output(result, options.output, query=options.query,
                                         table_transformer=table)
                    if text:
                        print(text)
                if exit_code:
                    raise typer.Exit(exit_code)
            except (typer.Exit, typer.Abort):
                raise
            except InvalidQueryError as exc:
                emit_error(CliError("InvalidArgumentValue", str(exc), 2), options.debug)
                raise typer.Exit(2) from None
            except CliError as exc:
                emit_error(exc, options.debug)
                raise typer.Exit(exc.exit_code) from None
            except ResourceNotFoundError as exc:
                emit_error(exc, options.debug)
                raise typer.Exit(not_found_exit_code) from None
            except AzureError as exc:
                emit_error(exc, options.debug)
                raise typer.Exit(1) from None
            except BrokenPipeError:
                silence_stdout()  # `amlite ... | head`: the reader has what it wanted
                raise typer.Exit(0) from None
            except KeyboardInterrupt:
                print("(OperationCancelled) Operation cancelled.", file=sys.stderr)
                raise typer.Exit(130) from None
            except Exception as exc:  # noqa: BLE001 - the CLI must never dump a traceback
                if type(exc).__module__.startswith(("typer", "click")):
                    raise
                emit_error(exc, options.debug)
                raise typer.Exit(1) from None
            finally:
                _SESSION.reset(token)

        params = [p for p in signature.parameters.values() if p.name not in _GLOBAL_NAMES]
        params.extend(_global_parameters(subscription_short))
        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        del wrapper.__wrapped__  # Typer must see our signature, not the wrapped function's
        app.command(name, help=help or inspect.getdoc(func))(wrapper)
        return func

    return decorate
