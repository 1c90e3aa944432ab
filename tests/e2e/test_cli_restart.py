"""The CLI across server restarts: stored logins stay valid, long operations finish."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # fixtures come from conftest.py
    from conftest import Cli, ServerProcess

pytestmark = pytest.mark.e2e


def test_login_and_state_survive_restart(cli: Cli, server_factory: Callable[..., ServerProcess]) -> None:
    server = server_factory()
    cli.json("login", "--credentials-file", str(server.credentials_file))
    cli.json("group", "create", "-g", "rgkeep", "-l", "eastus")
    ws = cli.json("ml", "workspace", "create", "-n", "wskeep", "-g", "rgkeep")

    server.restart()
    again = cli.json("ml", "workspace", "show", "-n", "wskeep", "-g", "rgkeep")  # stored token still valid
    assert again["discovery_url"] == ws["discovery_url"] and again["identity"] == ws["identity"]


def test_no_wait_delete_completes_after_a_crash(cli: Cli, server_factory: Callable[..., ServerProcess]) -> None:
    server = server_factory()
    cli.json("login", "--credentials-file", str(server.credentials_file))
    cli.json("group", "create", "-g", "rgcrash", "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "wscrash", "-g", "rgcrash")
    assert cli("ml", "workspace", "delete", "-n", "wscrash", "-g", "rgcrash", "--yes", "--no-wait").returncode == 0

    server.kill()  # SIGKILL right after the 202
    down = cli("ml", "workspace", "show", "-n", "wscrash", "-g", "rgcrash")
    assert down.returncode == 1 and down.stderr.startswith("(ServiceRequestError) Cannot connect")
    assert "Traceback" not in down.stderr
    server.restart()

    deadline = time.monotonic() + 60
    while True:
        show = cli("ml", "workspace", "show", "-n", "wscrash", "-g", "rgcrash")
        if show.returncode == 3:
            break
        assert show.returncode == 0, show.stderr
        assert json.loads(show.stdout)["name"] == "wscrash"  # still there while the delete runs
        assert time.monotonic() < deadline, "delete did not resume after restart"
        time.sleep(0.5)
    assert cli("group", "exists", "-g", "rgcrash").stdout.strip() == "true"
