"""Reports squasher produces: the rewrite report, size reports, human-readable figures."""
