# shellcheck shell=sh disable=SC2154 # state shared by the runtime's files and build.sh
# WORKDIR: joined to the previous one, cleaned like Go's path.Clean, missing directories created
# mode 0755 and owned by root (classic builder) or, with BuildKit, by the USER in force.

# __sq_clean PATH: $__sq_r = PATH made absolute against $__sq_wd and cleaned like Go's path.Clean
# uses:
__sq_clean() {
	case $1 in
	/*) __sq_rest=$1/ ;;
	*) __sq_rest=$__sq_wd/$1/ ;;
	esac
	__sq_r=
	while [ -n "$__sq_rest" ]; do
		__sq_seg=${__sq_rest%%/*}
		__sq_rest=${__sq_rest#*/}
		case $__sq_seg in
		'' | .) ;;
		..) __sq_r=${__sq_r%/*} ;;
		*) __sq_r=$__sq_r/$__sq_seg ;;
		esac
	done
	if [ -z "$__sq_r" ]; then __sq_r=/; fi
}

# __sq_workdir PATH: the WORKDIR instruction (joined, cleaned, missing directories created)
# uses: __sq_clean __sq_owner __sq_tool __sq_die
__sq_workdir() {
	__sq_clean "$1"
	__sq_target=$__sq_r
	__sq_own=
	if [ "$__sq_builder" = buildkit ] && [ -n "$__sq_user" ]; then
		__sq_owner "$__sq_user"
		if [ "$__sq_ruid:$__sq_rgid" != 0:0 ]; then __sq_own=$__sq_ruid:$__sq_rgid; fi
	fi
	__sq_rest=${__sq_target#/}/
	__sq_path=
	while [ -n "$__sq_rest" ]; do
		__sq_seg=${__sq_rest%%/*}
		__sq_rest=${__sq_rest#*/}
		[ -n "$__sq_seg" ] || continue
		__sq_path=$__sq_path/$__sq_seg
		if [ ! -d "$__sq_path" ]; then
			__sq_tool mkdir
			"$__sq_found" -m 755 "$__sq_path" || __sq_die "cannot create WORKDIR $__sq_target"
			if [ -n "$__sq_own" ]; then
				__sq_tool chown
				"$__sq_found" "$__sq_own" "$__sq_path" || __sq_die "cannot chown $__sq_path"
			fi
		fi
	done
	__sq_wd=$__sq_target
}

# __sq_keep_wd: the classic builder creates a container for every instruction, which re-creates
# a WORKDIR a step removed (owned by root, 0755); build.sh does the same after such a step
# uses: __sq_tool __sq_die
__sq_keep_wd() {
	if [ ! -d "$__sq_wd" ]; then
		__sq_tool mkdir
		"$__sq_found" -p -m 755 "$__sq_wd" || __sq_die "cannot re-create WORKDIR $__sq_wd"
	fi
}
