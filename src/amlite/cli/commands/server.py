"""``amlite server``: run the API server.

The server's modules are imported inside the command so that every other command (and the SDK)
starts without loading FastAPI, SQLAlchemy and friends.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def server(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Directory for the metadata store, blobs and admin credentials.")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on (default 8600).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: SQLite in the data dir).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Settings file.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Server processes sharing the port (default 1).")] = None,
    tls: Annotated[str | None, typer.Option("--tls", help="'self-signed': serve https with a local CA made under the data dir (default: http).")] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="Serve https with this certificate (PEM, chain first to last).")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="The private key (PEM) of --tls-cert.")] = None,
) -> None:
    """Run the amlite server (the ARM-shaped REST API) in the foreground."""
    from amlite.serving import serve  # type: ignore[import-not-found,unused-ignore]
    from amlite.config import Settings  # type: ignore[import-not-found,unused-ignore]
    from amlite.config import ConfigError  # type: ignore[import-not-found,unused-ignore]
    from amlite.services.server_keys import ServerKeyUnavailable  # type: ignore[import-not-found,unused-ignore]

    try:
        settings = Settings.load(
            data_dir=data_dir, host=host, port=port, db_url=db, config_file=config, workers=workers,
            tls=tls, tls_cert=tls_cert, tls_key=tls_key,
        )
    except (ValueError, OSError) as exc:  # ConfigError is a ValueError; a missing file an OSError
        print(f"(InvalidConfiguration) {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    try:
        serve(settings)
    except KeyboardInterrupt:
        pass
    except ConfigError as exc:  # found only when serving starts, e.g. a TLS key of another certificate
        print(f"(InvalidConfiguration) {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    except ServerKeyUnavailable as exc:  # the store's keys are wrapped by another key-encryption key
        print(str(exc), file=sys.stderr)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    app.command("server")(server)
