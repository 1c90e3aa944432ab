"""What one CLI invocation knows: its global options, the stored profile, and the clients built from it.

Commands ask the session for an ``ArmClient`` or an ``MLClient`` instead of building them, so that
the subscription (``--subscription`` or the profile's default), the endpoint and the credential are
resolved the same way everywhere, and so that tests can point a session at another profile dir.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from amlite.sdk.profile import ProfileStore

if TYPE_CHECKING:  # imported where used: every command makes a session, few need all of the SDK
    from amlite.sdk.arm import ArmClient
    from amlite.sdk.config import WorkspaceConfig
    from amlite.sdk.credentials import AmliteCliCredential
    from amlite.sdk.ml_client import MLClient

__all__ = ["CliError", "GlobalOptions", "Session", "WorkspaceScope"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class CliError(Exception):
    """An error the CLI detected itself; printed as ``(code) message`` like server errors."""

    def __init__(self, code: str, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"({self.code}) {self.message}"


@dataclass
class GlobalOptions:
    """The arguments az accepts on every command."""

    output: str = "json"
    query: str | None = None
    subscription: str | None = None
    only_show_errors: bool = False
    debug: bool = False


@dataclass(frozen=True)
class WorkspaceScope:
    """Where an ``ml`` command acts: subscription, resource group and (maybe) workspace name."""

    subscription_id: str
    resource_group: str | None
    workspace_name: str | None


class Session:
    """Resolves profile, subscription and defaults for one command, and builds SDK clients."""

    def __init__(self, options: GlobalOptions | None = None, store: ProfileStore | None = None) -> None:
        self.options = options or GlobalOptions()
        self.store = store or ProfileStore()
        self._arm: ArmClient | None = None
        self._credential: AmliteCliCredential | None = None

    # -- profile --------------------------------------------------------------------------------
    def profile(self) -> dict[str, Any]:
        profile = self.store.load_profile()
        if not profile or not profile.get("endpoint"):
            raise CliError("NotLoggedIn", "Please run 'amlite login' to set up an account.")
        return profile

    def credential(self) -> AmliteCliCredential:
        if self._credential is None:
            self.profile()
            from amlite.sdk.credentials import AmliteCliCredential

            self._credential = AmliteCliCredential(config_dir=self.store.directory)
        return self._credential

    @property
    def endpoint(self) -> str:
        return str(self.profile()["endpoint"])

    def find_subscription(self, value: str) -> dict[str, Any] | None:
        """A profile subscription by id or display name (case-insensitive)."""
        wanted = value.strip().lower()
        for sub in self.profile().get("subscriptions") or []:
            if str(sub.get("id", "")).lower() == wanted or str(sub.get("name", "")).lower() == wanted:
                return dict(sub)
        return None

    def subscription(self, value: str | None = None) -> dict[str, Any]:
        """The subscription named by ``value``/``--subscription``, else the profile's default."""
        value = value or self.options.subscription
        if value:
            found = self.find_subscription(value)
            if found:
                return found
            if _GUID.match(value.strip()):
                # Not in the profile (e.g. created since login): trust the id, as az does with ids.
                return {"id": value.strip(), "name": value.strip(), "tenantId": self.profile().get("tenantId")}
            raise CliError(
                "SubscriptionNotFound",
                f"Subscription '{value}' not found. Check the spelling and casing and try again.",
            )
        default = self.store.default_subscription()
        if not default:
            raise CliError(
                "NoSubscription",
                "No subscription is set. Run 'amlite account list --refresh' or 'amlite login'.",
            )
        return default

    def subscription_id(self, value: str | None = None) -> str:
        return str(self.subscription(value)["id"])

    # -- clients --------------------------------------------------------------------------------
    def arm(self) -> ArmClient:
        """An ARM client whose default subscription is the resolved one (resolved lazily)."""
        if self._arm is None:
            from amlite.sdk.arm import ArmClient

            self._arm = ArmClient(self.credential(), self.endpoint)
        if self.options.subscription:
            self._arm.subscription_id = self.subscription_id()  # a wrong --subscription is an error
        else:
            # Some commands (alias create, account list --refresh) work without any subscription.
            with contextlib.suppress(CliError):
                self._arm.subscription_id = self.subscription_id()
        return self._arm

    def ml_client(self, scope: WorkspaceScope) -> MLClient:
        from amlite.sdk.ml_client import MLClient

        return MLClient(
            self.credential(),
            scope.subscription_id,
            scope.resource_group,
            scope.workspace_name,
            endpoint=self.endpoint,
        )

    # -- defaults ---------------------------------------------------------------------------------
    def workspace_scope(
        self,
        resource_group: str | None,
        workspace_name: str | None,
        *,
        need_group: bool = True,
        need_name: bool = True,
    ) -> WorkspaceScope:
        """Fill what the command was not given: for a command that needs a workspace, first from
        the nearest ``config.json`` (the current directory, then its parents, also in
        ``.azureml/``: the file ``MLClient.from_config()`` reads and a failover rewrites), then
        from ``amlite configure --defaults``. Explicit arguments always win. A config.json is
        read only when the workspace name or group is missing, and then also supplies the
        subscription unless ``--subscription`` is given (docs/cli.md)."""
        defaults = self.store.load_defaults()
        config = self.workspace_config() if need_name and not (resource_group and workspace_name) else None
        subscription = None
        if config is not None:
            resource_group = resource_group or config.resource_group
            workspace_name = workspace_name or config.workspace_name
            subscription = None if self.options.subscription else config.subscription_id
        if need_group:
            resource_group = self.default_group(resource_group)
        else:
            resource_group = resource_group or defaults.get("group")
        if need_name:
            workspace_name = workspace_name or defaults.get("workspace")
        if need_name and not workspace_name:
            raise CliError(
                "MissingArgument",
                "the following arguments are required: --name/-n "
                "(or set one with 'amlite configure --defaults workspace=<name>', or a config.json)",
                exit_code=2,
            )
        return WorkspaceScope(subscription or self.subscription_id(), resource_group, workspace_name)

    def workspace_config(self) -> WorkspaceConfig | None:
        """The nearest config.json (sdk/config.py's search), or ``None``; a malformed one is an
        error naming the file."""
        from amlite.sdk.config import find_config_file, load_config
        from amlite.sdk.errors import ValidationException

        if find_config_file() is None:
            return None
        try:
            return load_config()
        except ValidationException as exc:
            raise CliError("InvalidConfigFile", exc.error.message) from exc

    def default_group(self, resource_group: str | None) -> str:
        group = resource_group or self.store.load_defaults().get("group")
        if not group:
            raise CliError(
                "MissingArgument",
                "the following arguments are required: --resource-group/-g "
                "(or set one with 'amlite configure --defaults group=<name>')",
                exit_code=2,
            )
        return group

    # -- interaction ------------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        if not self.options.only_show_errors:
            print(f"WARNING: {message}", file=sys.stderr)

    @contextlib.contextmanager
    def progress(self, message: str) -> Iterator[None]:
        """A Rich spinner on stderr while a long operation runs (only when stderr is a terminal)."""
        if not sys.stderr.isatty() or self.options.only_show_errors:
            yield
            return
        from rich.console import Console

        with Console(stderr=True).status(message):
            yield

    def confirm(self, message: str, yes: bool) -> None:
        """Ask as az does; without a terminal and without ``--yes`` refuse instead of hanging."""
        if yes:
            return
        if not sys.stdin.isatty() and not os.environ.get("AMLITE_FORCE_PROMPT"):
            raise CliError(
                "NoTTY",
                "Unable to prompt for confirmation as no tty available. Use --yes.",
            )
        print(f"{message} (y/n): ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            raise CliError("OperationCancelled", "Operation cancelled.")
