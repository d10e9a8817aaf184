"""dnf, yum, microdnf (Fedora, RHEL, UBI...): installs, removals, the cache, the build.sh snippets.

- snapshot: the marker and ``rpm -qa`` (the base's packages are never removed unless forced);
- protect: ``ldd`` over the files the build created or changed that no rpm owns ->
  ``rpm -qf`` the libraries (and ``#!`` interpreters) -> ``dnf mark install`` (``dnf5``:
  ``mark user``) so removing a -devel package cannot take its runtime library along;
- purge: ``remove -y`` the installed build-only packages that the base did not have (plus
  ``force``), with ``clean_requirements_on_remove`` so their now unneeded dependencies go too;
- clean: ``clean all`` and the dnf/yum cache directories.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from squasher.pkg.base import PROTECT_TAG, WHERE_FROM_ENV, Action, PkgOp, package_specs
from squasher.pkg.common import (
    also_in,
    built_needs_sh,
    each_needed_path_sh,
    freed_paths_sh,
    guarded_sh,
    indent,
    intercept_sh,
    list_file_sh,
    only_in,
    protect_block_sh,
    protect_start_sh,
    snapshot_block_sh,
    state,
)
from squasher.pkg.runtime import data_regex
from squasher.pkg.state import Reclaim, StatePaths
from squasher.shell.query import SimpleCommand, parse_options

_SHORT_VALUE = "xcRde"
_LONG_VALUE = frozenset(
    {
        "setopt",
        "enablerepo",
        "disablerepo",
        "repo",
        "repoid",
        "exclude",
        "releasever",
        "installroot",
        "config",
        "randomwait",
        "debuglevel",
        "errorlevel",
        "forcearch",
        "enableplugin",
        "disableplugin",
        "downloaddir",
        "destdir",
    }
)
_ACTIONS: dict[str, Action] = {
    "install": "install",
    "in": "install",
    "reinstall": "install",
    "localinstall": "install",
    "groupinstall": "install",
    "builddep": "install",
    "remove": "remove",
    "rm": "remove",
    "erase": "remove",
    "groupremove": "remove",
    "autoremove": "autoremove",
    "clean": "clean",
    "makecache": "update",
}
CACHE_PATHS = ("/var/cache/dnf", "/var/cache/yum", "/var/cache/libdnf5")
_PICK_PM = (
    "if command -v dnf >/dev/null 2>&1; then squasher_pm=dnf\n"
    "elif command -v yum >/dev/null 2>&1; then squasher_pm=yum\n"
    "elif command -v microdnf >/dev/null 2>&1; then squasher_pm=microdnf\n"
    "else squasher_pm=\n"
    "fi\n"
)


class Dnf:
    """dnf, yum, microdnf. See the module docstring."""

    name = "dnf"
    state = StatePaths(
        databases=("/var/lib/rpm", "/usr/lib/sysimage/rpm", "/var/lib/dnf", "/var/lib/yum"),
        caches=CACHE_PATHS,
        logs=tuple(f"/var/log/{n}.log" for n in ("dnf", "dnf.librepo", "dnf.rpm", "hawkey", "yum")),
        reclaimable=(Reclaim("dnf-cache", "dnf/yum cache", CACHE_PATHS),),
    )
    tools = frozenset({"dnf", "dnf5", "yum", "microdnf", "tdnf"})
    purges = True

    def detect(self, cmd: SimpleCommand) -> list[PkgOp]:
        tool = cmd.name
        if tool not in self.tools or not cmd.words[0].literal:
            return []
        args = parse_options(cmd.args, _SHORT_VALUE, _LONG_VALUE)
        operands = list(args.operands)
        if not operands or not operands[0].literal:
            return []
        sub = operands.pop(0).text
        if sub == "group" and operands and operands[0].text in ("install", "remove"):
            sub = "group" + operands.pop(0).text
        mark: str | None = None
        if (
            sub == "mark"
            and operands
            and operands[0].text in ("install", "remove", "user", "dependency")
        ):
            mark = "manual" if operands.pop(0).text in ("install", "user") else "auto"
            action: Action = "mark"
        elif sub in _ACTIONS:
            action = _ACTIONS[sub]
        else:
            return []
        specs, unknown = package_specs(operands, cmd)
        if action in ("clean", "update"):
            specs = []
        config = args.config("--setopt")
        weak = config.get("install_weak_deps", "").lower()
        return [
            PkgOp(
                manager=self.name,
                action=action,
                packages=[
                    s for s in specs if not s.startswith(("/", "./")) and not s.endswith(".rpm")
                ],
                specs=specs,
                unknown_packages=unknown,
                tool=tool or "",
                no_install_recommends=weak in ("0", "false", "no", "off"),
                auto_remove=action == "remove" and tool != "microdnf",
                mark=mark,
                conditional=cmd.conditional,
                command=cmd,
            )
        ]

    def snapshot_sh(self) -> str:
        return snapshot_block_sh(
            "dnf",
            "record the base's packages and the start of the build",
            "command -v rpm >/dev/null 2>&1",
            f"rpm -qa --qf '%{{NAME}}\\n' | LC_ALL=C sort -u > {state('rpm-base')}\n"
            + f": >> {state('rpm-protected')}\n",
        )

    def protect_sh(self, where: str = "") -> str:
        body = (
            protect_start_sh(where)
            + _PICK_PM
            + built_needs_sh("rpm", "rpm -qa --qf '[%{FILENAMES}\\n]'")
            + each_needed_path_sh("rpm-needs")
            + '\trpm -qf --qf \'%{NAME}\\n\' "$squasher_lib" "$squasher_real" 2>/dev/null \\\n'
            + "\t\t| grep -v ' ' | LC_ALL=C sort -u | while IFS= read -r squasher_pkg; do\n"
            + '\t\tprintf \'%s\\t%s\\t%s\\n\' "$squasher_pkg" "$squasher_f" "$squasher_lib"\n'
            + "\tdone\n"
            + f"done > {state('rpm-protect-new')}\n"
            + f'LC_ALL=C sort -t "$squasher_tab" -k1,1 -k2,2 {state("rpm-protect-new")} \\\n'
            + "\t| awk -F '\\t' -v w=\"$squasher_where\" "
            + f'\'!seen[$1]++ {{ print "{PROTECT_TAG}\\tdnf\\t" $1 "\\t" $2 "\\t" $3 "\\t" w }}\'\n'
            + f"cut -f 1 {state('rpm-protect-new')} | LC_ALL=C sort -u -o {state('rpm-protected')} "
            + f"{state('rpm-protected')} -\n"
            + f"if [ -s {state('rpm-protected')} ]; then\n"
            + '\tcase "$squasher_pm" in\n'
            + f"\tdnf) xargs dnf -q mark install < {state('rpm-protected')} > /dev/null 2>&1 || "
            + f"xargs dnf -q mark user < {state('rpm-protected')} > /dev/null 2>&1 || true ;;\n"
            + "\tesac\n"
            + "fi\n"
        )
        return protect_block_sh(self.name, where, "command -v rpm >/dev/null 2>&1", body)

    def intercept_sh(self) -> str:
        return intercept_sh(
            self.name,
            self.protect_sh(WHERE_FROM_ENV),
            ("dnf", "yum", "microdnf"),
            ("remove", "erase", "autoremove", "rm"),
        )

    def purge_sh(
        self, build_only: Sequence[str], keep: Sequence[str], force: Sequence[str] = ()
    ) -> str:
        body = (
            _PICK_PM
            + list_file_sh("rpm-build-only", build_only)
            + list_file_sh("rpm-keep", keep)
            + list_file_sh("rpm-force", force)
            + f"[ -e {state('rpm-base')} ] || : > {state('rpm-base')}\n"
            + f"rpm -qa --qf '%{{NAME}}\\n' | LC_ALL=C sort -u > {state('rpm-now')}\n"
            + "{\n"
            + f"\t{only_in(state('rpm-build-only'), state('rpm-base'))}\n"
            + f"\t{also_in(state('rpm-force'), state('rpm-build-only'))}\n"
            + f"}} | LC_ALL=C sort -u | {also_in('-', state('rpm-now'))} \\\n"
            + f"\t| {only_in('-', state('rpm-keep'))} \\\n"
            + f"\t| {only_in('-', state('rpm-protected'))} > {state('rpm-remove')}\n"
            + f'if [ -s {state("rpm-remove")} ] && [ -n "$squasher_pm" ]; then\n'
            # what the base had and runtime data stay when the removal cleans dependencies
            + "\t{\n"
            + f"\t\t{only_in(state('rpm-base'), state('rpm-force'))}\n"
            + f"\t\tgrep -xE '{data_regex()}' {state('rpm-now')}\n"
            + f"\t}} | LC_ALL=C sort -u | {also_in('-', state('rpm-now'))} "
            + f"| {only_in('-', state('rpm-remove'))} > {state('rpm-hold')}\n"
            + f'\tif [ "$squasher_pm" != microdnf ] && [ -s {state("rpm-hold")} ]; then\n'
            + f'\t\txargs "$squasher_pm" mark install < {state("rpm-hold")} > /dev/null 2>&1 || true\n'
            + "\tfi\n"
            + '\tcase "$squasher_pm" in\n'
            + f"\tmicrodnf) xargs microdnf remove -y < {state('rpm-remove')} ;;\n"
            + '\t*) xargs "$squasher_pm" remove -y --setopt=clean_requirements_on_remove=1 '
            + f"< {state('rpm-remove')} ;;\n"
            + "\tesac\n"
            + "fi\n"
        )
        return self.protect_sh("final purge") + guarded_sh(
            "squasher dnf: remove the build-only packages", "command -v rpm >/dev/null 2>&1", body
        )

    def clean_sh(self, skip: Collection[str] = ()) -> str:
        paths = [p for p in CACHE_PATHS if p not in skip]
        if not paths:
            return ""
        return (
            "# squasher dnf: drop the package caches\n"
            + "if command -v rpm >/dev/null 2>&1; then\n"
            + indent(_PICK_PM)
            + indent(freed_paths_sh(self.name, paths))
            + '\tif [ -n "$squasher_pm" ]; then "$squasher_pm" clean all > /dev/null 2>&1 || true; fi\n'
            + f"\trm -rf {' '.join(p + '/*' for p in paths)}\n"
            + "fi\n"
        )

    def cache_paths(self) -> list[str]:
        return list(CACHE_PATHS)
