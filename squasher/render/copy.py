"""COPY/ADD from the build context (and ``COPY <<EOF``) placed by build.sh with Docker's rules.

``plan_copy`` turns one COPY/ADD instruction, whose sources and destination the caller has already
expanded, into POSIX sh lines that place the files exactly as the chosen builder would, run as root
at the instruction's place in build.sh, reading the staged context at ``staged_root``.

Decisions (each checked against the real builders by tests/e2e/test_copy_engine.py):

- Wildcards are expanded at REWRITE time against the context with .dockerignore applied, in the
  builder's walk order (Go ``filepath.Match`` per path). The script then names every source
  literally: deterministic, validated (a missing source is a rewrite error, not a build error),
  and the staging carries only the matched paths.
- A source that is a symlink (or goes through one) is resolved inside the context at rewrite time,
  as the builders do; symlinks inside a copied directory stay symlinks.
- Directory sources copy their contents. The destination directory, when missing, is created 0755;
  missing parents are created 0755 and owned by root, except where the builder gives them the
  ``--chown`` owner (BuildKit: every directory it creates; classic: the parents of a copied file and
  the destination directory of a copied directory).
- ``--chown``: names are looked up in the image's /etc/passwd and /etc/group when the step runs,
  with the builder's rules (classic: ``user`` alone means ``user:user`` looked up as a group;
  BuildKit: ``user`` alone takes the user's primary group; a bare number means ``N:N``). An unknown
  name fails the build with the classic builder, as it does; BuildKit silently takes uid 0 (an
  unknown group keeps the gid), and so does the script, with a warning on stderr.
- ``--chmod`` (octal; BuildKit only, the classic builder refuses it): applied to every copied file
  and directory, not to directories the copy had to create. BuildKit keeps a source's
  setuid/setgid/sticky bits through ``--chown`` and ``--chmod``; the classic builder's chown clears
  them. The script does the same for each builder.
- Modes, mtimes (symlinks' own included), numeric owners (root, as staged) are preserved; an
  existing non-directory at a destination is replaced.
- Squasher's own files in the context (``GENERATED``: ``.squasher/``, ``Dockerfile.squashed`` and its
  ignore file) are never matched by wildcards and are left out of a copy of a directory holding
  them: the original build did not see them, and a second rewrite must give the same output.
- ADD of a local archive (detected by content, see ``archive.py``) is unpacked into the destination
  with the image's ``tar`` (numeric owners, modes and mtimes from the archive, ``--chown`` not
  applied to its content, the destination directory keeps its own metadata); the decompressor
  (gzip, bzip2, xz) must exist in the image at that point, otherwise the step fails with a message
  naming the missing tool.
- ``COPY <<EOF``: the body becomes a file named after the delimiter, mode 0644 (or ``--chmod``);
  the body is expanded only when the delimiter is unquoted, with the caller's builder expander.
- Kept as instructions (``is_foldable`` says why): ADD of a URL or git repository, ``COPY --from``,
  ``--parents``, ``--exclude``, ``--checksum``, ``--keep-git-dir``, unknown flags. ``--link`` is folded
  (the files placed are the same).
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from squasher.errors import RewriteRefused
from squasher.parse.model import Heredoc, Instruction
from squasher.render.archive import inspect_archive, symlink_times
from squasher.render.dockerignore import (
    BadPattern,
    DockerIgnore,
    go_clean,
    go_match,
    has_glob_meta,
    validate_pattern,
)

BUILDERS = ("classic", "buildkit")

# What squasher writes into the build context (context-relative). A directory copy of the context
# leaves these out, and wildcards never match them: the original build never saw them.
GENERATED: tuple[str, ...] = (
    ".squasher",
    "Dockerfile.squashed",
    "Dockerfile.squashed.dockerignore",
)

# sh helper functions the steps call; D1 includes this once near the top of build.sh.
RUNTIME_SH = r"""# --- squasher: COPY/ADD placement (Docker's rules, run as root) ---
sq_die() {
    printf 'squasher: %s\n' "$*" >&2
    exit 1
}

# sq_lookup FILE NAME: print fields 3 and 4 ("id:gid") of the first entry called NAME.
sq_lookup() {
    [ -f "$1" ] || return 1
    while IFS=: read -r sq_l_name _ sq_l_id sq_l_gid _ || [ -n "$sq_l_name" ]; do
        if [ "$sq_l_name" = "$2" ]; then
            printf '%s:%s\n' "$sq_l_id" "$sq_l_gid"
            return 0
        fi
    done <"$1"
    return 1
}

sq_isnum() {
    case $1 in
    '' | *[!0-9]*) return 1 ;;
    *) return 0 ;;
    esac
}

# sq_owner SPEC BUILDER WHERE: set sq_own to "uid:gid" for --chown=SPEC, as BUILDER resolves it
# against this image's /etc/passwd and /etc/group.
sq_owner() {
    case $1 in
    *:*)
        sq_o_user=${1%%:*}
        sq_o_group=${1#*:}
        ;;
    *)
        sq_o_user=$1
        sq_o_group=
        ;;
    esac
    if [ "$2" = classic ]; then
        case $1 in
        *:*:*) sq_die "$3: invalid chown string format: $1" ;;
        *:*) ;;
        *) sq_o_group=$sq_o_user ;;
        esac
    fi
    if sq_isnum "$sq_o_user"; then
        sq_o_uid=$sq_o_user
        sq_o_gid=$sq_o_user
    elif [ "$2" = buildkit ] && [ "$sq_o_user" = root ]; then
        sq_o_uid=0
        sq_o_gid=0
    elif sq_o_ent=$(sq_lookup /etc/passwd "$sq_o_user"); then
        sq_o_uid=${sq_o_ent%%:*}
        sq_o_gid=${sq_o_ent#*:}
    elif [ "$2" = buildkit ]; then
        # BuildKit takes an unknown name as uid 0 (and keeps going); so does the script, loudly
        printf 'squasher: %s: warning: no user %s in /etc/passwd: owner 0, as BuildKit does\n' \
            "$3" "$sq_o_user" >&2
        sq_o_uid=0
        sq_o_gid=0
    else
        sq_die "$3: unable to find user $sq_o_user: no matching entries in passwd file"
    fi
    if [ -n "$sq_o_group" ]; then
        if sq_isnum "$sq_o_group"; then
            sq_o_gid=$sq_o_group
        elif sq_o_ent=$(sq_lookup /etc/group "$sq_o_group"); then
            sq_o_gid=${sq_o_ent%%:*}
        elif [ "$2" = buildkit ]; then
            printf 'squasher: %s: warning: no group %s in /etc/group: group %s, as BuildKit does\n' \
                "$3" "$sq_o_group" "$sq_o_gid" >&2
        else
            sq_die "$3: unable to find group $sq_o_group: no matching entries in group file"
        fi
    fi
    # shellcheck disable=SC2034 # read by the COPY steps
    sq_own=$sq_o_uid:$sq_o_gid
}

# sq_mkdirs DIR OWNER: create DIR and its missing parents (mode 0755); the ones created are
# given to OWNER ("uid:gid"; empty: they stay root's).
sq_mkdirs() {
    [ -d "$1" ] && return 0
    sq_mkdirs "$(dirname -- "$1")" "$2" || return 1
    mkdir -m 755 -- "$1" || return 1
    if [ -n "$2" ]; then chown -h -- "$2" "$1" || return 1; fi
}

# sq_clear PATH: remove what is at PATH unless it is a real directory (Docker replaces it).
sq_clear() {
    if [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; then rm -f -- "$1"; fi
}

# sq_fix SRCDIR DESTDIR OWNER MODE SPECIAL: give OWNER / MODE to DESTDIR/x for every x copied from
# SRCDIR. chown clears setuid/setgid; SPECIAL=1 (BuildKit) gives them back, as BuildKit chmods after
# its chown and keeps the source's special bits even under --chmod.
sq_fix() {
    if [ -n "$3" ]; then
        (cd "$1" && find . ! -name . -exec sh -c '
            d=$1 o=$2; shift 2
            for f do shift; set -- "$@" "$d/${f#./}"; done
            exec chown -h -- "$o" "$@"' sq_fix "$2" "$3" {} +) || return 1
    fi
    if [ -n "$4" ]; then
        (cd "$1" && find . ! -name . ! -type l -exec sh -c '
            d=$1 m=$2; shift 2
            for f do shift; set -- "$@" "$d/${f#./}"; done
            exec chmod -- "$m" "$@"' sq_fix "$2" "$4" {} +) || return 1
    fi
    if [ "$5" = 1 ] && { [ -n "$3" ] || [ -n "$4" ]; }; then
        (cd "$1" && find . ! -name . ! -type l \( -perm -4000 -o -perm -2000 -o -perm -1000 \) \
            -exec sh -c '
            d=$1 m=$2; shift 2
            for f do
                s=$(stat -c %a -- "$f") || exit 1
                if [ -n "$m" ]; then s=${s%???}${m#?}; fi
                chmod -- "$s" "$d/${f#./}" || exit 1
            done' sq_fix "$2" "$4" {} +) || return 1
    fi
}

# sq_special SRC DEST MODE: give DEST back the setuid/setgid/sticky bits of SRC (BuildKit keeps them
# through --chown and --chmod; chown cleared them).
sq_special() {
    sq_sp=$(stat -c %a -- "$1" 2>/dev/null) || return 0
    case $sq_sp in ????) ;; *) return 0 ;; esac
    if [ -n "$3" ]; then sq_sp=${sq_sp%???}${3#?}; fi
    chmod -- "$sq_sp" "$2"
}

# sq_linktimes SRCDIR DESTDIR: give the copied symlinks their source mtime (busybox cp -p does not;
# best effort: an image without stat or touch -h keeps the copy time on its symlinks).
sq_linktimes() {
    (cd "$1" && find . -type l -exec sh -c '
        d=$1; shift
        for f do
            touch -h -d "@$(stat -c %Y "$f")" "$d/${f#./}" 2>/dev/null || :
        done' sq_linktimes "$2" {} +)
}

# sq_linktime PATH EPOCH: set a symlink's own mtime (best effort, see sq_linktimes).
sq_linktime() {
    touch -h -d "@$2" "$1" 2>/dev/null || :
}

# sq_copy_file SRC DEST INTO NAME PARENT_OWNER OWNER MODE SPECIAL: copy one file to DEST, or to
# DEST/NAME when INTO=1 or DEST is a directory (SPECIAL: see sq_fix).
sq_copy_file() {
    sq_t=$2
    if [ "$3" = 1 ] || [ -d "$sq_t" ]; then sq_t=${sq_t%/}/$4; fi
    sq_mkdirs "$(dirname -- "$sq_t")" "$5" || return 1
    sq_clear "$sq_t" || return 1
    cp -pP -- "$1" "$sq_t" || return 1
    if [ -n "$6" ]; then chown -h -- "$6" "$sq_t" || return 1; fi
    if [ -n "$7" ]; then chmod -- "$7" "$sq_t" || return 1; fi
    if [ "$8" = 1 ] && { [ -n "$6" ] || [ -n "$7" ]; }; then sq_special "$1" "$sq_t" "$7"; fi
}

# sq_write_file TEXT DEST INTO NAME PARENT_OWNER OWNER MODE: like sq_copy_file for COPY <<EOF.
sq_write_file() {
    sq_t=$2
    if [ "$3" = 1 ] || [ -d "$sq_t" ]; then sq_t=${sq_t%/}/$4; fi
    sq_mkdirs "$(dirname -- "$sq_t")" "$5" || return 1
    sq_clear "$sq_t" || return 1
    printf '%s' "$1" >"$sq_t" || return 1
    chmod 644 "$sq_t" || return 1
    if [ -n "$6" ]; then chown -h -- "$6" "$sq_t" || return 1; fi
    if [ -n "$7" ]; then chmod -- "$7" "$sq_t" || return 1; fi
}

# sq_copy_dir SRC DEST PARENT_OWNER DEST_OWNER OWNER MODE SPECIAL: copy the contents of directory
# SRC into DEST (created 0755 when missing: its parents for PARENT_OWNER, itself for DEST_OWNER).
sq_copy_dir() {
    if [ ! -d "$2" ]; then
        sq_mkdirs "$(dirname -- "$2")" "$3" || return 1
        sq_clear "$2" || return 1
        mkdir -m 755 -- "$2" || return 1
        if [ -n "$4" ]; then chown -h -- "$4" "$2" || return 1; fi
    fi
    for sq_e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        [ -e "$sq_e" ] || [ -L "$sq_e" ] || continue
        sq_clear "$2/${sq_e##*/}" || return 1
        cp -pPR -- "$sq_e" "$2/" || return 1
    done
    sq_fix "$1" "$2" "$5" "$6" "$7" || return 1
    sq_linktimes "$1" "$2"
}

# sq_untar SRC DEST COMPRESSION DEST_OWNER WHERE: unpack a local archive into DEST as ADD does.
sq_untar() {
    command -v tar >/dev/null 2>&1 || sq_die "$5: the image has no tar to unpack $1"
    case $3 in
    '') sq_u_cmd= ;;
    gzip) sq_u_cmd=gzip ;;
    bzip2) sq_u_cmd=bzip2 ;;
    xz) sq_u_cmd=xz ;;
    *) sq_die "$5: cannot unpack $3" ;;
    esac
    if [ -n "$sq_u_cmd" ] && ! command -v "$sq_u_cmd" >/dev/null 2>&1; then
        sq_die "$5: the image has no $sq_u_cmd to unpack $1 (Docker unpacks it itself):" \
            "install it in an earlier step or keep this ADD as an instruction"
    fi
    sq_mkdirs "$2" "$4" || return 1
    # Docker's untar leaves an existing destination's own metadata alone ("./" is skipped)
    sq_u_meta=$(stat -c '%a %u:%g' -- "$2" 2>/dev/null) || sq_u_meta=
    if [ -n "$sq_u_cmd" ]; then
        "$sq_u_cmd" -dc <"$1" | tar -x -f - -C "$2" --numeric-owner || return 1
    else
        tar -x -f "$1" -C "$2" --numeric-owner || return 1
    fi
    if [ -n "$sq_u_meta" ]; then
        chown -- "${sq_u_meta#* }" "$2" && chmod -- "${sq_u_meta%% *}" "$2"
    fi
}
# --- end of COPY/ADD placement ---
"""

_KEEP_FLAGS = {
    "from": "COPY --from reads another stage or image",
    "parents": "--parents is not reproduced by the script",
    "exclude": "--exclude is not reproduced by the script",
    "checksum": "ADD --checksum verifies a download",
    "keep-git-dir": "ADD --keep-git-dir clones a git repository",
}
_KNOWN_FLAGS = {"chown", "chmod", "link"}
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GIT_RE = re.compile(r"^(git@|git://|github\.com/)|\.git(#.*)?$")
_HEREDOC_SRC = re.compile(r"^<<(-?)(['\"]?)([^'\"]+)\2$")


@dataclass
class CopyStep:
    """The sh that places one COPY/ADD, and the context paths its staging must carry."""

    sh: str
    context_paths: list[str]
    notes: list[str] = field(default_factory=list)


def is_remote_source(src: str) -> bool:
    """A URL or git reference (ADD downloads or clones it; the script does not)."""
    return bool(_URL_RE.match(src) or _GIT_RE.search(src))


def is_foldable(inst: Instruction, sources: list[str] | None = None) -> tuple[bool, str]:
    """Can the script place this COPY/ADD? Returns (False, reason) when it must stay an instruction."""
    if inst.keyword not in ("COPY", "ADD"):
        return False, f"{inst.keyword} is not a COPY or ADD"
    for flag in inst.flags:
        if flag.name in _KEEP_FLAGS:
            return False, _KEEP_FLAGS[flag.name]
        if flag.name not in _KNOWN_FLAGS:
            return False, f"unknown flag --{flag.name}"
    srcs = sources if sources is not None else [a for a in inst.args[:-1]]
    for src in srcs:
        if is_remote_source(src):
            if inst.keyword == "ADD":
                return False, f"ADD of a URL or git repository ({src}) downloads at build time"
            return False, f"COPY of a URL ({src}) is refused by the builder"
    return True, ""


def _sq(word: str) -> str:
    """Quote for sh; always quotes so the generated text is stable and readable."""
    if word and re.fullmatch(r"[A-Za-z0-9_./:@%+=,-]+", word):
        return word
    return shlex.quote(word)


def _where(dockerfile_path: str, inst: Instruction) -> str:
    return f"{dockerfile_path}:{inst.start_line}"


def _refuse(msg: str, dockerfile_path: str, inst: Instruction) -> RewriteRefused:
    return RewriteRefused(msg, dockerfile_path, inst.start_line)


def resolve_in_context(context: Path, rel: str) -> str:
    """Follow symlinks in ``rel`` the way the builders do, scoped to the context root
    (absolute link targets and ``..`` stay inside). Returns the resolved context-relative path."""
    parts = [p for p in go_clean("/" + rel).split("/") if p]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == ".":
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = [*resolved, part]
        full = context.joinpath(*candidate)
        if full.is_symlink():
            hops += 1
            if hops > 255:
                raise OSError(f"too many levels of symbolic links: {rel}")
            target = os.readlink(full)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p] + parts
            continue
        resolved = candidate
    return "/".join(resolved) or "."


def expand_wildcard(
    context: Path,
    pattern: str,
    ignore: DockerIgnore,
    generated: Sequence[str] = GENERATED,
) -> list[str]:
    """Context paths matching ``pattern`` (cleaned, relative) in the builder's walk order.

    Paths squasher itself writes into the context (``generated``) are never matched, so a second
    rewrite sees the same context as the first.
    """
    out: list[str] = []
    depth = pattern.count("/") + 1  # "*" and "?" never match "/": deeper paths cannot match
    skip = {go_clean(g) for g in generated}

    def present(rel: str, full: Path) -> bool:
        if not ignore.excluded(rel):
            return True
        # an excluded directory is still sent when a "!" exception keeps something below it
        return (
            ignore.has_exceptions()
            and full.is_dir()
            and not full.is_symlink()
            and bool(ignore.walk(context, rel))
        )

    def walk(rel: str) -> None:
        full = context / rel if rel else context
        try:
            names = sorted(os.listdir(full))
        except OSError:
            return
        for name in names:
            child = f"{rel}/{name}" if rel else name
            child_full = context / child
            if child in skip or not present(child, child_full):
                continue
            if go_match(pattern, child):
                out.append(child)
                continue  # filepath.SkipDir on a matched directory
            if child.count("/") + 1 < depth and child_full.is_dir() and not child_full.is_symlink():
                walk(child)

    walk("")
    return out


@dataclass
class _Source:
    rel: str  # resolved context-relative path
    name: str  # base name used when placed into a directory
    kind: str  # "file" | "dir" | "archive"
    compression: str = ""


def _heredoc_for(inst: Instruction, src: str) -> Heredoc | None:
    m = _HEREDOC_SRC.match(src)
    if not m or not inst.heredocs:
        return None
    for doc in inst.heredocs:
        if doc.name == m.group(3):
            return doc
    return None


def _context_source(
    inst: Instruction,
    src: str,
    context: Path,
    ignore: DockerIgnore,
    dockerfile_path: str,
    builder: str,
    notes: list[str],
    generated: Sequence[str] = GENERATED,
) -> list[_Source]:
    """The context entries one source word names (wildcards expanded)."""
    cleaned = go_clean("/" + src).lstrip("/") or "."
    raw = go_clean(src)
    if not src.startswith("/") and (raw == ".." or raw.startswith("../")):
        raise _refuse(
            f"{inst.keyword} source {src!r} is outside the build context", dockerfile_path, inst
        )
    if has_glob_meta(cleaned):
        try:
            validate_pattern(cleaned)
        except BadPattern:
            raise _refuse(
                f"{inst.keyword} source {src!r}: syntax error in pattern", dockerfile_path, inst
            ) from None
        matches = expand_wildcard(context, cleaned, ignore, generated)
        if not matches:
            if builder == "classic":
                raise _refuse(
                    f"{inst.keyword} source {src!r} matches no file in the build context",
                    dockerfile_path,
                    inst,
                )
            notes.append(f"{src!r} matches nothing in the context: BuildKit copies nothing for it")
            return []
        rels = matches
    else:
        rels = [cleaned]
    out: list[_Source] = []
    for rel in rels:
        try:
            resolved = resolve_in_context(context, rel) if rel != "." else "."
        except OSError as err:
            raise _refuse(f"{inst.keyword} source {src!r}: {err}", dockerfile_path, inst) from None
        full = context / resolved if resolved != "." else context
        hidden = resolved != "." and (ignore.excluded(resolved) or ignore.excluded(rel))
        if hidden and not (
            full.is_dir() and ignore.has_exceptions() and ignore.walk(context, resolved)
        ):
            raise _refuse(
                f"{inst.keyword} source {src!r}: file not found in build context or excluded by .dockerignore",
                dockerfile_path,
                inst,
            )
        try:
            st = full.stat()
        except OSError:
            raise _refuse(
                f"{inst.keyword} source {src!r}: file not found in build context or excluded by .dockerignore",
                dockerfile_path,
                inst,
            ) from None
        if "\n" in resolved:
            raise _refuse(
                f"{inst.keyword} source {src!r}: a newline in a path is not supported",
                dockerfile_path,
                inst,
            )
        name = posixpath.basename(rel) if rel != "." else ""
        if stat.S_ISDIR(st.st_mode):
            out.append(_Source(resolved, name, "dir"))
        elif inst.keyword == "ADD":
            info = inspect_archive(full)
            if info.is_archive:
                out.append(_Source(resolved, name, "archive", info.compression))
            else:
                if info.compression == "zstd":
                    notes.append(
                        f"{rel}: zstd data is copied as a file (the 20.10 engine does not unpack zstd)"
                    )
                out.append(_Source(resolved, name, "file"))
        else:
            out.append(_Source(resolved, name, "file"))
    return out


def _under(parent: str, path: str) -> str:
    """``path`` relative to ``parent`` when it lies below it, else ""."""
    path = go_clean(path).lstrip("/")
    if parent in ("", "."):
        return path
    if path.startswith(parent + "/"):
        return path[len(parent) + 1 :]
    return ""


def _parse_chmod(value: str, inst: Instruction, dockerfile_path: str) -> str:
    if not re.fullmatch(r"[0-7]{1,4}", value):
        raise _refuse(
            f"invalid chmod parameter {value!r}: only octal modes are supported",
            dockerfile_path,
            inst,
        )
    return f"{int(value, 8):04o}"


def plan_copy(
    inst: Instruction,
    sources: list[str],
    dest: str,
    *,
    workdir: str,
    context: Path,
    ignore: DockerIgnore,
    staged_root: str,
    dockerfile_path: str,
    builder: str,
    expand: Callable[[str], str] | None = None,
    generated: Sequence[str] = GENERATED,
) -> CopyStep:
    """The sh placing ``inst`` (sources and dest already expanded by the caller).

    ``expand`` is the builder's word expander with the env in force at this step; it is applied to
    ``--chown``/``--chmod`` values and to the bodies of unquoted ``COPY <<EOF`` heredocs. Without it
    a value holding ``$`` is refused. ``generated``: the context-relative paths squasher writes
    (``.squasher`` and the output Dockerfile with its ignore file); a copy of a directory holding
    them leaves them out.
    """
    if builder not in BUILDERS:
        raise ValueError(f"builder must be one of {BUILDERS}")
    ok, reason = is_foldable(inst, sources)
    if not ok:
        raise _refuse(f"{inst.keyword} cannot be folded: {reason}", dockerfile_path, inst)
    where = _where(dockerfile_path, inst)
    notes: list[str] = []

    def expanded(value: str, what: str) -> str:
        if "$" not in value:
            return value
        if expand is None:
            raise _refuse(f"{what} {value!r} needs variable expansion", dockerfile_path, inst)
        return expand(value)

    chown_flag = inst.flag("chown")
    chown = expanded(chown_flag.value or "", "--chown") if chown_flag else ""
    chmod_flag = inst.flag("chmod")
    chmod = ""
    if chmod_flag is not None:
        if builder == "classic":
            raise _refuse("the --chmod option requires BuildKit", dockerfile_path, inst)
        chmod = _parse_chmod(expanded(chmod_flag.value or "", "--chmod"), inst, dockerfile_path)
    if inst.flag("link") is not None:
        notes.append("--link: placed in the script like a plain copy (same files)")

    if not sources:
        raise _refuse(f"{inst.keyword} requires at least two arguments", dockerfile_path, inst)

    # destination
    into = dest.endswith("/") or dest in ("", ".") or dest.endswith("/.")
    target = dest if dest.startswith("/") else posixpath.join(workdir or "/", dest)
    target = go_clean(target)
    if "\n" in target:
        raise _refuse("a newline in the destination is not supported", dockerfile_path, inst)

    # sources
    docs: list[tuple[Heredoc, str]] = []
    entries: list[_Source] = []
    wildcard = False
    for src in sources:
        doc = _heredoc_for(inst, src)
        if doc is not None:
            docs.append((doc, src))
            continue
        if src.startswith("<<"):
            raise _refuse(f"{inst.keyword} heredoc {src} has no body", dockerfile_path, inst)
        wildcard = wildcard or has_glob_meta(go_clean("/" + src))
        entries.extend(
            _context_source(inst, src, context, ignore, dockerfile_path, builder, notes, generated)
        )

    count = len(entries) + len(docs)
    if builder == "classic" and count > 1 and not dest.endswith("/"):
        raise _refuse(
            f"When using {inst.keyword} with more than one source file, the destination must be a directory and end with a /",
            dockerfile_path,
            inst,
        )
    del wildcard

    lines: list[str] = [
        f"# {where}: {inst.original.splitlines()[0].strip()}" if inst.original else f"# {where}"
    ]
    own_var = ""
    if chown:
        lines.append(f"sq_owner {_sq(chown)} {builder} {_sq(where)}")
        own_var = '"$sq_own"'
    own = own_var or "''"
    mode = chmod or "''"
    special = 1 if builder == "buildkit" else 0
    staged = staged_root.rstrip("/")
    paths: list[str] = []
    for ent in entries:
        src_path = f"{staged}/{ent.rel}" if ent.rel != "." else staged
        if ent.rel not in paths:
            paths.append(ent.rel)
        if ent.kind == "dir":
            if builder == "buildkit":
                parent_owner, dest_owner = own, own
            else:
                parent_owner, dest_owner = "''", own
            # squasher's own files under this directory: left out unless already at the destination
            gen = [_under(ent.rel, g) for g in generated]
            gen_targets = [posixpath.join(target, g) for g in gen if g]
            for i, path in enumerate(gen_targets):
                q = _sq(path)
                lines.append(f"sq_gen{i}=0; [ -e {q} ] || [ -L {q} ] || sq_gen{i}=1")
            lines.append(
                f"sq_copy_dir {_sq(src_path)} {_sq(target)} {parent_owner} {dest_owner} {own} {mode}"
                f" {special} || exit 1"
            )
            for i, path in enumerate(gen_targets):
                lines.append(f'[ "$sq_gen{i}" = 0 ] || rm -rf -- {_sq(path)}')
        elif ent.kind == "archive":
            dest_owner = own if builder == "buildkit" else "''"
            comp = _sq(ent.compression) if ent.compression else "''"
            lines.append(
                f"sq_untar {_sq(src_path)} {_sq(target)} {comp} {dest_owner} {_sq(where)} || exit 1"
            )
            if ent.compression:
                notes.append(f"ADD {ent.rel}: unpacking needs {ent.compression} in the image")
            for name, mtime in symlink_times(context / ent.rel, ent.compression):
                link = posixpath.join(target, name)
                lines.append(f"sq_linktime {_sq(link)} {mtime}")
        else:
            lines.append(
                f"sq_copy_file {_sq(src_path)} {_sq(target)} {1 if into else 0} {_sq(ent.name)}"
                f" {own} {own} {mode} {special} || exit 1"
            )
    for doc, src in docs:
        body = doc.body
        if doc.expand:
            body = expanded(body, "heredoc body")
        lines.append(
            f"sq_write_file {shlex.quote(body)} {_sq(target)} {1 if into else 0} {_sq(doc.name)}"
            f" {own} {own} {mode} || exit 1"
        )
        del src
    if not entries and not docs:
        lines.append(":")
    out: list[str] = []
    for line in lines:
        ours = re.sub(r'"\$sq_(own|gen\d+)"', "", line)
        if not line.startswith("#") and re.search(r"[$`]", ours):
            # a literal "$" or backtick inside single quotes is meant literally
            out.append("# shellcheck disable=SC2016")
        out.append(line)
    return CopyStep("\n".join(out) + "\n", paths, notes)
