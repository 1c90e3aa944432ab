"""Command groups of the CLI, one module per ``az`` command group."""
