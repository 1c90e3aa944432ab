"""The on-disk profile that ``amlite login`` writes and :class:`AmliteCliCredential` reads.

It lives in the SDK, not the CLI, because the SDK's CLI credential must read it without importing
the CLI (as azure-identity's ``AzureCliCredential`` reads what ``az login`` left behind).

Layout of the profile directory (``$AMLITE_CONFIG_DIR`` or ``~/.amlite``; directory 0700, files 0600):

- ``profile.json``: endpoint, tenant, user ``{name, type}`` and the subscriptions with the default
  one marked ``isDefault`` (the shape of az's ``azureProfile.json``);
- ``tokens.json``: the cached access token with its expiry and the refresh token (users), or the
  client id and secret (service principals, like az's ``service_principal_entries.json``);
- ``config``: INI file whose ``[defaults]`` section holds ``group`` and ``workspace`` (az's
  ``az configure --defaults``).
"""

from __future__ import annotations

import configparser
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["ProfileStore", "config_dir"]

PROFILE_FILE = "profile.json"
TOKENS_FILE = "tokens.json"
CONFIG_FILE = "config"


def config_dir() -> Path:
    """The profile directory: ``$AMLITE_CONFIG_DIR`` when set, else ``~/.amlite``."""
    env = os.environ.get("AMLITE_CONFIG_DIR")
    return Path(env).expanduser() if env else Path.home() / ".amlite"


def _write_private(path: Path, text: str) -> None:
    """Write atomically with mode 0600 so secrets are never readable by others, even briefly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path.parent, 0o700)
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class ProfileStore:
    """Reads and writes the profile directory; every method re-reads so processes stay in sync."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else config_dir()

    # profile.json ---------------------------------------------------------------------------
    def load_profile(self) -> dict[str, Any] | None:
        return _read_json(self.directory / PROFILE_FILE)

    def save_profile(self, profile: dict[str, Any]) -> None:
        _write_private(self.directory / PROFILE_FILE, json.dumps(profile, indent=2) + "\n")

    # tokens.json ----------------------------------------------------------------------------
    def load_tokens(self) -> dict[str, Any]:
        return _read_json(self.directory / TOKENS_FILE) or {}

    def save_tokens(self, tokens: dict[str, Any]) -> None:
        _write_private(self.directory / TOKENS_FILE, json.dumps(tokens, indent=2) + "\n")

    def clear_login(self) -> bool:
        """Forget the login (profile and tokens); keep configured defaults. True if one existed."""
        existed = False
        for name in (PROFILE_FILE, TOKENS_FILE):
            try:
                (self.directory / name).unlink()
                existed = True
            except FileNotFoundError:
                pass
        return existed

    # config (defaults) ----------------------------------------------------------------------
    def _config(self) -> configparser.ConfigParser:
        parser = configparser.ConfigParser()
        parser.read(self.directory / CONFIG_FILE, encoding="utf-8")
        return parser

    def load_defaults(self) -> dict[str, str]:
        parser = self._config()
        if not parser.has_section("defaults"):
            return {}
        return {k: v for k, v in parser.items("defaults") if v}

    def save_defaults(self, values: dict[str, str]) -> None:
        """Set (or, with an empty value, unset) defaults such as ``group`` and ``workspace``."""
        parser = self._config()
        if not parser.has_section("defaults"):
            parser.add_section("defaults")
        for key, value in values.items():
            if value:
                parser.set("defaults", key, value)
            else:
                parser.remove_option("defaults", key)
        lines: list[str] = []
        for section in parser.sections():
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {v}" for k, v in parser.items(section))
            lines.append("")
        _write_private(self.directory / CONFIG_FILE, "\n".join(lines))

    # helpers --------------------------------------------------------------------------------
    def default_subscription(self) -> dict[str, Any] | None:
        profile = self.load_profile() or {}
        subs = profile.get("subscriptions") or []
        for sub in subs:
            if sub.get("isDefault"):
                return dict(sub)
        return dict(subs[0]) if subs else None
