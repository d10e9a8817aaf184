# shellcheck shell=sh disable=SC2154 # state shared by the runtime's files and build.sh
# Running the original steps the way the builder runs a RUN instruction.
#
# A step runs in a subshell that changes to the WORKDIR in force (created like the runtime does
# when a step removed it), drops the variables the script's own shell added (PWD, OLDPWD, SHLVL
# unless the Dockerfile set them), switches to the USER in force with the image's own tools, and
# execs the shell (/bin/sh -c or the SHELL argv) with the RUN text, or the exec-form argv as
# written. The classic builder adds the primary group to the supplementary groups, BuildKit does
# not. The switch (__sq_as_user) takes the first tool that gives exactly the builder's uid, gid
# and group list: util-linux setpriv (any list); busybox nsenter -S UID -G GID (no supplementary
# groups); busybox start-stop-daemon -c :GID then nsenter -S UID (the gid as the only
# supplementary group); su NAME (initgroups: the primary gid plus the memberships). The one list
# no busybox tool gives is BuildKit's for a user whose memberships leave out its own primary
# group: on an x86-64 kernel build.sh then writes a small program of its own (__sq_groups_prog)
# that sets that list and the gid, and nsenter -S sets the uid; elsewhere su runs the step with
# that gid among the supplementary groups too (no access check differs) and says so. With none of
# these tools the step stops loudly rather than run as root; the planner keeps such steps as
# instructions when it knows the image lacks them. HOME comes from passwd unless an ENV set it.

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
	__sq_switch=
	if __sq_find id && [ "$("$__sq_found" -u)" != 0 ]; then
		__sq_die "build.sh must run as root (the base image sets a USER): add USER root before it"
	fi
}

# __sq_set_user USER: the USER in force for the steps that follow; a step under another user
# than root runs through $__sq_switch, set here, so that build.sh ships the user switch only
# when a USER is in force
# uses: __sq_switch_user
__sq_set_user() {
	__sq_user=$1
	__sq_switch=__sq_switch_user
}

# __sq_child ARGV...: the process the builder would start for a RUN (run in a subshell)
# uses: __sq_tool
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
	"$__sq_switch" "$@"
}

# __sq_switch_user ARGV...: exec ARGV as $__sq_user, with HOME from passwd unless an ENV set it
# uses: __sq_resolve __sq_as_user
__sq_switch_user() {
	__sq_resolve "$__sq_user"
	if [ "$__sq_home_env" != 1 ]; then
		HOME=$__sq_rhome
		export HOME
	fi
	__sq_as_user "$@"
}

# __sq_has TOOL WORD: $__sq_found = TOOL, whose --help mentions WORD
# uses: __sq_find
__sq_has() {
	__sq_find "$1" && "$__sq_found" --help 2>&1 | {
		while read -r __sq_l; do
			case $__sq_l in *"$2"*) exit 0 ;; esac
		done
		exit 1
	}
}

# __sq_as_user ARGV...: exec ARGV as the resolved user with the builder's uid, gid and
# supplementary groups ($__sq_want: the classic builder lists the primary group too, BuildKit
# only the memberships), with the first of the image's tools that sets exactly these
# uses: __sq_has __sq_find __sq_die __sq_groups_prog
__sq_as_user() {
	__sq_want=$__sq_rsg
	if [ "$__sq_builder" = classic ]; then
		case ,$__sq_want, in
		*,"$__sq_rgid",*) ;;
		*) __sq_want=$__sq_rgid${__sq_want:+,}$__sq_want ;;
		esac
	fi
	# util-linux setpriv: any uid, gid and group list
	if __sq_has setpriv --reuid; then
		if [ -n "$__sq_want" ]; then
			exec "$__sq_found" --reuid="$__sq_ruid" --regid="$__sq_rgid" --groups="$__sq_want" -- "$@"
		fi
		exec "$__sq_found" --reuid="$__sq_ruid" --regid="$__sq_rgid" --clear-groups -- "$@"
	fi
	# busybox nsenter: -G sets the gid and drops every supplementary group, -S alone keeps them
	if [ -z "$__sq_want" ] && __sq_has nsenter BusyBox; then
		exec "$__sq_found" -F -S "$__sq_ruid" -G "$__sq_rgid" -- "$@"
	fi
	# busybox start-stop-daemon -c :GID sets the gid and the groups to that gid alone, as root;
	# nsenter -S then sets the uid (the pid file exists nowhere: no process matches, it starts)
	if [ "$__sq_want" = "$__sq_rgid" ] && __sq_has nsenter BusyBox; then
		__sq_ns=$__sq_found
		if __sq_has start-stop-daemon BusyBox; then
			exec "$__sq_found" -S -p /.squasher-no-pid-file -c ":$__sq_rgid" -x "$__sq_ns" -- \
				-F -S "$__sq_ruid" -- "$@"
		fi
	fi
	# any other list (su gives the ones with the primary gid): squasher's own program sets the
	# groups and the gid, then nsenter -S the uid
	__sq_su_exact=
	case ,$__sq_want, in
	*,"$__sq_rgid",*) [ -z "$__sq_rname" ] || [ -n "$__sq_garg" ] || ! __sq_find su || __sq_su_exact=1 ;;
	esac
	if [ -n "$__sq_want" ] && [ -z "$__sq_su_exact" ] && __sq_has nsenter BusyBox; then
		__sq_ns=$__sq_found
		if __sq_groups_prog; then
			exec "$__sq_prog" "$__sq_ns" -F -S "$__sq_ruid" -- "$@"
		fi
	fi
	# su: the passwd entry's uid and gid and initgroups(3): that gid plus the memberships
	if [ -n "$__sq_rname" ] && [ -z "$__sq_garg" ] && __sq_find su; then
		case ,$__sq_want, in
		*,"$__sq_rgid",*) ;;
		*) printf 'squasher: %s:%s: USER %s runs with its primary group %s also among its supplementary groups (%s leaves it out; no file access differs): the image has no util-linux setpriv, and build.sh'\''s own program for the groups needs busybox nsenter and an x86-64 kernel\n' \
			"$__sq_df" "$__sq_line" "$__sq_user" "$__sq_rgid" "$__sq_builder" >&2 ;;
		esac
		exec "$__sq_found" -m -s /bin/sh -c "unset $__sq_unset_vars; exec \"\$@\"" "$__sq_rname" sh "$@"
	fi
	__sq_die "cannot run as USER $__sq_user: the image has no setpriv (util-linux), busybox nsenter or su that sets its uid $__sq_ruid, gid $__sq_rgid and groups '$__sq_want'"
}

# __sq_le_uint N: the 4 bytes of N, little-endian
# uses:
__sq_le_uint() {
	# shellcheck disable=SC2059 # the format is made of the four octal escapes
	printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 24 & 255)))"
}

# __sq_groups_prog: $__sq_prog = a program, on an x86-64 kernel, that sets the supplementary
# groups to $__sq_want and the real, effective and saved gid to $__sq_rgid, then runs its
# arguments (a path and its argv); false elsewhere or when it cannot run. It lives in /dev (the
# container's tmpfs, never in a layer) and removes itself before it runs them, so no step sees
# it. A 120-byte ELF header and one segment: lea rbx,[data]; unlink(argv[0]);
# setgroups(n, data+8); setresgid(gid, gid, gid); execve(argv[1], argv+1, envp); exit 126 when a
# call fails, 127 when execve does; then the data: n, gid, the n gids (32-bit little-endian).
# A first copy runs true (as root, with those groups) so that a /dev without exec falls back.
# uses: __sq_find __sq_le_uint
__sq_groups_prog() {
	__sq_find uname && [ "$("$__sq_found" -m)" = x86_64 ] || return 1
	__sq_find chmod || return 1
	__sq_chmod=$__sq_found
	__sq_find true || return 1
	__sq_true=$__sq_found
	__sq_prog=/dev/.squasher-groups-$$
	__sq_n=0
	__sq_gids=$__sq_want,
	while [ -n "$__sq_gids" ]; do
		__sq_n=$((__sq_n + 1))
		__sq_gids=${__sq_gids#*,}
	done
	__sq_size=$((225 + 4 * __sq_n))
	for __sq_try in probe run; do
		{
			printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\076\000\001\000\000\000\170\000\100\000\000\000\000\000\100\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\100\000\070\000\001\000\000\000\000\000\000\000'
			printf '\001\000\000\000\005\000\000\000\000\000\000\000\000\000\000\000\000\000\100\000\000\000\000\000\000\000\100\000\000\000\000\000'
			__sq_le_uint "$__sq_size"
			printf '\000\000\000\000'
			__sq_le_uint "$__sq_size"
			printf '\000\000\000\000\000\020\000\000\000\000\000\000'
			printf '\110\215\035\132\000\000\000\110\213\174\044\010\270\127\000\000\000\017\005\213\073\110\215\163\010\270\164\000\000\000\017\005\205\300\165\061\213\173\004\211\376\211\372\270\167\000\000\000\017\005\205\300\165\037\110\213\014\044\110\215\164\044\020\110\215\124\314\020\110\213\076\270\073\000\000\000\017\005\277\177\000\000\000\353\005\277\176\000\000\000\270\074\000\000\000\017\005'
			__sq_le_uint "$__sq_n"
			__sq_le_uint "$__sq_rgid"
			__sq_gids=$__sq_want,
			while [ -n "$__sq_gids" ]; do
				__sq_le_uint "${__sq_gids%%,*}"
				__sq_gids=${__sq_gids#*,}
			done
		} >"$__sq_prog" 2>/dev/null && "$__sq_chmod" 700 "$__sq_prog" 2>/dev/null || return 1
		if [ "$__sq_try" = probe ] && ! "$__sq_prog" "$__sq_true" 2>/dev/null; then
			__sq_find rm && "$__sq_found" -f "$__sq_prog"
			return 1
		fi
	done
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
