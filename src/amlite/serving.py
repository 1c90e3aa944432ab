"""Serving the API with uvicorn: in one process, or in ``workers`` processes sharing one listening
socket (``amlite server --workers N``, ``workers:`` in the settings file).

The server's processes share nothing but the store and the object storage: the token signing key
and the secrets key are read from the store (``services/server_keys.py``), every claim on
background work is a lease in the store, and the first start's work (migrations, keys, the
tenant) runs once under the store's start-up lock.

With several workers, this process is the parent. It builds the server once (migrating, loading
the keys, making the tenant on a first start), repairs what a crash left (unfinished blob writes,
orphaned storage, SQLite's leases) while nothing serves yet, binds the socket, and hands it to
uvicorn's ``Multiprocess`` supervisor, which starts the workers (``spawn``: fresh interpreters),
restarts one that dies and stops them all on SIGINT/SIGTERM. uvicorn pickles its ``Config`` into
each worker; :class:`WorkerConfig` carries amlite's :class:`Settings` (plain data) there instead
of an app and a protocol class, and builds both in the worker when uvicorn loads it. Each worker
runs its own background workers: their claims are leases in the store (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; on SQLite every claim takes the one write lock, ``BEGIN IMMEDIATE``), so
the processes share the queues without taking one task twice, and a request's operation wakes
the worker of the process that queued it at once.

With TLS (``--tls self-signed``, ``--tls-cert``/``--tls-key``; ``amlite.tls``) the parent makes or
checks the certificate before anything listens, and uvicorn wraps every connection, in each
worker, with the same files: its protocol classes, amlite's among them, sit above the TLS layer.

Every accepted connection gets TCP_NODELAY (``api.http_server``): uvicorn sets it only in its
single-process path, and without it a response on a kept-alive connection waits about 40 ms for
the client's delayed ACK.
"""

from __future__ import annotations

import logging
import math
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from amlite import __version__, memory, tls
from amlite.config import Settings

log = logging.getLogger("amlite")


def serve(settings: Settings) -> None:
    """Run the server in the foreground until interrupted."""
    from amlite.api.app import create_app
    from amlite.bootstrap import build

    _configure_logging()
    memory.limit_arenas()  # before any thread starts (see ``memory``)
    served = tls.prepare(settings)  # before anything else: a wrong certificate is refused at once
    container = build(settings)
    print(f"amlite {__version__} listening on {settings.endpoint}"
          + (f" with {settings.workers} worker processes" if settings.workers > 1 else ""), flush=True)
    print(f"  data:   {settings.data_dir}", flush=True)
    print(f"  store:  {container.engine.url.render_as_string(hide_password=True)}", flush=True)
    if served is not None:
        print(f"  tls:    {served.cert_file}", flush=True)
    if served is not None and served.ca_file is not None:
        print(f"  trust:  export REQUESTS_CA_BUNDLE={served.ca_file}", flush=True)
    print(f"  log in: amlite login --credentials-file {settings.credentials_file}", flush=True)
    if settings.workers == 1:
        memory.IdleTrimmer().start()
        try:
            uvicorn.run(create_app(container), http=http_protocol(settings), **uvicorn_options(settings))
        finally:
            container.engine.dispose()
        return
    try:
        container.repair()  # once, before any worker serves (Container.repair_on_start)
    finally:
        container.close()
    config = WorkerConfig(settings)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for ``settings`` (the same in one process or several)."""
    options: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "log_level": "warning", "access_log": False,
        "timeout_keep_alive": math.ceil(settings.limits.keep_alive_timeout_seconds), "backlog": 4096,
    }
    served = tls.files(settings)
    if served is not None:
        options.update(ssl_certfile=str(served.cert_file), ssl_keyfile=str(served.key_file))
    return options


def http_protocol(settings: Settings) -> type[Any]:
    """The HTTP protocol class for this process: uvicorn's, with the ARM error bodies, TCP_NODELAY
    and the connection limits, and its own connection books (one class per process)."""
    from amlite.api.connections import connection_cap, protocol_class, raise_open_file_limit

    return protocol_class(settings.limits, connection_cap(settings.limits, raise_open_file_limit()))


class WorkerConfig(uvicorn.Config):
    """uvicorn's ``Config`` for a server of several processes. It travels to each worker process
    pickled, as uvicorn sends every worker its config; only there does ``load`` build the app (a
    container of its own: engine, services, background workers) and the protocol class, neither
    of which could cross a process boundary. This module imports the server's packages only
    there, so a worker unpickles its config at once and answers the supervisor's health checks
    (a worker silent for ``timeout_worker_healthcheck`` seconds is killed) while it builds."""

    def __init__(self, settings: Settings) -> None:
        # ``app`` is never imported: ``load_app`` builds it. The string says what stands there.
        super().__init__(app="amlite.serving:WorkerConfig.load_app", workers=settings.workers,
                         **uvicorn_options(settings))
        self.settings = settings

    def load(self) -> None:
        self.http = http_protocol(self.settings)
        super().load()

    def load_app(self) -> Any:
        from amlite.api.app import create_app
        from amlite.bootstrap import build

        _configure_logging()
        memory.limit_arenas()
        memory.IdleTrimmer().start()
        try:
            container = build(self.settings)
        except Exception:  # noqa: BLE001 - reported, and the supervisor must not restart it in a loop
            log.exception("a worker process could not start")
            sys.exit(STARTUP_FAILURE)
        container.repair_on_start = False  # the parent repaired before any worker served
        return create_app(container)


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The Azure SDK logs every storage request and response, headers and all, at INFO: on Azure
    # Blob Storage that is a few records per 4 MiB block moved, formatted and written on the
    # copying threads (a 512 MiB replication to three regions wrote ~1,000 such records, and
    # its copies competed with them for the GIL). Its warnings and errors still show.
    logging.getLogger("azure").setLevel(logging.WARNING)
