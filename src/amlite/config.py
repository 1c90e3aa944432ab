"""Settings, read once at start: command-line options win over environment variables, which win
over the configuration file, which wins over the embedded defaults.

Configuration file (YAML or TOML, by extension)::

    data_dir: ./.amlite
    host: 127.0.0.1
    port: 8600
    db: postgresql+psycopg://postgres@127.0.0.1:5432/amlite   # default: SQLite in data_dir
    endpoint: https://amlite.example.org                      # public URL, default http(s)://host:port
    tls: self-signed                                          # or {cert: server.pem, key: server-key.pem}; default: http
    workers: 4                                                # server processes (default 1)
    key_encryption_key_env: AMLITE_KEY_ENCRYPTION_KEY         # wraps the keys kept in the store (see below)
    operation_lease_seconds: 15
    worker_threads: 4                                         # background tasks run at once (region copies, deletes)
    reconcile_seconds: 30                                     # how often missing background work is re-queued
    replication_backoff_seconds: 2                            # first retry of a failed region copy
    replication_lease_seconds: 60                             # claim on one region copy (crash recovery on PostgreSQL)
    node_slot_lease_seconds: 60                               # a job's hold on a compute node, renewed every third
    job_lease_seconds: 30                                     # a running job's claim; a dead server's job fails after it (PostgreSQL)
    soft_delete_retention_days: 14                            # a deleted workspace/registry/version stays recoverable
    regions:                                                  # default: eastus, eastus2, westus, ...
      - name: eastus
        display_name: East US
        paired_region: westus
        storage_root: /srv/amlite/eastus                      # default: data_dir/regions/<name>
        storage: {kind: local, hard_links: false}             # copy blobs from regions on the same file system
      - name: westus
        storage:                                              # Azure Blob Storage instead of a directory
          kind: azure
          connection_string: "DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;"
          # or connection_string_env: AMLITE_WESTUS_STORAGE (read from the environment), or
          # account_url: https://acct.blob.core.windows.net with account_key / account_key_env
          container_prefix: amlite-westus-                    # the default; Azure containers start with it
    storage: {kind: azure, connection_string_env: AMLITE_STORAGE}  # default for regions without their own
    storage_suffix: core.localhost                            # accounts answer at {account}.blob.<suffix>:<port>
    limits:                                                   # what one client may cost the server (see Limits)
      header_timeout_seconds: 10                              # a request's headers must arrive within this
      max_connections: 4096                                   # past it, the longest-idle connection is closed
      max_json_body_bytes: 4194304                            # ARM's own limit (413 RequestContentTooLarge)
      max_failed_sign_ins_per_ip: 20                          # then 429 + Retry-After for the rest of the window
    quota:                                                    # vCPUs per subscription and region (computes)
      family_vcpus: 24                                        # the limit of each VM family
      total_vcpus: 100                                        # the regional total
      families: {standardNCSv3Family: 48}                     # a family's own limit

A region's storage is ``local`` (a directory, the default) or ``azure``. A local region receives a
blob from another local region on the same file system as a hard link (``hard_links: true``, the
default): blobs are immutable and named by their sha256, so the link is verified like a copy and
costs no second write of the bytes; a region that must hold its own bytes sets ``hard_links: false``.

The token signing key and the secrets key live in the store, shared by every server process on
it (``services/server_keys.py``). A key-encryption key wraps them there: a Fernet key (make one
with ``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``)
given as ``AMLITE_KEY_ENCRYPTION_KEY``, or named by ``key_encryption_key_env`` (or, less safely,
written as ``key_encryption_key``) in the file. Without one the server makes one on its first start,
``key-encryption.key`` in the data directory, so a copy of the database alone never yields the
keys; replicas with data directories of their own need that key given to each of them.

TLS (``amlite.tls``): ``tls: self-signed`` makes a local CA and a server certificate under
``data_dir/tls`` on the first start and reuses them; ``tls: {cert: ..., key: ...}`` serves a real
certificate. With either, the default endpoint is ``https://host:port``.

Environment: ``AMLITE_DATA_DIR``, ``AMLITE_DB``, ``AMLITE_HOST``, ``AMLITE_PORT``, ``AMLITE_ENDPOINT``,
``AMLITE_WORKERS``, ``AMLITE_KEY_ENCRYPTION_KEY``, ``AMLITE_TLS`` (``self-signed``), ``AMLITE_TLS_CERT``,
``AMLITE_TLS_KEY``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from cryptography.fernet import Fernet

from amlite.domain.computes import QuotaLimits, parse_quota
from amlite.domain.regions import DEFAULT_REGIONS, Region


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


@dataclass(frozen=True)
class StorageSettings:
    """Where a region keeps its blobs: ``local`` (under ``RegionSettings.storage_root``) or ``azure``."""

    kind: str = "local"
    connection_string: str | None = field(default=None, repr=False)
    account_url: str | None = None
    account_key: str | None = field(default=None, repr=False)
    container_prefix: str | None = None  # azure: default "amlite-<region>-"
    hard_links: bool = True  # local: take blobs from local regions on the same file system as hard links


@dataclass(frozen=True)
class RegionSettings:
    region: Region
    storage_root: Path
    storage: StorageSettings = field(default_factory=StorageSettings)


@dataclass(frozen=True)
class Limits:
    """What one unauthenticated client may cost the server: connections, bytes, time and password
    hashes. Each bound turns a flood into prompt refusals instead of a server that stops answering.
    Defaults are safe for a server on the internet; every field is a key of ``limits:``."""

    #: A connection must deliver a request's complete headers within this many seconds of opening
    #: (or of the request's first byte on a kept-alive connection), else it is closed.
    header_timeout_seconds: float = 10.0
    #: A request whose headers grow past this many bytes has its connection closed.
    max_header_bytes: int = 64 * 1024
    #: A kept-alive connection with no request in progress is closed after this many seconds.
    keep_alive_timeout_seconds: float = 5.0
    #: Open connections. A new connection past the cap closes the one that has waited longest
    #: without a request in progress (then the oldest still sending a body), so idle sockets can
    #: never keep out a fresh request such as ``/health``. Lowered to fit the open-file limit.
    max_connections: int = 4096
    #: Request bodies of the ARM and directory routes (ARM's own limit is 4 MB): 413 past it.
    max_json_body_bytes: int = 4 * 1024 * 1024
    #: The OAuth2 token endpoint's form (a few KB in practice): 413 past it.
    max_token_form_bytes: int = 64 * 1024
    #: A JSON body or token form must arrive completely within this many seconds: 408 after.
    body_timeout_seconds: float = 60.0
    #: A blob upload that sends no byte for this many seconds is cut off (408).
    upload_idle_timeout_seconds: float = 30.0
    #: A blob upload must average at least this many bytes a second, counted from its first
    #: ``upload_idle_timeout_seconds`` on, else it is cut off (408): trickling is refused.
    upload_min_bytes_per_second: int = 10 * 1024
    #: Failed sign-ins counted over a sliding window of this many seconds.
    sign_in_window_seconds: float = 300.0
    #: Failed sign-ins from one client address in the window; past it, 429 with ``Retry-After``.
    max_failed_sign_ins_per_ip: int = 20
    #: Failed sign-ins for one user or application id in the window, from any address.
    max_failed_sign_ins_per_principal: int = 10
    #: Password and client-secret checks (scrypt: CPU and memory on purpose) running at once.
    #: They have their own threads, so a login flood cannot take the pool every other route uses.
    max_concurrent_password_checks: int = 1


@dataclass(frozen=True)
class TlsSettings:
    """How the server speaks TLS: not at all (the default), with a self-signed local CA, or with
    the certificate and key in ``cert_file``/``key_file``."""

    self_signed: bool = False
    cert_file: Path | None = None
    key_file: Path | None = None

    @property
    def enabled(self) -> bool:
        return self.self_signed or self.cert_file is not None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str
    port: int
    db_url: str
    endpoint: str
    regions: tuple[RegionSettings, ...]
    operation_lease_seconds: float = 15.0
    worker_poll_seconds: float = 1.0
    worker_threads: int = 4  # background tasks run at once (``replication_threads`` is its old name)
    reconcile_seconds: float = 30.0  # the reconciler's round: missing replication work is queued again
    outage_cache_seconds: float = 1.0  # how long a process trusts its read of the failed regions (blob calls)
    replication_backoff_seconds: float = 2.0  # first retry of a failed region; doubles each time
    replication_lease_seconds: float = 60.0  # a copy's claim; after a crash (PostgreSQL) it is retried after this
    node_slot_lease_seconds: float = 60.0  # a job's hold on a compute node; a dead server's frees itself after this
    job_lease_seconds: float = 30.0  # a running job's claim, renewed every third; a dead server's job fails after this
    #: A deleted workspace, registry or asset version stays recoverable this long, then the
    #: reconciler purges it (Azure ML's default retention is 14 days). Fractions are allowed.
    soft_delete_retention_days: float = 14.0
    limits: Limits = field(default_factory=Limits)
    crash_at: str | None = field(default=None, repr=False)
    workers: int = 1  # server processes sharing the listening socket
    key_encryption_key: str | None = field(default=None, repr=False)  # wraps the keys kept in the store
    #: Storage accounts answer at ``https://{account}.blob.{storage_suffix}[:port]`` (``storage_endpoint``).
    storage_suffix: str = "core.localhost"
    tls: TlsSettings = field(default_factory=TlsSettings)
    quota: QuotaLimits = field(default_factory=QuotaLimits)

    @property
    def storage_endpoint(self) -> str:
        """The storage suffix clients add to ``{account}.blob.`` (Azure's ``core.windows.net``): amlite
        serves its storage accounts itself, on its own port, so the endpoint's port goes with it."""
        port = urlsplit(self.endpoint).port
        return f"{self.storage_suffix}:{port}" if port else self.storage_suffix

    @property
    def tls_dir(self) -> Path:
        """Where ``tls: self-signed`` keeps its local CA and server certificate."""
        return self.data_dir / "tls"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "admin-credentials.json"

    @property
    def key_encryption_key_file(self) -> Path:
        """Where a server whose settings name no key-encryption key keeps the one it made."""
        return self.data_dir / "key-encryption.key"

    @property
    def signing_key_file(self) -> Path:
        """Where servers before the keys moved to the store kept the signing key (imported once)."""
        return self.data_dir / "signing-key.pem"

    @property
    def secrets_key_file(self) -> Path:
        """Where servers before the keys moved to the store kept the secrets key (imported once)."""
        return self.data_dir / "secrets.key"

    @classmethod
    def load(
        cls, *, data_dir: str | os.PathLike[str] | None = None, host: str | None = None, port: int | None = None,
        db_url: str | None = None, config_file: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None, workers: int | None = None, tls: str | None = None,
        tls_cert: str | os.PathLike[str] | None = None, tls_key: str | os.PathLike[str] | None = None,
    ) -> "Settings":
        env = dict(os.environ if env is None else env)
        file = _read_file(Path(config_file)) if config_file else {}
        data = Path(_first(data_dir, env.get("AMLITE_DATA_DIR"), file.get("data_dir"), "./.amlite")).expanduser().resolve()
        host_ = str(_first(host, env.get("AMLITE_HOST"), file.get("host"), "127.0.0.1"))
        try:
            port_ = int(_first(port, env.get("AMLITE_PORT"), file.get("port"), 8600))
        except ValueError:
            raise ConfigError("port must be a whole number") from None
        db = str(_first(db_url, env.get("AMLITE_DB"), file.get("db"), f"sqlite:///{data / 'amlite.db'}"))
        if not (db.startswith("sqlite") or db.startswith("postgresql")):
            raise ConfigError(f"db must be a sqlite:/// or postgresql+psycopg:// URL, got '{db}'")
        try:
            workers_ = int(_first(workers, env.get("AMLITE_WORKERS"), file.get("workers"), 1))
        except ValueError:
            raise ConfigError("workers must be a whole number") from None
        if workers_ < 1:
            raise ConfigError(f"workers must be at least 1, got {workers_}")
        tls_ = _tls(tls, tls_cert, tls_key, file.get("tls"), env)
        shown_host = f"[{host_}]" if ":" in host_ else host_
        scheme = "https" if tls_.enabled else "http"
        endpoint = str(_first(env.get("AMLITE_ENDPOINT"), file.get("endpoint"), f"{scheme}://{shown_host}:{port_}")).rstrip("/")
        return cls(
            data_dir=data, host=host_, port=port_, db_url=db, endpoint=endpoint,
            regions=_regions(file.get("regions"), data, _storage(file.get("storage"), env, "storage"), env),
            storage_suffix=_storage_suffix(file.get("storage_suffix", "core.localhost")),
            operation_lease_seconds=float(file.get("operation_lease_seconds", 15.0)),
            worker_poll_seconds=float(file.get("worker_poll_seconds", 1.0)),
            worker_threads=int(file.get("worker_threads", file.get("replication_threads", 4))),
            reconcile_seconds=float(file.get("reconcile_seconds", 30.0)),
            outage_cache_seconds=float(file.get("outage_cache_seconds", 1.0)),
            replication_backoff_seconds=float(file.get("replication_backoff_seconds", 2.0)),
            replication_lease_seconds=float(file.get("replication_lease_seconds", 60.0)),
            node_slot_lease_seconds=float(file.get("node_slot_lease_seconds", 60.0)),
            job_lease_seconds=float(file.get("job_lease_seconds", 30.0)),
            soft_delete_retention_days=_retention_days(file.get("soft_delete_retention_days", 14.0)),
            limits=_limits(file.get("limits")),
            crash_at=env.get("AMLITE_CRASH_AT") or None,
            workers=workers_,
            key_encryption_key=_key_encryption_key(file, env),
            tls=tls_,
            quota=_quota(file.get("quota")),
        )


def _storage_suffix(value: object) -> str:
    """A DNS suffix starting with ``core.``: azure-storage-blob finds the account name of a
    ``{account}.blob.core.*`` host only."""
    text = str(value).strip().strip(".").lower()
    if not re.fullmatch(r"core(\.[a-z0-9-]+)+", text):
        raise ConfigError(f"storage_suffix must be a DNS suffix starting with 'core.', got '{value}'")
    return text


def _first(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    return None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    try:
        loaded = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"configuration file {path} is not valid: {exc}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"configuration file {path} must hold a mapping of settings")
    return loaded


def _tls(mode: str | None, cert: str | os.PathLike[str] | None, key: str | os.PathLike[str] | None,
         raw: Any, env: dict[str, str]) -> TlsSettings:
    """``--tls self-signed`` or ``--tls-cert``/``--tls-key`` (command line, else ``AMLITE_TLS*``,
    else the file's ``tls:``). The command line and the environment each decide as a whole, so a
    certificate given there is never paired with a key from the file."""
    if mode is None and cert is None and key is None:
        mode, cert, key = env.get("AMLITE_TLS") or None, env.get("AMLITE_TLS_CERT") or None, env.get("AMLITE_TLS_KEY") or None
    if mode is None and cert is None and key is None and raw is not None:
        if isinstance(raw, dict):
            unknown = set(raw) - {"cert", "key"}
            if unknown:
                raise ConfigError(f"tls takes cert and key, not {', '.join(sorted(map(str, unknown)))}")
            cert, key = raw.get("cert"), raw.get("key")
            if cert is None and key is None:
                raise ConfigError("tls needs cert and key (or write tls: self-signed)")
        else:
            mode = str(raw)
    if mode is not None:
        if mode.lower() in ("off", "none", "false"):
            mode = None
        elif mode.lower() != "self-signed":
            raise ConfigError(f"tls must be 'self-signed' (or a cert and key), got '{mode}'")
    if mode is not None and (cert is not None or key is not None):
        raise ConfigError("tls is either self-signed or a given certificate and key, not both")
    if (cert is None) != (key is None):
        raise ConfigError("a TLS certificate needs its key, and a key its certificate (--tls-cert and --tls-key)")
    if cert is not None and key is not None:
        return TlsSettings(cert_file=Path(cert).expanduser().resolve(), key_file=Path(key).expanduser().resolve())
    return TlsSettings(self_signed=mode is not None)


def _key_encryption_key(file: dict[str, Any], env: dict[str, str]) -> str | None:
    """``AMLITE_KEY_ENCRYPTION_KEY``, else the variable ``key_encryption_key_env`` names, else
    ``key_encryption_key``; it must be a Fernet key, so a typo is refused before any key is wrapped."""
    variable = file.get("key_encryption_key_env")
    if variable and not env.get(str(variable)):
        raise ConfigError(f"key_encryption_key_env names {variable}, which is not set")
    value = _first(env.get("AMLITE_KEY_ENCRYPTION_KEY"), env.get(str(variable)) if variable else None,
                   file.get("key_encryption_key"))
    if value is None:
        return None
    try:
        Fernet(str(value).encode())
    except ValueError:
        raise ConfigError("the key-encryption key must be a Fernet key: 32 random bytes in url-safe base64 "
                          "(44 characters)") from None
    return str(value)


def _quota(raw: Any) -> QuotaLimits:
    try:
        return parse_quota(raw)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _retention_days(raw: Any) -> float:
    """``soft_delete_retention_days``: a number of days, zero (purge at the next reconciler round) or more."""
    try:
        days = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"soft_delete_retention_days must be a number of days, got '{raw}'") from None
    if not 0 <= days <= 36500:
        raise ConfigError(f"soft_delete_retention_days must be between 0 and 36500, got {raw}")
    return days


def _limits(raw: Any) -> Limits:
    """The ``limits:`` mapping: known keys only, each a positive number of its field's type."""
    if raw is None:
        return Limits()
    if not isinstance(raw, dict):
        raise ConfigError("limits must be a mapping of limit names to numbers")
    defaults = Limits()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not hasattr(defaults, str(key)):
            raise ConfigError(f"limits.{key} is not a known limit")
        kind = type(getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
                or (kind is int and value != int(value)):
            raise ConfigError(f"limits.{key} must be a positive {'whole ' if kind is int else ''}number, got '{value}'")
        values[key] = kind(value)
    return Limits(**values)


def _regions(raw: Any, data_dir: Path, default_storage: StorageSettings, env: dict[str, str] | None = None) -> tuple[RegionSettings, ...]:
    if raw is None:
        return tuple(RegionSettings(r, data_dir / "regions" / r.name, default_storage) for r in DEFAULT_REGIONS)
    if not isinstance(raw, list) or not raw:
        raise ConfigError("regions must be a non-empty list")
    env = env or {}
    result: list[RegionSettings] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigError("each region needs a name")
        name = item["name"].lower().replace(" ", "")
        region = Region(
            name=name, display_name=str(item.get("display_name", name)),
            paired_region=item.get("paired_region"), geography=str(item.get("geography", "US")),
        )
        root = Path(item["storage_root"]).expanduser() if item.get("storage_root") else data_dir / "regions" / name
        storage = _storage(item["storage"], env, f"regions[{name}].storage") if "storage" in item else default_storage
        result.append(RegionSettings(region, root, storage))
    names = {r.region.name for r in result}
    for r in result:
        if r.region.paired_region and r.region.paired_region not in names:
            raise ConfigError(f"region {r.region.name} is paired with {r.region.paired_region}, which is not configured")
    return tuple(result)


_PREFIX = re.compile(r"[a-z0-9](?!.*--)[a-z0-9-]{0,30}")


def _storage(raw: Any, env: dict[str, str], where: str) -> StorageSettings:
    """A ``storage`` mapping: ``{kind: local}`` or ``{kind: azure, connection_string | account_url, ...}``;
    secrets may come from the environment (``*_env`` names a variable) to stay out of the file."""
    if raw is None:
        return StorageSettings()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping with a kind (local or azure)")
    kind = str(raw.get("kind", "local")).lower()
    if kind == "local":
        hard_links = raw.get("hard_links", True)
        if not isinstance(hard_links, bool):
            raise ConfigError(f"{where}.hard_links must be true or false, got '{hard_links}'")
        return StorageSettings(hard_links=hard_links)
    if kind != "azure":
        raise ConfigError(f"{where}.kind must be 'local' or 'azure', got '{raw.get('kind')}'")

    def value(key: str) -> str | None:
        if raw.get(key):
            return str(raw[key])
        variable = raw.get(f"{key}_env")
        if variable:
            if not env.get(str(variable)):
                raise ConfigError(f"{where}.{key}_env names {variable}, which is not set")
            return env[str(variable)]
        return None

    connection_string, account_url, account_key = value("connection_string"), value("account_url"), value("account_key")
    if not connection_string and not account_url:
        raise ConfigError(f"{where}: azure storage needs a connection_string or an account_url (with account_key)")
    prefix = raw.get("container_prefix")
    if prefix is not None and not _PREFIX.fullmatch(str(prefix)):
        raise ConfigError(f"{where}.container_prefix must be up to 31 lower-case letters, digits and single hyphens")
    return StorageSettings("azure", connection_string, account_url, account_key, None if prefix is None else str(prefix))
