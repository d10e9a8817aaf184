"""Shell variable names: which ones POSIX sh can set, and which the shell sets on its own."""

from __future__ import annotations

import re

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Variables the shell or the runtime sets on its own: the builder's word expansion never sees them
# unless the Dockerfile defines them (checked on the engine: `ENV X=$HOME` gives X empty).
SHELL_OWNED = frozenset(
    {
        "HOME",
        "HOSTNAME",
        "PWD",
        "OLDPWD",
        "IFS",
        "PPID",
        "OPTIND",
        "OPTARG",
        "LINENO",
        "PS1",
        "PS2",
        "PS4",
        "SHLVL",
        "ENV",
        "MAIL",
        "MAILPATH",
        "CDPATH",
        "_",
    }
)
