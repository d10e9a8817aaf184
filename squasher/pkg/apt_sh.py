"""apt's longer sh pieces: the installed set, simulation, bookkeeping files, runtime tools.

Read by :mod:`squasher.pkg.apt`; POSIX sh like the rest of the package layer.
"""

from __future__ import annotations

from collections.abc import Sequence

from squasher.pkg.base import FREED_TAG, PROTECT_TAG
from squasher.pkg.common import state
from squasher.pkg.runtime import DATA_READERS, tool_commands

INSTALLED = (
    "dpkg-query -W -f='${db:Status-Status} ${Package}\\n' "
    "| awk '$1 == \"installed\" { print $2 }' | LC_ALL=C sort -u"
)
# squasher's own apt runs (marks, simulations, the final purge) deal only with what is installed,
# which dpkg's status holds; they read no package lists. Debian's images keep no binary cache
# (docker-clean), so every apt run with the lists of the build's `apt-get update` parses them
# all again: 0.6-1 s a run here against 15-40 ms, with the same marks and the same removals.
NO_LISTS = '-o Dir::State::Lists="$SQUASHER_STATE/apt-no-lists"'
APT_GET = f"apt-get {NO_LISTS}"
APT_MARK = f"apt-mark {NO_LISTS}"
PURGE_OPTS = (
    "-o APT::AutoRemove::RecommendsImportant=false -o APT::AutoRemove::SuggestsImportant=false"
)
# the package names in "apt-get -s" output (Purg NAME [VERSION] / Remv NAME [VERSION])
SIMULATED = (
    'awk \'$1 == "Purg" || $1 == "Remv" { n = $2; sub(/:.*/, "", n); print n }\' | LC_ALL=C sort -u'
)


def simulate_sh(command: str, pad: str = "") -> str:
    """sh writing to ``apt-would`` the packages the apt ``command`` (a ``-s`` run) would remove;
    no file when the simulation fails (then the protection keeps everything needed)."""
    return (
        f"{pad}if squasher_sim=$({command} 2>/dev/null); then\n"
        + f"{pad}\tprintf '%s\\n' \"$squasher_sim\" | {SIMULATED} > {state('apt-would')}\n"
        + f"{pad}fi\n"
    )


# in a wrapper's protection ($1: the tool, then its arguments): what the command would remove,
# so that only those packages are reported (dpkg -r/-P removes just the packages it names)
SIMULATE_WRAPPED = (
    f"rm -f {state('apt-would')}\n"
    + 'if [ "$#" -gt 1 ]; then\n'
    + "\tsquasher_tool=$1\n"
    + "\tshift\n"
    + '\tcase "$squasher_tool" in\n'
    + "\tdpkg) printf '%s\\n' \"$@\" | grep -v '^-' | sed 's/:.*//' | LC_ALL=C sort -u "
    + f"> {state('apt-would')} ;;\n"
    + "\t*)\n"
    # a removal is simulated without the package lists (fast, as the final purge), unless it
    # also installs or upgrades (install, NAME+ ...) or names what the lists alone know: then
    # with them, as the command runs
    + "\t\tsquasher_no_lists=1\n"
    + '\t\tfor squasher_a in "$@"; do\n'
    + '\t\t\tcase "$squasher_a" in\n'
    + "\t\t\tinstall | reinstall | upgrade | dist-upgrade | full-upgrade | build-dep | satisfy "
    + "| source | *+) squasher_no_lists= ;;\n"
    + "\t\t\tesac\n"
    + "\t\tdone\n"
    + simulate_sh(
        '{ [ -n "$squasher_no_lists" ] '
        + f'&& SQUASHER_PROTECTING=1 "$squasher_tool" {NO_LISTS} -s "$@" 2>/dev/null; }} '
        + '|| SQUASHER_PROTECTING=1 "$squasher_tool" -s "$@"',
        "\t\t",
    )
    + "\t\t;;\n"
    + "\tesac\n"
    + "fi\n"
)
# what apt and dpkg runs write besides the database: logs, and the backups of the database and of
# debconf's caches that each run rewrites; removed when the build wrote them (created, or rewrote
# what the base had: the base's own content is gone from the original image too), kept when they
# are still the base's, byte for byte
BOOKKEEPING_GLOBS = (
    "/var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log "
    "/var/lib/dpkg/*-old /var/cache/debconf/*-old"
)
# one line per bookkeeping file of the base: its checksum, size and path (cksum)
BOOKKEEPING_SNAPSHOT = (
    f"for squasher_p in {BOOKKEEPING_GLOBS}; do\n"
    + '\tif [ -f "$squasher_p" ]; then cksum "$squasher_p"; fi\n'
    + f"done > {state('apt-base-bookkeeping')}\n"
)
BOOKKEEPING_CLEAN = (
    f"[ -e {state('apt-base-bookkeeping')} ] || : > {state('apt-base-bookkeeping')}\n"
    + "squasher_kib=0\n"
    + f"for squasher_p in {BOOKKEEPING_GLOBS}; do\n"
    + '\t[ -f "$squasher_p" ] || continue\n'
    + f'\tif grep -qxF "$(cksum "$squasher_p")" {state("apt-base-bookkeeping")}; then continue; fi\n'
    + "\tsquasher_kib=$((squasher_kib + $(du -sk \"$squasher_p\" | awk '{ print $1 + 0 }')))\n"
    + '\trm -f "$squasher_p"\n'
    + "done\n"
    + f"printf '{FREED_TAG}\\tapt\\t%s\\t%s\\n' 'apt and dpkg logs and backups' \"$squasher_kib\"\n"
)


def runtime_tools_sh(build_only: Sequence[str]) -> str:
    """sh keeping a runtime tool of ``build_only`` (pip, git ...) when a script the build wrote
    runs one of its commands: printed as a protection, with the script and the command.
    Needs the final protection's ``apt-built`` list and ``apt-installed``."""
    pairs = sorted({(p, c) for p in build_only for c in tool_commands(p)})
    if not pairs:
        return ""
    return (
        "# runtime tools that scripts the build wrote run stay\n"
        + "squasher_named() {\n"
        + f'\tgrep -qx "$1" {state("apt-installed")} || return 0\n'
        + f'\tif grep -qx "$1" {state("apt-protected")}; then return 0; fi\n'
        + '\tgrep -qE "(^|[^[:alnum:]_.-])$2([^[:alnum:]_-]|\\$)" "$3" || return 0\n'
        + f"\tprintf '{PROTECT_TAG}\\tapt\\t%s\\t%s\\tcommand %s\\tfinal purge\\n' "
        + '"$1" "$3" "$2"\n'
        + f"\tprintf '%s\\n' \"$1\" >> {state('apt-protected')}\n"
        + "}\n"
        + "while IFS= read -r squasher_f; do\n"
        # installed packages' own scripts (pip's console scripts ...) are not the image's
        + '\tcase "$squasher_f" in\n'
        + "\t*/node_modules/* | */site-packages/* | */dist-packages/* | */pip | */pip[0-9]*) "
        + "continue ;;\n"
        + "\tesac\n"
        + '\t[ "$(head -c 2 "$squasher_f" 2>/dev/null)" = \'#!\' ] || continue\n'
        + "".join(f'\tsquasher_named {p} {c} "$squasher_f"\n' for p, c in pairs)
        + f"done < {state('apt-built')}\n"
    )


def data_readers_sh() -> str:
    """sh keeping a data package of :data:`DATA_READERS` (the MIME database) that only the
    build's packages pulled in while the library that reads it stays after the purge: printed
    as a protection, with the library. It goes when the purge would take the library too. Runs
    once the protected packages are marked manual, so the simulated purge is the real one.
    Needs ``apt-installed``, ``apt-remark`` (what is kept anyway) and ``apt-protected``."""
    out = ["# data read only through a library stays while the library does\n"]
    for package, (library, data) in sorted(DATA_READERS.items()):
        out.append(
            f"if grep -qx {package} {state('apt-installed')} "
            + f"&& ! grep -qx {package} {state('apt-remark')}; then\n"
            + f"\trm -f {state('apt-would')}\n"
            + simulate_sh(f"{APT_GET} -s purge --auto-remove {PURGE_OPTS}", "\t")
            + f"\tsquasher_reader=$(dpkg -S '*/{library}' 2>/dev/null | sed -n '1s/:.*//p')\n"
            + f"\tsquasher_path=$(dpkg -S '*/{library}' 2>/dev/null | sed -n '1s/^[^ ]* //p')\n"
            # no simulation to go by: keep it
            + f'\tif [ ! -e {state("apt-would")} ] || {{ [ -n "$squasher_reader" ] '
            + f'&& ! grep -qx "$squasher_reader" {state("apt-would")}; }}; then\n'
            + f"\t\tprintf '{PROTECT_TAG}\\tapt\\t%s\\t%s\\treads {data}\\tfinal purge\\n' "
            + f'{package} "${{squasher_path:-{library}}}"\n'
            + f"\t\tprintf '%s\\n' {package} >> {state('apt-protected')}\n"
            + f"\t\t{APT_MARK} manual {package} > /dev/null\n"
            + "\tfi\n"
            + f"\trm -f {state('apt-would')}\n"
            + "fi\n"
        )
    return "".join(out)
