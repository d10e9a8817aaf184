"""The sh that places a planned COPY/ADD (``squasher.plan.model.CopyOp``) in build.sh.

Each :class:`~squasher.plan.model.Placement` becomes one call of a helper of ``RUNTIME_SH``
(``sq_copy_file``, ``sq_copy_dir``, ``sq_untar``, ``sq_write_file``), run as root at the
instruction's place in build.sh, reading the staged context. ``--chown`` is resolved by
``sq_owner`` against the image's /etc/passwd and /etc/group when the step runs.
"""

from __future__ import annotations

import posixpath
import re
import shlex

from squasher.plan.model import CopyOp

# sh helper functions the COPY/ADD steps call, included once near the top of build.sh.
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


def _sq(word: str) -> str:
    """Quote for sh; always quotes so the generated text is stable and readable."""
    if word and re.fullmatch(r"[A-Za-z0-9_./:@%+=,-]+", word):
        return word
    return shlex.quote(word)


def copy_sh(op: CopyOp) -> str:
    """The sh lines placing ``op``, in order, ending with a newline."""
    inst = op.inst
    first = inst.original.splitlines()[0].strip() if inst.original else ""
    lines: list[str] = [f"# {op.where}: {first}" if inst.original else f"# {op.where}"]
    if op.chown:
        lines.append(f"sq_owner {_sq(op.chown)} {op.builder} {_sq(op.where)}")
    own = '"$sq_own"' if op.chown else "''"
    mode = op.chmod or "''"
    special = 1 if op.keep_special else 0
    for p in op.placements:
        parent_owner = own if p.owned_parents else "''"
        target_owner = own if p.owned_target else "''"
        into = 1 if p.into else 0
        if p.kind == "dir":
            for i, path in enumerate(p.generated):
                q = _sq(path)
                lines.append(f"sq_gen{i}=0; [ -e {q} ] || [ -L {q} ] || sq_gen{i}=1")
            lines.append(
                f"sq_copy_dir {_sq(p.source)} {_sq(p.target)} {parent_owner} {target_owner}"
                f" {own} {mode} {special} || exit 1"
            )
            for i, path in enumerate(p.generated):
                lines.append(f'[ "$sq_gen{i}" = 0 ] || rm -rf -- {_sq(path)}')
        elif p.kind == "archive":
            comp = _sq(p.compression) if p.compression else "''"
            lines.append(
                f"sq_untar {_sq(p.source)} {_sq(p.target)} {comp} {target_owner}"
                f" {_sq(op.where)} || exit 1"
            )
            for name, mtime in p.link_times:
                lines.append(f"sq_linktime {_sq(posixpath.join(p.target, name))} {mtime}")
        elif p.kind == "file":
            lines.append(
                f"sq_copy_file {_sq(p.source)} {_sq(p.target)} {into} {_sq(p.name)}"
                f" {parent_owner} {target_owner} {mode} {special} || exit 1"
            )
        else:
            lines.append(
                f"sq_write_file {shlex.quote(p.body)} {_sq(p.target)} {into} {_sq(p.name)}"
                f" {parent_owner} {target_owner} {mode} || exit 1"
            )
    if not op.placements:
        lines.append(":")
    out: list[str] = []
    for line in lines:
        ours = re.sub(r'"\$sq_(own|gen\d+)"', "", line)
        if not line.startswith("#") and re.search(r"[$`]", ours):
            # a literal "$" or backtick inside single quotes is meant literally
            out.append("# shellcheck disable=SC2016")
        out.append(line)
    return "\n".join(out) + "\n"
