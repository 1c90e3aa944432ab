"""What a CLI process imports before it runs a command: only the group it uses (``amlite.cli.lazy``).

The command groups are listed in static tables (``RootGroup``, ``MlGroup``) so that their modules
load on demand; these tests keep the tables equal to what the modules register, and check that a
command does not drag in the others (or the SDK's pydantic schemas when it does not validate).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

import amlite.sdk
from amlite.cli.commands.ml import MlGroup
from amlite.cli.lazy import LazyGroup, load, registered
from amlite.cli.main import RootGroup

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.parametrize("group", [RootGroup, MlGroup], ids=["amlite", "amlite ml"])
def test_each_table_entry_is_what_its_module_registers(group: type[LazyGroup]) -> None:
    """A command a module registers but the table omits would be unreachable; one the table
    names but the module does not register would fail only when used."""
    targets = {target for _name, target in group.table}
    for target in targets:
        named = {name for name, t in group.table if t == target}
        assert set(typer.main.get_group(registered(target)).commands) == named, target
        for name in named:
            assert load(target, name).name == name
    names = [name for name, _target in group.table]
    assert len(names) == len(set(names))


def _modules_after(*args: str) -> set[str]:
    code = (
        "import json, sys\n"
        "from amlite.cli.main import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    return set(json.loads(run.stderr.strip().splitlines()[-1]))


def test_a_command_loads_its_own_group_only() -> None:
    loaded = _modules_after("ml", "model", "list", "--help")
    assert "amlite.cli.commands.assets" in loaded
    assert not loaded & {"amlite.cli.commands.job", "amlite.cli.commands.compute", "amlite.cli.commands.role",
                         "amlite.cli.commands.workspace"}
    assert not {m for m in loaded if m.startswith("amlite.schemas")}, "listing models needs no YAML schemas"
    version = _modules_after("--version")
    assert not {m for m in version if m.startswith(("amlite.cli.commands.", "amlite.sdk.arm", "httpx"))}


def test_the_sdk_names_resolve_on_first_use() -> None:
    """``amlite.sdk`` imports its modules when a name is first used; every public name resolves."""
    assert set(amlite.sdk.__all__) - {"__version__"} == set(amlite.sdk._EXPORTS)
    for name in amlite.sdk.__all__:
        assert getattr(amlite.sdk, name) is not None
    assert set(amlite.sdk.__all__) <= set(dir(amlite.sdk))
    with pytest.raises(AttributeError):
        amlite.sdk.NoSuchThing  # noqa: B018


def test_the_sdk_client_makes_its_https_transport_on_the_first_https_request() -> None:
    """Loading the CA bundle costs a tenth of a command's start-up; a client of an http endpoint
    never needs it. https still verifies as before (the verifying transport is made then)."""
    import http.server
    import threading

    import httpx

    from amlite.sdk._pipeline import _DefaultTransport, http_client

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with http_client(timeout=10.0) as client:
            transport = client._transport
            assert isinstance(transport, _DefaultTransport)
            assert client.get(f"http://127.0.0.1:{server.server_port}/").status_code == 200
            assert transport._tls is None
            with pytest.raises(httpx.ConnectError):  # TLS to a plain-http port: refused, as before
                client.get(f"https://127.0.0.1:{server.server_port}/")
            assert transport._tls is not None
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
