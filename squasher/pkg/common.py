"""sh pieces shared by the package managers' snippets (marker, new-file scan, shebangs, /tmp).

All of it is POSIX sh (dash, busybox sh) using only find, sort, comm, od, awk, head, readlink,
which Debian's essential set and busybox both have.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from squasher.pkg.base import FREED_TAG, sh_quote, where_sh

S = '"$SQUASHER_STATE"'  # the state directory, quoted for sh


def marker_sh() -> str:
    """Create the state directory and the time marker once (later calls keep the first marker)."""
    return (
        ': "${SQUASHER_STATE:?set SQUASHER_STATE to the state directory}"\n'
        f"mkdir -p {S}\n"
        f"[ -e {state('marker')} ] || touch {state('marker')}\n"
    )


def state(name: str) -> str:
    """``"$SQUASHER_STATE/name"``, quoted for sh."""
    return f'"$SQUASHER_STATE/{name}"'


# not scanned: kernel file systems, package databases, caches and logs
PRUNED = (
    "/proc",
    "/sys",
    "/dev",
    "/var/lib/dpkg",
    "/var/lib/apt",
    "/lib/apk/db",
    "/var/lib/rpm",
    "/usr/lib/sysimage/rpm",
    "/var/cache",
    "/var/log",
)
_PRUNE = " -o ".join(f"-path {p}" for p in PRUNED)


def only_in(a: str, b: str) -> str:
    """sh printing the lines of file ``a`` (``-``: stdin) that are not lines of file ``b``.

    ``comm -23`` without needing comm (busybox builds may lack it) or sorted input.
    """
    return f"awk -v f={b} 'BEGIN {{ while ((getline l < f) > 0) s[l] = 1 }} !($0 in s)' {a}"


def also_in(a: str, b: str) -> str:
    """sh printing the lines of file ``a`` (``-``: stdin) that are lines of file ``b`` too."""
    return f"awk -v f={b} 'BEGIN {{ while ((getline l < f) > 0) s[l] = 1 }} $0 in s' {a}"


def newer_sh() -> str:
    """sh setting ``$squasher_newer`` to ``-cnewer`` (status change: ``cp -p`` and package
    installs count), or ``-newer`` where find lacks it (busybox: content changes only)."""
    return (
        f"if find {state('marker')} -maxdepth 0 -cnewer {state('marker')} >/dev/null 2>&1; then\n"
        "\tsquasher_newer=-cnewer\n"
        "else\n"
        "\tsquasher_newer=-newer\n"
        "fi\n"
    )


def built_files_sh(owned_cmd: str, out: str) -> str:
    """sh writing to state file ``out`` the files the build created or changed that no package owns.

    Only regular files that are executable or named like shared objects (``*.so``, ``*.so.*``)
    are listed: the ones whose runtime needs (libraries, interpreters) matter. ``owned_cmd`` is a
    pipeline printing every path the package database owns, one a line. Both spellings of paths
    under a merged /usr (``/lib/x`` and ``/usr/lib/x``) count as owned, and so do squasher's
    own package-tool wrappers.
    """
    return (
        newer_sh()
        # squasher's own wrappers (plan/purge.py lists them in ``wrappers``) count as owned
        + f"{{ {owned_cmd}; cat {state('wrappers')}; }} 2>/dev/null \\\n"
        # a set, read by only_in: no order needed
        "\t| awk '{ print } /^\\/(bin|sbin|lib[^\\/]*)\\// { print \"/usr\" $0 }' "
        f"> {state('owned')}\n"
        f"find / -xdev \\( {_PRUNE} -o -path {S} \\) -prune \\\n"
        f'\t-o -type f "$squasher_newer" {state("marker")} \\\n'
        "\t\\( -perm -100 -o -perm -010 -o -perm -001 -o -name '*.so' -o -name '*.so.*' \\) \\\n"
        f"\t-print 2>/dev/null | LC_ALL=C sort -u > {state('new')}\n"
        f"{only_in(state('new'), state('owned'))} > {state(out)}\n"
    )


def shebang_interpreter_sh(file_var: str, out_var: str) -> str:
    """sh setting ``$out_var`` to the interpreter path named in ``$file_var``'s ``#!`` line.

    ``#!/usr/bin/env python3`` is looked up in PATH (by hand: busybox's ``command -v`` names
    applets without a directory). Empty when there is none or it is missing.
    """
    awk = (
        '{ sub(/^#![ \\t]*/, ""); if ($1 ~ /(^|\\/)env$/) { for (i = 2; i <= NF; i++) '
        "if ($i !~ /^-/ && $i !~ /=/) { print $i; exit } } else print $1; exit }"
    )
    return (
        f"{out_var}=$(head -n 1 \"${file_var}\" | awk '{awk}')\n"
        f'case "${out_var}" in\n'
        "/*) ;;\n"
        "?*)\n"
        "\tsquasher_found=\n"
        "\tsquasher_ifs=$IFS\n"
        "\tIFS=:\n"
        "\tfor squasher_dir in $PATH; do\n"
        f'\t\tif [ -x "$squasher_dir/${out_var}" ]; then\n'
        f'\t\t\tsquasher_found="$squasher_dir/${out_var}"\n'
        "\t\t\tbreak\n"
        "\t\tfi\n"
        "\tdone\n"
        "\tIFS=$squasher_ifs\n"
        f"\t{out_var}=$squasher_found\n"
        "\t;;\n"
        "esac\n"
        f'[ -z "${out_var}" ] || [ -e "${out_var}" ] || {out_var}=\n'
    )


def file_magic_sh(file_var: str, out_var: str) -> str:
    """sh setting ``$out_var`` to the file's first four bytes in hex (``7f454c46`` for ELF)."""
    return f"{out_var}=$(od -An -tx1 -N4 \"${file_var}\" 2>/dev/null | tr -d ' \\n')\n"


def indent(text: str, level: int = 1) -> str:
    """Indent every non-empty line of ``text`` by ``level`` tabs."""
    pad = "\t" * level
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def list_file_sh(name: str, items: Collection[str]) -> str:
    """sh writing ``items`` (sorted, unique) one a line into state file ``name``."""
    values = sorted(set(items))
    if not values:
        return f": > {state(name)}\n"
    return f"printf '%s\\n' {' '.join(sh_quote(v) for v in values)} > {state(name)}\n"


def tmp_clean_sh(skip: Collection[str] = ()) -> str:
    """sh removing what the build left in /tmp and /var/tmp (entries changed after the marker).

    Entries that were there before the build stay; so do paths in ``skip``. The state directory is
    never removed here (the renderer removes it last).
    """
    dirs = [d for d in ("/tmp", "/var/tmp") if d not in skip]
    if not dirs:
        return ""
    keep = "".join(f" ! -path {sh_quote(p)}" for p in sorted(skip))
    return (
        "# squasher: remove what the build left in "
        + " and ".join(dirs)
        + "\n"
        + newer_sh()
        + f'find {" ".join(dirs)} -mindepth 1 -maxdepth 1 "$squasher_newer" {state("marker")} \\\n'
        f"\t! -path {S}{keep} -exec rm -rf {{}} \\; 2>/dev/null || true\n"
    )


def intercept_sh(
    manager: str, protect: str, tools: Sequence[str], removal_words: Sequence[str]
) -> str:
    """sh installing wrappers for ``tools`` in ``$SQUASHER_STATE/bin`` that run ``protect`` first.

    ``protect`` (a protect snippet) is stored as ``$SQUASHER_STATE/<manager>-protect.sh``; a
    wrapper runs it, with the tool's name and the wrapper's arguments (for a simulation of what
    the command removes), when one of its arguments is in ``removal_words``, then execs the real tool
    (its path as found now). Tools that are not installed get no wrapper. Tools the wrapped one
    runs (apt-get -> dpkg) do not protect again (``SQUASHER_PROTECTING``). The state directory is
    written into the wrappers, so only ``SQUASHER_WHERE`` needs to be in the steps' environment.
    """
    pattern = " | ".join(f'*" {w} "*' for w in removal_words)
    script = state(f"{manager}-protect.sh")
    return (
        f"# squasher {manager}: run the protection before the original's own removals\n"
        + marker_sh()
        + f"mkdir -p {state('bin')}\n"
        + f"cat > {script} <<'SQUASHER_PROTECT'\n"
        + protect
        + "SQUASHER_PROTECT\n"
        + f"for squasher_tool in {' '.join(tools)}; do\n"
        + '\tsquasher_real=$(command -v "$squasher_tool" 2>/dev/null) || continue\n'
        + '\tcase "$squasher_real" in /*) ;; *) continue ;; esac\n'
        + "\tprintf '#!/bin/sh\\nSQUASHER_STATE=%s\\nexport SQUASHER_STATE\\n' "
        + f'"$SQUASHER_STATE" > {S[:-1]}/bin/$squasher_tool"\n'
        + f"\tcat >> {S[:-1]}/bin/$squasher_tool\" <<-'SQUASHER_WRAPPER'\n"
        + "\t# the step being run, when build.sh wrote it (steps get no extra environment)\n"
        + '\tif [ -z "${SQUASHER_WHERE:-}" ] && [ -r "$SQUASHER_STATE/where" ]; then\n'
        + '\t\tSQUASHER_WHERE=$(cat "$SQUASHER_STATE/where")\n'
        + "\t\texport SQUASHER_WHERE\n"
        + "\tfi\n"
        + f"\t# squasher: protect what the build needs before {manager} removes anything\n"
        + '\tif [ -z "${SQUASHER_PROTECTING:-}" ] && [ -e "$SQUASHER_STATE/marker" ]; then\n'
        + '\t\tcase " $* " in\n'
        + f'\t\t{pattern}) sh "$SQUASHER_STATE/{manager}-protect.sh" "${{0##*/}}" "$@" || exit ;;\n'
        + "\t\tesac\n"
        + "\tfi\n"
        + "\tSQUASHER_PROTECTING=1\n"
        + "\texport SQUASHER_PROTECTING\n"
        + "\tSQUASHER_WRAPPER\n"
        + f'\tprintf \'exec %s "$@"\\n\' "$squasher_real" >> {S[:-1]}/bin/$squasher_tool"\n'
        + f'\tchmod 755 {S[:-1]}/bin/$squasher_tool"\n'
        + "done\n"
    )


def freed_paths_sh(manager: str, paths: Sequence[str]) -> str:
    """sh printing (``squasher-freed``) the KiB each existing path holds, before its removal."""
    out = []
    for p in paths:
        q = sh_quote(p)
        out.append(
            f"if [ -e {q} ]; then\n"
            f"\tprintf '{FREED_TAG}\\t{manager}\\t%s\\t%s\\n' {q} "
            f"\"$(du -sk {q} 2>/dev/null | awk '{{ s += $1 }} END {{ print s + 0 }}')\"\n"
            "fi\n"
        )
    return "".join(out)


def needs_scan_sh(built: str, needs: str, elf_sh: str, script_sh: str) -> str:
    """sh writing to state file ``needs`` what each file listed in state file ``built`` needs.

    For an ELF file (``$squasher_f``) ``elf_sh`` runs; for a script whose ``#!`` names an
    interpreter that exists (``$squasher_interp``) ``script_sh`` runs. Both append to ``needs``.
    """
    return (
        f": > {state(needs)}\n"
        + "while IFS= read -r squasher_f; do\n"
        + indent(file_magic_sh("squasher_f", "squasher_magic"))
        + '\tcase "$squasher_magic" in\n'
        + "\t7f454c46)\n"
        + indent(elf_sh, 2)
        + "\t\t;;\n"
        + "\t2321*)\n"
        + indent(shebang_interpreter_sh("squasher_f", "squasher_interp"), 2)
        + '\t\tif [ -n "$squasher_interp" ]; then\n'
        + indent(script_sh, 3)
        + "\t\tfi\n"
        + "\t\t;;\n"
        + "\tesac\n"
        + f"done < {state(built)}\n"
    )


# Modules that installed Python code imports at run time from the system's packages although
# only build tools pulled them in (pip depends on setuptools, python3-dev on distutils).
PYTHON_SYSTEM_MODULES = ("pkg_resources", "setuptools", "distutils")
# where Python finds them, first match wins: pip's own copies in /usr/local need no package
_PYTHON_MODULE_DIRS = (
    "/usr/local/lib/python3*/dist-packages /usr/local/lib/python3*/site-packages "
    "/usr/lib/python3/dist-packages /usr/lib/python3.* /usr/lib64/python3*/site-packages "
    "/usr/lib/python3*/site-packages"
)


# Python files a project's build runs and the image does not: their imports are the build's
# (``setup.py`` imports setuptools to build and install the package). Such a file counts again
# when something the image runs names it (``python setup.py ...`` in CMD): the planner writes
# the names that do not count into the state file ``python-build-scripts`` at the start.
PYTHON_BUILD_SCRIPTS = ("setup.py",)


def python_build_scripts_sh(names: Sequence[str]) -> str:
    """sh recording ``names`` (of :data:`PYTHON_BUILD_SCRIPTS`) as build scripts for
    ``python_imports_sh``."""
    return "".join(
        [
            "# squasher: Python build scripts whose imports are the build's, not the image's\n",
            f"mkdir -p {S}\n",
            list_file_sh("python-build-scripts", list(names)),
        ]
    )


def python_imports_sh(needs: str) -> str:
    """sh appending to state file ``needs`` a ``FILE<TAB>MODULE/__init__.py`` line for each of
    :data:`PYTHON_SYSTEM_MODULES` that a new, unowned ``*.py`` file imports, when the module
    comes from a system directory (needs ``built_files_sh``'s ``owned`` list and
    ``$squasher_newer``). A file named in state file ``python-build-scripts`` is left out."""
    modules = "|".join(PYTHON_SYSTEM_MODULES)
    scripts = state("python-build-scripts")
    return (
        f"find / -xdev \\( {_PRUNE} -o -path {S} \\) -prune \\\n"
        f"\t-o -type f -name '*.py' \"$squasher_newer\" {state('marker')} -print 2>/dev/null \\\n"
        f"\t| {only_in('-', state('owned'))} \\\n"
        f"\t| awk -v f={scripts} 'BEGIN {{ while ((getline l < f) > 0) s[l] = 1 }} "
        '{ n = $0; sub(/.*\\//, "", n) } !(n in s)\' \\\n'
        "\t| tr '\\n' '\\0' | xargs -0 -r grep -HoE "
        f"'^[[:space:]]*(import|from)[[:space:]]+({modules})([.[:space:],]|$)' 2>/dev/null \\\n"
        '\t| awk \'{ f = $0; sub(/:[^:]*$/, "", f); m = $NF; sub(/[.,[:space:]].*/, "", m); '
        'if (!seen[m]++) print f "\\t" m }\' \\\n'
        '\t| while IFS="$squasher_tab" read -r squasher_f squasher_mod; do\n'
        f"\tfor squasher_d in {_PYTHON_MODULE_DIRS}; do\n"
        '\t\t[ -e "$squasher_d/$squasher_mod/__init__.py" ] || continue\n'
        '\t\tcase "$squasher_d" in\n'
        "\t\t/usr/local/*) ;;\n"
        '\t\t*) printf \'%s\\t%s\\n\' "$squasher_f" "$squasher_d/$squasher_mod/__init__.py" ;;\n'
        "\t\tesac\n"
        "\t\tbreak\n"
        "\tdone\n"
        f"done >> {state(needs)}\n"
    )


def ldd_needs_sh(needs: str) -> str:
    """``needs_scan_sh``'s ``elf_sh`` for glibc systems: one ``FILE<TAB>LIBRARY`` line a library."""
    return (
        'ldd "$squasher_f" 2>/dev/null | awk -v f="$squasher_f" '
        + '\'$2 == "=>" && $3 ~ /^\\// { print f "\\t" $3 }\' \\\n'
        + f"\t>> {state(needs)} || true\n"
    )


def interpreter_needs_sh(needs: str) -> str:
    """``needs_scan_sh``'s ``script_sh``: one ``FILE<TAB>INTERPRETER`` line."""
    return f'printf \'%s\\t%s\\n\' "$squasher_f" "$squasher_interp" >> {state(needs)}\n'


def guarded_sh(comment: str, condition: str, body: str) -> str:
    """``# comment`` then ``body`` run only ``if condition``."""
    return f"# {comment}\nif {condition}; then\n" + indent(body) + "fi\n"


def protect_start_sh(where: str) -> str:
    """The first lines of a protect snippet's body: where the removal is (``where_sh``) and a
    tab for the state files' fields."""
    return f"squasher_where={where_sh(where)}\nsquasher_tab=$(printf '\\t')\n"


def built_needs_sh(prefix: str, owned_cmd: str) -> str:
    """For a manager whose files ldd resolves (apt, dnf): state file ``<prefix>-built`` lists the
    files the build made that no package owns (``owned_cmd`` prints what packages own), and
    ``<prefix>-needs`` what each needs: its libraries, its interpreter, the system Python
    modules it imports."""
    needs = f"{prefix}-needs"
    return (
        built_files_sh(owned_cmd, f"{prefix}-built")
        + needs_scan_sh(f"{prefix}-built", needs, ldd_needs_sh(needs), interpreter_needs_sh(needs))
        + python_imports_sh(needs)
    )


def each_needed_path_sh(needs: str) -> str:
    """The head of a loop over state file ``needs``: one pass per needed path (with the first
    file that needs it), as ``$squasher_f``, ``$squasher_lib`` and its real path
    ``$squasher_real``; the caller writes the loop's body and its ``done``."""
    return (
        f'LC_ALL=C sort -t "$squasher_tab" -k2,2 -k1,1 {state(needs)} \\\n'
        + "\t| awk -F '\\t' '!seen[$2]++' \\\n"
        + '\t| while IFS="$squasher_tab" read -r squasher_f squasher_lib; do\n'
        + '\tsquasher_real=$(readlink -f "$squasher_lib" 2>/dev/null || echo "$squasher_lib")\n'
    )


def snapshot_block_sh(manager: str, what: str, condition: str, body: str) -> str:
    """A snapshot snippet: the state directory and the build's start marker (``marker_sh``),
    then ``body`` when ``condition`` holds (the manager's tool is in the base)."""
    return (
        f"# squasher {manager}: {what}\n"
        + marker_sh()
        + f"if {condition}; then\n"
        + indent(body)
        + "fi\n"
    )


def protect_block_sh(manager: str, where: str, condition: str, body: str) -> str:
    """A protect snippet: ``body`` runs when ``condition`` holds and the build has a marker."""
    return guarded_sh(
        f"squasher {manager}: keep the packages that files built so far need ({where or 'removal'})",
        f"{condition} && [ -e {state('marker')} ]",
        body,
    )


class CacheOnlyManager:
    """Base of the language package managers (pip, npm): nothing to snapshot, protect or purge
    (their packages live in the build's own tree), only their caches to drop.

    Subclasses set ``name``, ``tools``, ``cache_comment`` and define ``detect`` and
    ``cache_paths``.
    """

    name = ""
    purges = False
    cache_comment = ""  # what clean_sh's comment says it drops: "the pip cache"

    def snapshot_sh(self) -> str:
        # the marker tells the caches the build wrote in users' homes from the base's own
        return f"# squasher {self.name}: record the start of the build\n" + marker_sh()

    def protect_sh(self, where: str = "") -> str:
        return ""

    def intercept_sh(self) -> str:
        return ""

    def purge_sh(
        self, build_only: Sequence[str], keep: Sequence[str], force: Sequence[str] = ()
    ) -> str:
        return ""

    def cache_paths(self) -> list[str]:
        raise NotImplementedError

    def clean_sh(self, skip: Collection[str] = ()) -> str:
        paths = [p for p in self.cache_paths() if p not in skip]
        if not paths:
            return ""
        in_home = sorted({p[len("/root/") :] for p in paths if p.startswith("/root/")})
        return (
            f"# squasher {self.name}: drop {self.cache_comment}\n"
            + freed_paths_sh(self.name, paths)
            + f"rm -rf {' '.join(sh_quote(p) for p in paths)}\n"
            + (home_caches_sh(self.name, in_home) if in_home else "")
        )


def home_caches_sh(manager: str, relative: Sequence[str]) -> str:
    """sh removing the caches at ``relative`` (``.cache/pip``) in every other user's home from
    /etc/passwd, when the build wrote into them (something in them changed after the marker)."""
    return (
        "# the same caches in the other users' homes, when the build wrote them\n"
        + newer_sh()
        + "squasher_home_cache() {\n"
        + '\t[ -d "$1" ] || return 0\n'
        + f'\t[ -n "$(find "$1" "$squasher_newer" {state("marker")} -print 2>/dev/null '
        + '| head -n 1)" ] || return 0\n'
        + f"\tprintf '{FREED_TAG}\\t{manager}\\t%s\\t%s\\n' \"$1\" "
        + '"$(du -sk "$1" 2>/dev/null | awk \'{ s += $1 } END { print s + 0 }\')"\n'
        + '\trm -rf "$1"\n'
        + "}\n"
        + 'awk -F: \'$6 != "" && $6 != "/" && $6 != "/root" { print $6 }\' /etc/passwd '
        + "2>/dev/null | LC_ALL=C sort -u \\\n"
        + "\t| while IFS= read -r squasher_home; do\n"
        + "".join(f'\tsquasher_home_cache "$squasher_home"/{sh_quote(r)}\n' for r in relative)
        + "done\n"
    )
