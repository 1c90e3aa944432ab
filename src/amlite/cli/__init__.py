"""The ``amlite`` command line: Typer commands that mirror ``az`` and go through the SDK."""
