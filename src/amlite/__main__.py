"""``python -m amlite`` runs the CLI, exactly as the ``amlite`` console script does."""

from __future__ import annotations

from amlite.cli.main import main

if __name__ == "__main__":
    main()
