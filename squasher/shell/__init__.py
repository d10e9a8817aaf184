"""Shell analysis: bashlex-based queries over RUN commands (see :mod:`squasher.shell.query`)."""
