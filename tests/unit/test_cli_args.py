"""az-style arguments: space-separated multi-values, optional values, tags, --set/--remove."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlite.cli.args import apply_set_remove, expand_argv, parse_tags
from amlite.cli.session import CliError


def test_multi_value_options_are_expanded() -> None:
    assert expand_argv(["group", "create", "-g", "rg", "--tags", "a=b", "c=d", "-l", "eastus"]) == [
        "group", "create", "-g", "rg", "--tags", "a=b", "--tags", "c=d", "-l", "eastus"]
    assert expand_argv(["configure", "--defaults", "group=rg", "workspace=ws"]) == [
        "configure", "--defaults", "group=rg", "--defaults", "workspace=ws"]


def test_tags_without_value_clear() -> None:
    assert expand_argv(["group", "update", "--tags"]) == ["group", "update", "--tags", ""]
    assert expand_argv(["group", "update", "--tags", "-g", "x"]) == ["group", "update", "--tags", "", "-g", "x"]
    assert parse_tags([""]) == {}


def test_write_config_value_is_optional() -> None:
    assert expand_argv(["ml", "workspace", "show", "--write-config"]) == [
        "ml", "workspace", "show", "--write-config", "."]
    assert expand_argv(["ml", "workspace", "show", "--write-config", "-n", "w"]) == [
        "ml", "workspace", "show", "--write-config", ".", "-n", "w"]
    assert expand_argv(["ml", "workspace", "show", "--write-config", "out/"])[-1] == "out/"


def test_parse_tags() -> None:
    assert parse_tags(None) is None
    assert parse_tags(["a=b", "c", "d=e=f"]) == {"a": "b", "c": "", "d": "e=f"}
    with pytest.raises(CliError):
        parse_tags(["=x"])


def test_set_and_remove_tags() -> None:
    tags = {"a": "1", "b": "2"}
    assert apply_set_remove(tags, ["tags.c=3", "tags.a=9"], ["tags.b"]) == {"a": "9", "c": "3"}
    assert apply_set_remove(tags, None, ["tags"]) == {}
    assert tags == {"a": "1", "b": "2"}  # not modified in place
    with pytest.raises(CliError) as info:
        apply_set_remove(tags, ["location=westus"], None)
    assert info.value.exit_code == 2


def test_at_file_arguments_are_the_files_content(tmp_path: Path) -> None:
    role = tmp_path / "role.json"
    role.write_text('{"Name": "r"}')
    assert expand_argv(["role", "definition", "create", "--role-definition", f"@{role}"])[-1] == '{"Name": "r"}'
    assert expand_argv([f"--role-definition=@{role}"]) == ['--role-definition={"Name": "r"}']
    assert expand_argv(["--", f"@{role}"]) == ["--", f"@{role}"]
    with pytest.raises(CliError) as missing:
        expand_argv(["--role-definition", f"@{tmp_path / 'nope.json'}"])
    assert missing.value.exit_code == 2


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """``amlite ... | head``: a command whose output outgrows the pipe ends with exit 0 and no error."""
    import os
    import subprocess
    import sys

    script = tmp_path / "big.py"
    script.write_text(
        "from amlite.cli import main as m\n"
        "from amlite.cli.command import command\n"
        "def big() -> list[int]:\n"
        "    return list(range(200_000))\n"
        "command(m.app, 'big', help='A result larger than any pipe buffer.')(big)\n"
        "m.main(['big'])\n")
    env = {**os.environ, "AMLITE_CONFIG_DIR": str(tmp_path)}
    done = subprocess.run(f"set -o pipefail; '{sys.executable}' '{script}' | head -2", shell=True, env=env,
                          capture_output=True, text=True, timeout=60, executable="/bin/bash")
    assert done.stdout.splitlines() == ["[", "  0,"]
    assert done.stderr == "" and done.returncode == 0, done.stderr
