# shellcheck shell=sh disable=SC2154 # state shared by the runtime's files and build.sh
# COPY/ADD placement with Docker's rules, run as root in the subshell of a COPY step: missing
# parents created 0755, --chown/--chmod applied as the builder applies them, modes, mtimes and
# numeric owners kept, an existing non-directory at a destination replaced.

# __sq_copy_env: the COPY step's subshell: in the WORKDIR in force, the standard PATH
# uses: __sq_standard_path
__sq_copy_env() {
	cd "$__sq_wd" || exit 1
	__sq_standard_path
	PATH=$__sq_std_path
	export PATH
}

# __sq_mkdirs DIR OWNER: create DIR and its missing parents (mode 0755); the ones created are
# given to OWNER ("uid:gid"; empty: they stay root's).
# uses: __sq_mkdirs
__sq_mkdirs() {
	[ -d "$1" ] && return 0
	__sq_mkdirs "$(dirname -- "$1")" "$2" || return 1
	mkdir -m 755 -- "$1" || return 1
	if [ -n "$2" ]; then chown -h -- "$2" "$1" || return 1; fi
}

# __sq_clear PATH: remove what is at PATH unless it is a real directory (Docker replaces it).
# uses:
__sq_clear() {
	if [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; then rm -f -- "$1"; fi
}

# __sq_fix SRCDIR DESTDIR OWNER MODE SPECIAL: give OWNER / MODE to DESTDIR/x for every x copied from
# SRCDIR. chown clears setuid/setgid; SPECIAL=1 (BuildKit) gives them back, as BuildKit chmods after
# its chown and keeps the source's special bits even under --chmod.
# uses:
__sq_fix() {
	if [ -n "$3" ]; then
		(cd "$1" && find . ! -name . -exec sh -c '
			d=$1 o=$2; shift 2
			for f do shift; set -- "$@" "$d/${f#./}"; done
			exec chown -h -- "$o" "$@"' __sq_fix "$2" "$3" {} +) || return 1
	fi
	if [ -n "$4" ]; then
		(cd "$1" && find . ! -name . ! -type l -exec sh -c '
			d=$1 m=$2; shift 2
			for f do shift; set -- "$@" "$d/${f#./}"; done
			exec chmod -- "$m" "$@"' __sq_fix "$2" "$4" {} +) || return 1
	fi
	if [ "$5" = 1 ] && { [ -n "$3" ] || [ -n "$4" ]; }; then
		(cd "$1" && find . ! -name . ! -type l \( -perm -4000 -o -perm -2000 -o -perm -1000 \) \
			-exec sh -c '
			d=$1 m=$2; shift 2
			for f do
				s=$(stat -c %a -- "$f") || exit 1
				if [ -n "$m" ]; then s=${s%???}${m#?}; fi
				chmod -- "$s" "$d/${f#./}" || exit 1
			done' __sq_fix "$2" "$4" {} +) || return 1
	fi
}

# __sq_special SRC DEST MODE: give DEST back the setuid/setgid/sticky bits of SRC (BuildKit keeps them
# through --chown and --chmod; chown cleared them).
# uses:
__sq_special() {
	__sq_sp=$(stat -c %a -- "$1" 2>/dev/null) || return 0
	case $__sq_sp in ????) ;; *) return 0 ;; esac
	if [ -n "$3" ]; then __sq_sp=${__sq_sp%???}${3#?}; fi
	chmod -- "$__sq_sp" "$2"
}

# __sq_linktimes SRCDIR DESTDIR: give the copied symlinks their source mtime (busybox cp -p does not;
# best effort: an image without stat or touch -h keeps the copy time on its symlinks).
# uses:
__sq_linktimes() {
	(cd "$1" && find . -type l -exec sh -c '
		d=$1; shift
		for f do
			touch -h -d "@$(stat -c %Y "$f")" "$d/${f#./}" 2>/dev/null || :
		done' __sq_linktimes "$2" {} +)
}

# __sq_linktime PATH EPOCH: set a symlink's own mtime (best effort, see __sq_linktimes).
# uses:
__sq_linktime() {
	touch -h -d "@$2" "$1" 2>/dev/null || :
}

# __sq_copy_file SRC DEST INTO NAME PARENT_OWNER OWNER MODE SPECIAL: copy one file to DEST, or to
# DEST/NAME when INTO=1 or DEST is a directory (SPECIAL: see __sq_fix).
# uses: __sq_mkdirs __sq_clear __sq_special
__sq_copy_file() {
	__sq_t=$2
	if [ "$3" = 1 ] || [ -d "$__sq_t" ]; then __sq_t=${__sq_t%/}/$4; fi
	__sq_mkdirs "$(dirname -- "$__sq_t")" "$5" || return 1
	__sq_clear "$__sq_t" || return 1
	cp -pP -- "$1" "$__sq_t" || return 1
	if [ -n "$6" ]; then chown -h -- "$6" "$__sq_t" || return 1; fi
	if [ -n "$7" ]; then chmod -- "$7" "$__sq_t" || return 1; fi
	if [ "$8" = 1 ] && { [ -n "$6" ] || [ -n "$7" ]; }; then __sq_special "$1" "$__sq_t" "$7"; fi
}

# __sq_write_file TEXT DEST INTO NAME PARENT_OWNER OWNER MODE: like __sq_copy_file for COPY <<EOF.
# uses: __sq_mkdirs __sq_clear
__sq_write_file() {
	__sq_t=$2
	if [ "$3" = 1 ] || [ -d "$__sq_t" ]; then __sq_t=${__sq_t%/}/$4; fi
	__sq_mkdirs "$(dirname -- "$__sq_t")" "$5" || return 1
	__sq_clear "$__sq_t" || return 1
	printf '%s' "$1" >"$__sq_t" || return 1
	chmod 644 "$__sq_t" || return 1
	if [ -n "$6" ]; then chown -h -- "$6" "$__sq_t" || return 1; fi
	if [ -n "$7" ]; then chmod -- "$7" "$__sq_t" || return 1; fi
}

# __sq_copy_dir SRC DEST PARENT_OWNER DEST_OWNER OWNER MODE SPECIAL: copy the contents of directory
# SRC into DEST (created 0755 when missing: its parents for PARENT_OWNER, itself for DEST_OWNER).
# uses: __sq_mkdirs __sq_clear __sq_fix __sq_linktimes
__sq_copy_dir() {
	if [ ! -d "$2" ]; then
		__sq_mkdirs "$(dirname -- "$2")" "$3" || return 1
		__sq_clear "$2" || return 1
		mkdir -m 755 -- "$2" || return 1
		if [ -n "$4" ]; then chown -h -- "$4" "$2" || return 1; fi
	fi
	for __sq_e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
		[ -e "$__sq_e" ] || [ -L "$__sq_e" ] || continue
		__sq_clear "$2/${__sq_e##*/}" || return 1
		cp -pPR -- "$__sq_e" "$2/" || return 1
	done
	__sq_fix "$1" "$2" "$5" "$6" "$7" || return 1
	__sq_linktimes "$1" "$2"
}

# __sq_untar SRC DEST COMPRESSION DEST_OWNER: unpack a local archive into DEST as ADD does.
# uses: __sq_die __sq_mkdirs
__sq_untar() {
	command -v tar >/dev/null 2>&1 || __sq_die "the image has no tar to unpack $1"
	case $3 in
	'') __sq_u_cmd= ;;
	gzip) __sq_u_cmd=gzip ;;
	bzip2) __sq_u_cmd=bzip2 ;;
	xz) __sq_u_cmd=xz ;;
	*) __sq_die "cannot unpack $3" ;;
	esac
	if [ -n "$__sq_u_cmd" ] && ! command -v "$__sq_u_cmd" >/dev/null 2>&1; then
		__sq_die "the image has no $__sq_u_cmd to unpack $1 (Docker unpacks it itself): install it in an earlier step or keep this ADD as an instruction"
	fi
	__sq_mkdirs "$2" "$4" || return 1
	# Docker's untar leaves an existing destination's own metadata alone ("./" is skipped)
	__sq_u_meta=$(stat -c '%a %u:%g' -- "$2" 2>/dev/null) || __sq_u_meta=
	if [ -n "$__sq_u_cmd" ]; then
		"$__sq_u_cmd" -dc <"$1" | tar -x -f - -C "$2" --numeric-owner || return 1
	else
		tar -x -f "$1" -C "$2" --numeric-owner || return 1
	fi
	if [ -n "$__sq_u_meta" ]; then
		chown -- "${__sq_u_meta#* }" "$2" && chmod -- "${__sq_u_meta%% *}" "$2"
	fi
}
