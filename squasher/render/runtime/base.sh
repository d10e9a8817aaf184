# shellcheck shell=sh disable=SC2154 # state shared by the runtime's files and build.sh
# squasher's build.sh runtime: messages and the tools the runtime itself runs.
#
# Every helper of the runtime is a function named __sq_*, defined in one of these files, with a
# comment above it and a "uses:" line naming the helpers it calls; build.sh ships only the helpers
# its steps call, and the ones those use. Internal variables start with __sq_ too and are never
# exported: the steps see exactly the builder's environment. @STANDARD_PATH@ is replaced, when the
# files are read, by squasher.util.standard_path.STANDARD_PATH.

# __sq_die MESSAGE: report MESSAGE for the Dockerfile line being run and stop the script
# uses:
__sq_die() {
	printf 'squasher: %s:%s: %s\n' "$__sq_df" "$__sq_line" "$1" >&2
	exit 1
}

# __sq_standard_path: $__sq_std_path = the PATH the builders give a step when no ENV sets one
# uses:
__sq_standard_path() {
	__sq_std_path=@STANDARD_PATH@
}

# __sq_find NAME: $__sq_found = absolute path of tool NAME in the standard PATH, or empty
# (absolute paths: a Dockerfile ENV PATH=... cannot break the runtime's own machinery)
# uses: __sq_standard_path
__sq_find() {
	__sq_found=
	__sq_standard_path
	__sq_dirs=$__sq_std_path:
	while [ -n "$__sq_dirs" ]; do
		__sq_d=${__sq_dirs%%:*}
		__sq_dirs=${__sq_dirs#*:}
		if [ -f "$__sq_d/$1" ] && [ -x "$__sq_d/$1" ]; then
			__sq_found=$__sq_d/$1
			return 0
		fi
	done
	return 1
}

# __sq_tool NAME: like __sq_find, and stop when the image has no NAME
# uses: __sq_find __sq_die
__sq_tool() {
	__sq_find "$1" || __sq_die "the image has no '$1', which build.sh needs"
}

# __sq_isnum WORD: true when WORD is a non-empty string of digits
# uses:
__sq_isnum() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	return 0
}
