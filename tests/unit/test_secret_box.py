"""The secret box: values are sealed under the server's secrets key (kept in the store,
``services/server_keys.py``)."""

from __future__ import annotations

import pytest

from amlite.services.secrets import SecretBox, SecretKeyMismatch, new_secrets_key


def test_seal_and_open_round_trip_under_a_kept_key() -> None:
    key = new_secrets_key()
    sealed = SecretBox(key).seal("account-key==")
    assert "account-key" not in sealed
    assert SecretBox(key).open(sealed) == "account-key=="  # a restart with the same key opens it
    assert SecretBox(key + b"\n").open(sealed) == "account-key=="  # as read from an old key file


def test_another_key_cannot_open_and_says_why() -> None:
    sealed = SecretBox(new_secrets_key()).seal("v")
    with pytest.raises(SecretKeyMismatch) as err:
        SecretBox(new_secrets_key()).open(sealed)
    assert err.value.code == "SecretDecryptionFailed"
