"""Settings, read once at start: command-line options win over environment variables, which win
over the configuration file, which wins over the embedded defaults.

Configuration file (YAML or TOML, by extension)::

    data_dir: ./.amlite
    host: 127.0.0.1
    port: 8600
    db: postgresql+psycopg://postgres@127.0.0.1:5432/amlite   # default: SQLite in data_dir
    endpoint: https://amlite.example.org                      # public URL, default http://host:port
    operation_lease_seconds: 15
    regions:                                                  # default: eastus, eastus2, westus, ...
      - name: eastus
        display_name: East US
        paired_region: westus
        storage_root: /srv/amlite/eastus                      # default: data_dir/regions/<name>

Environment: ``AMLITE_DATA_DIR``, ``AMLITE_DB``, ``AMLITE_HOST``, ``AMLITE_PORT``, ``AMLITE_ENDPOINT``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from amlite.domain.regions import DEFAULT_REGIONS, Region


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


@dataclass(frozen=True)
class RegionSettings:
    region: Region
    storage_root: Path


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
    crash_at: str | None = field(default=None, repr=False)

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "admin-credentials.json"

    @property
    def signing_key_file(self) -> Path:
        return self.data_dir / "signing-key.pem"

    @classmethod
    def load(
        cls, *, data_dir: str | os.PathLike[str] | None = None, host: str | None = None, port: int | None = None,
        db_url: str | None = None, config_file: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
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
        shown_host = f"[{host_}]" if ":" in host_ else host_
        endpoint = str(_first(env.get("AMLITE_ENDPOINT"), file.get("endpoint"), f"http://{shown_host}:{port_}")).rstrip("/")
        return cls(
            data_dir=data, host=host_, port=port_, db_url=db, endpoint=endpoint,
            regions=_regions(file.get("regions"), data),
            operation_lease_seconds=float(file.get("operation_lease_seconds", 15.0)),
            worker_poll_seconds=float(file.get("worker_poll_seconds", 1.0)),
            crash_at=env.get("AMLITE_CRASH_AT") or None,
        )


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


def _regions(raw: Any, data_dir: Path) -> tuple[RegionSettings, ...]:
    if raw is None:
        return tuple(RegionSettings(r, data_dir / "regions" / r.name) for r in DEFAULT_REGIONS)
    if not isinstance(raw, list) or not raw:
        raise ConfigError("regions must be a non-empty list")
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
        result.append(RegionSettings(region, root))
    names = {r.region.name for r in result}
    for r in result:
        if r.region.paired_region and r.region.paired_region not in names:
            raise ConfigError(f"region {r.region.name} is paired with {r.region.paired_region}, which is not configured")
    return tuple(result)
