"""The secret box: values are sealed under a key kept once (mode 0600) in the data directory."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from amlite.services.secrets import SecretBox, SecretKeyMismatch


def test_seal_and_open_round_trip_under_a_kept_key(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets.key"
    box = SecretBox(key_file)
    sealed = box.seal("account-key==")
    assert "account-key" not in sealed
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert SecretBox(key_file).open(sealed) == "account-key=="  # a restart reads the same key


def test_another_key_cannot_open_and_says_why(tmp_path: Path) -> None:
    sealed = SecretBox(tmp_path / "a.key").seal("v")
    with pytest.raises(SecretKeyMismatch) as err:
        SecretBox(tmp_path / "b.key").open(sealed)
    assert err.value.code == "SecretDecryptionFailed"
