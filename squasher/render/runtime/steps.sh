# shellcheck shell=sh disable=SC2154 # state shared by the runtime's files and build.sh
# Running the original steps the way the builder runs a RUN instruction.
#
# A step runs in a subshell that changes to the WORKDIR in force (created like the runtime does
# when a step removed it), drops the variables the script's own shell added (PWD, OLDPWD, SHLVL
# unless the Dockerfile set them), switches to the USER in force with the image's own tools
# (util-linux setpriv; busybox/shadow su for a named user without an explicit group; nothing
# else: the step fails loudly rather than run as root), and execs the shell (/bin/sh -c or the
# SHELL argv) with the RUN text, or the exec-form argv as written. The classic builder adds the
# primary group to the supplementary groups, BuildKit does not; su always sets the groups with
# initgroups(3), the classic builder's list. HOME comes from passwd unless an ENV set it.

# __sq_start DOCKERFILE BUILDER STAGING HOME_ENV UNSET_VARS: the script's own state (the file
# named in messages, whose rules apply, the staging directory removed at the end, whether ENV set
# HOME, the variables to drop before a step); build.sh runs as root
# uses: __sq_find __sq_die
__sq_start() {
	__sq_df=$1
	__sq_builder=$2
	__sq_stage=$3
	__sq_home_env=$4
	__sq_unset_vars=$5
	__sq_line=0
	__sq_wd=$(pwd)
	__sq_user=
	if __sq_find id && [ "$("$__sq_found" -u)" != 0 ]; then
		__sq_die "build.sh must run as root (the base image sets a USER): add USER root before it"
	fi
}

# __sq_child ARGV...: the process the builder would start for a RUN (run in a subshell)
# uses: __sq_tool __sq_resolve __sq_find __sq_die
__sq_child() {
	if [ ! -d "$__sq_wd" ]; then
		__sq_tool mkdir
		"$__sq_found" -p "$__sq_wd" || exit 1
	fi
	cd "$__sq_wd" || exit 1
	# shellcheck disable=SC2086
	unset $__sq_unset_vars
	case $__sq_user in
	'' | root | 0) exec "$@" ;;
	esac
	__sq_resolve "$__sq_user"
	if [ "$__sq_home_env" != 1 ]; then
		HOME=$__sq_rhome
		export HOME
	fi
	if __sq_find setpriv && "$__sq_found" --help 2>&1 | {
		while read -r __sq_l; do
			case $__sq_l in *--reuid*) exit 0 ;; esac
		done
		exit 1
	}; then
		if [ "$__sq_builder" = classic ]; then
			# the classic builder also lists the primary group among the supplementary ones
			case ,$__sq_rsg, in
			*,"$__sq_rgid",*) ;;
			*) __sq_rsg=$__sq_rgid${__sq_rsg:+,}$__sq_rsg ;;
			esac
		fi
		if [ -n "$__sq_rsg" ]; then
			exec "$__sq_found" --reuid="$__sq_ruid" --regid="$__sq_rgid" --groups="$__sq_rsg" -- "$@"
		fi
		exec "$__sq_found" --reuid="$__sq_ruid" --regid="$__sq_rgid" --clear-groups -- "$@"
	fi
	if [ -n "$__sq_rname" ] && [ -z "$__sq_garg" ] && __sq_find su; then
		exec "$__sq_found" -m -s /bin/sh -c "unset $__sq_unset_vars; exec \"\$@\"" "$__sq_rname" sh "$@"
	fi
	__sq_die "cannot run as USER $__sq_user: the image has no setpriv (util-linux) or su for this user"
}

# __sq_run LINE TEXT ARGV...: one step; stops the script when it fails
# uses: __sq_child __sq_fail
__sq_run() {
	__sq_line=$1
	__sq_text=$2
	shift 2
	(__sq_child "$@") || __sq_fail $? "$__sq_line" "$__sq_text"
}

# __sq_fail CODE LINE TEXT: report a failed step and stop with its exit code
# uses:
__sq_fail() {
	printf 'squasher: %s:%s: step failed (exit %s): %s\n' "$__sq_df" "$2" "$1" "$3" >&2
	exit "$1"
}

# __sq_pipe NAME: the directory BuildKit mounts a '#!' heredoc in (the file is written by the caller)
# uses: __sq_tool __sq_die
__sq_pipe() {
	__sq_tool mkdir
	"$__sq_found" -p /dev/pipes || __sq_die "cannot create /dev/pipes"
	__sq_tool rm
	"$__sq_found" -f "/dev/pipes/$1"
}

# __sq_pipe_done NAME: the '#!' heredoc written by the caller made executable
# uses: __sq_tool __sq_die
__sq_pipe_done() {
	__sq_tool chmod
	"$__sq_found" 0755 "/dev/pipes/$1" || __sq_die "cannot prepare /dev/pipes/$1"
}

# __sq_finish: the staging files and /dev/pipes removed
# uses: __sq_tool
__sq_finish() {
	if [ -n "$__sq_stage" ]; then
		__sq_tool rm
		"$__sq_found" -rf "$__sq_stage"
	fi
	if [ -d /dev/pipes ]; then
		__sq_tool rm
		"$__sq_found" -rf /dev/pipes
	fi
}
