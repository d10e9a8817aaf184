"""Packages a purge must treat with care: runtime data, and tools with common run-time uses.

:data:`RUNTIME_DATA` are data and infrastructure packages (the CA store, zoneinfo, /etc/services,
MIME types, locales): an image's programs read them without naming them, so the final purge never
removes them as collateral (``--auto-remove`` of a tool that pulled them in). Names for apt, apk
and dnf; one list, read by each manager's ``purge_sh``.

:data:`RUNTIME_TOOLS` are tools the build often needs (pip, git, curl ...) that images also run:
``build_tools.decide`` keeps one when anything the image runs names one of its commands, and
otherwise purges it with a report line naming the evidence looked at and the override.
:data:`RUNTIMES` are what such a tool runs on (npm -> nodejs): kept when the tool goes.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

RUNTIME_DATA: tuple[str, ...] = (
    "ca-certificates",  # apt, apk, dnf
    "ca-certificates-bundle",  # apk
    "ca-certificates-java",
    "tzdata",
    "netbase",  # /etc/services, /etc/protocols
    "iana-etc",  # apk's /etc/services
    "setup",  # dnf's /etc/services
    "media-types",  # /etc/mime.types
    "mime-support",
    "mailcap",  # dnf's /etc/mime.types
    "locales",
    "locales-all",
    "glibc-langpack-*",
    "glibc-all-langpacks",
    "musl-locales",
)

# data read only through a library: package -> (the library, what it reads). Such a package stays
# while a reader does: when the purge takes the library too (nothing kept links it), nothing is
# left to read the data and the package goes with it. shared-mime-info is the freedesktop MIME
# database, read through GLib's GIO (g_content_type_guess); node, Python and the like read
# /etc/mime.types (media-types) instead. Where a manager has no check of its readers (apk, dnf),
# these are kept like the rest of RUNTIME_DATA.
DATA_READERS: dict[str, tuple[str, str]] = {
    "shared-mime-info": ("libgio-2.0.so.0", "/usr/share/mime"),
}

# package -> the commands it provides (the words that name it in what the image runs)
RUNTIME_TOOLS: dict[str, tuple[str, ...]] = {
    "python3-pip": ("pip", "pip3"),
    "python-pip": ("pip", "pip2"),
    "py3-pip": ("pip", "pip3"),
    "git": ("git",),
    "mercurial": ("hg",),
    "subversion": ("svn",),
    "curl": ("curl",),
    "wget": ("wget",),
    "openssh-client": ("ssh", "scp", "sftp", "ssh-keygen", "ssh-keyscan"),
    "openssh-clients": ("ssh", "scp", "sftp", "ssh-keygen", "ssh-keyscan"),
    "openssh-client-default": ("ssh", "scp", "sftp", "ssh-keygen", "ssh-keyscan"),
    "rsync": ("rsync",),
    # the JavaScript package managers: the image needs one at run time only when what it runs
    # names it (CMD npm start); package.json scripts run only through it, so they are no
    # evidence of their own. node itself is the runtime (RUNTIMES below)
    "npm": ("npm", "npx"),
    "yarnpkg": ("yarn", "yarnpkg"),  # Debian's name
    "yarn": ("yarn",),  # Alpine's name
    "pnpm": ("pnpm", "pnpx"),
}

# a runtime tool -> the runtimes it runs on: when the tool is purged, these stay (the image's
# own programs run on them; apt would otherwise auto-remove nodejs with npm when the original
# installed only npm)
RUNTIMES: dict[str, tuple[str, ...]] = {
    "npm": ("nodejs",),
    "yarnpkg": ("nodejs",),
    "yarn": ("nodejs",),
    "pnpm": ("nodejs",),
}


def is_runtime_data(package: str) -> bool:
    """True for a package of :data:`RUNTIME_DATA` (``:arch`` suffix ignored)."""
    name = package.split(":", 1)[0].lower()
    return name in DATA_READERS or any(fnmatchcase(name, p) for p in RUNTIME_DATA)


def tool_commands(package: str) -> tuple[str, ...]:
    """The commands of a runtime tool (``pip``, ``pip3``), or () when it is not one."""
    return RUNTIME_TOOLS.get(package.split(":", 1)[0].lower(), ())


def tool_runtimes(package: str) -> tuple[str, ...]:
    """The runtimes a runtime tool runs on (``npm`` -> ``nodejs``), or ()."""
    return RUNTIMES.get(package.split(":", 1)[0].lower(), ())


def data_regex(*, readers_checked: bool = False) -> str:
    """An extended regular expression matching a whole :data:`RUNTIME_DATA` name (``grep -xE``);
    with the :data:`DATA_READERS` packages unless the manager checks their readers itself."""

    def one(glob: str) -> str:
        return glob.replace(".", "\\.").replace("+", "\\+").replace("*", ".*")

    names = [*RUNTIME_DATA, *([] if readers_checked else DATA_READERS)]
    return "|".join(one(p) for p in sorted(names))
