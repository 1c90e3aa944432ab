"""The ``limits:`` settings and the sign-in throttle's window, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlite.config import ConfigError, Limits, Settings
from amlite.services.context import FakeClock
from amlite.services.sign_in_throttle import SignInThrottle, SignInThrottled


def _load(tmp_path: Path, text: str) -> Settings:
    config = tmp_path / "amlite.yaml"
    config.write_text(text)
    return Settings.load(data_dir=tmp_path / "data", config_file=config, env={})


def test_limits_have_safe_defaults_and_are_read_from_the_file(tmp_path: Path) -> None:
    assert _load(tmp_path, "port: 8600\n").limits == Limits()
    assert Limits().max_json_body_bytes == 4 * 1024 * 1024  # ARM's own request limit
    limits = _load(tmp_path, "limits: {header_timeout_seconds: 2.5, max_connections: 100}\n").limits
    assert limits.header_timeout_seconds == 2.5 and limits.max_connections == 100


@pytest.mark.parametrize("text", ["limits: {max_connections: 0}\n", "limits: {max_connections: 1.5}\n",
                                  "limits: {no_such_limit: 1}\n", "limits: [1]\n", "limits: {body_timeout_seconds: x}\n"])
def test_bad_limits_are_refused_with_the_setting_named(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="limits"):
        _load(tmp_path, text)


def test_failures_leave_the_window_and_running_checks_count() -> None:
    clock = FakeClock()
    throttle = SignInThrottle(window_seconds=60, per_ip=2, per_principal=10, clock=clock)
    for _ in range(2):
        with throttle.attempt("1.2.3.4", "a") as failed:
            failed()
    with pytest.raises(SignInThrottled) as refused:
        with throttle.attempt("1.2.3.4", "a"):
            pass
    assert refused.value.retry_after == 60
    clock.advance(61)
    with throttle.attempt("1.2.3.4", "a"), throttle.attempt("1.2.3.4", "b"):  # the failures left the window
        with pytest.raises(SignInThrottled):  # two checks still running count against the limit of 2
            with throttle.attempt("1.2.3.4", "c"):
                pass
