"""The sh functions every build.sh starts with: running a step the way the builder runs a RUN.

Everything here is POSIX sh (dash, busybox ash, bash in sh mode) and calls external tools by
absolute path found in the standard directories, so a Dockerfile ``ENV PATH=...`` cannot break
the script's own machinery. Internal names start with ``__sq_`` and are never exported, so the
steps' environment is exactly the builder's: the base image's, the ENV and ARG in force.

How a step runs (``__sq_run LINE TEXT ARGV...``): in a subshell that changes to the WORKDIR in
force (created like the runtime does when a step removed it), drops the variables the script's own
shell added (``PWD``, ``OLDPWD``, ``SHLVL`` unless the Dockerfile set them), switches to the USER
in force with the image's own tools, and ``exec``s ARGV. ARGV is the shell (``/bin/sh -c`` or the
SHELL argv) plus the RUN text, or the exec-form argv as written. A non-zero exit stops the script
with ``squasher: Dockerfile:LINE: step failed (exit N): TEXT`` and that exit code.

USER resolution follows runc's ``GetExecUser`` (which both builders use): ``name|uid[:group|gid]``
looked up in the image's /etc/passwd and /etc/group at the moment the step runs; a numeric uid
without passwd entry runs with gid 0 and HOME ``/``; supplementary groups (the memberships in
/etc/group) only when no group was given. The classic builder adds the primary group to the
supplementary groups, BuildKit does not (both checked on the engine: classic ``USER 4242:4343``
has groups ``4343``, BuildKit none). HOME is set from passwd unless the Dockerfile set it with ENV.

The switch (``__sq_as_user``) takes the first tool that gives exactly that uid, gid and group list:
util-linux ``setpriv`` (any list); busybox ``nsenter -S UID -G GID`` (no supplementary groups);
busybox ``start-stop-daemon -c :GID`` then ``nsenter -S UID`` (the gid as the only supplementary
group: the classic builder's list for a group given or no passwd entry); ``su NAME`` (initgroups:
the primary gid plus the memberships, the classic builder's list for a named user). The one list
no busybox tool gives is BuildKit's for a user with memberships that leave out its own primary
group; ``su`` then runs the step with that gid among the supplementary groups too (no access check
differs: it is the process's gid) and says so in the build log. With none of these tools the step
cannot run as its USER and the script stops; the planner keeps such steps as instructions when it
knows the image lacks them (``squasher.plan.base``).

WORKDIR (``__sq_workdir PATH``): joined to the previous one, cleaned like Go's ``path.Clean``,
missing directories created mode 0755 and owned by root (classic builder) or, with BuildKit, by
the USER in force (resolved as BuildKit's file operations do: a bare uid also gives the gid).
"""

from __future__ import annotations

RUNTIME = r"""__sq_die() {
	printf 'squasher: %s:%s: %s\n' "$__sq_df" "$__sq_line" "$1" >&2
	exit 1
}

# __sq_find NAME: $__sq_found = absolute path of tool NAME in the standard directories, or empty
__sq_find() {
	__sq_found=
	for __sq_d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		if [ -f "$__sq_d/$1" ] && [ -x "$__sq_d/$1" ]; then
			__sq_found=$__sq_d/$1
			return 0
		fi
	done
	return 1
}

__sq_tool() {
	__sq_find "$1" || __sq_die "the image has no '$1', which build.sh needs"
}

# __sq_clean PATH: $__sq_r = PATH made absolute against $__sq_wd and cleaned like Go's path.Clean
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

__sq_isnum() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	return 0
}

# __sq_resolve USER[:GROUP] (runc's GetExecUser):
#   $__sq_ruid $__sq_rgid $__sq_rsg (supplementary gids, comma separated) $__sq_rhome $__sq_rname
__sq_resolve() {
	__sq_uarg=${1%%:*}
	case $1 in
	*:*) __sq_garg=${1#*:} ;;
	*) __sq_garg= ;;
	esac
	__sq_ruid=0
	__sq_rgid=0
	__sq_rhome=/
	__sq_rname=
	__sq_rsg=
	if [ -r /etc/passwd ]; then
		while IFS=: read -r __sq_n __sq_p __sq_u __sq_g __sq_c __sq_h __sq_s; do
			if __sq_isnum "$__sq_uarg"; then
				[ "$__sq_u" = "$__sq_uarg" ] || continue
			else
				[ "$__sq_n" = "$__sq_uarg" ] || continue
			fi
			__sq_rname=$__sq_n
			__sq_ruid=$__sq_u
			__sq_rgid=$__sq_g
			__sq_rhome=$__sq_h
			break
		done </etc/passwd
	fi
	if [ -z "$__sq_rname" ]; then
		__sq_isnum "$__sq_uarg" || __sq_die "unable to find user $__sq_uarg: no matching entries in passwd file"
		__sq_ruid=$__sq_uarg
	fi
	if [ -z "$__sq_garg" ] && [ -z "$__sq_rname" ]; then return 0; fi
	__sq_gfound=
	if [ -r /etc/group ]; then
		while IFS=: read -r __sq_n __sq_p __sq_g __sq_m; do
			if [ -z "$__sq_garg" ]; then
				case ,$__sq_m, in
				*,"$__sq_rname",*) __sq_rsg=$__sq_rsg${__sq_rsg:+,}$__sq_g ;;
				esac
				continue
			fi
			if __sq_isnum "$__sq_garg"; then
				[ "$__sq_g" = "$__sq_garg" ] || continue
			else
				[ "$__sq_n" = "$__sq_garg" ] || continue
			fi
			__sq_gfound=$__sq_g
			break
		done </etc/group
	fi
	if [ -n "$__sq_garg" ]; then
		if [ -n "$__sq_gfound" ]; then
			__sq_rgid=$__sq_gfound
		else
			__sq_isnum "$__sq_garg" || __sq_die "unable to find group $__sq_garg: no matching entries in group file"
			__sq_rgid=$__sq_garg
		fi
	fi
}

# __sq_owner USER[:GROUP]: $__sq_ruid:$__sq_rgid as BuildKit's file operations resolve a user
__sq_owner() {
	__sq_resolve "$1"
	if [ -z "$__sq_rname" ] && [ -z "$__sq_garg" ]; then __sq_rgid=$__sq_ruid; fi
}

# __sq_workdir PATH: the WORKDIR instruction (joined, cleaned, missing directories created)
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
__sq_keep_wd() {
	if [ ! -d "$__sq_wd" ]; then
		__sq_tool mkdir
		"$__sq_found" -p -m 755 "$__sq_wd" || __sq_die "cannot re-create WORKDIR $__sq_wd"
	fi
}

# __sq_child ARGV...: the process the builder would start for a RUN (run in a subshell)
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
	__sq_as_user "$@"
}

# __sq_has TOOL WORD: $__sq_found = TOOL, whose --help mentions WORD
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
	# su: the passwd entry's uid and gid and initgroups(3): that gid plus the memberships
	if [ -n "$__sq_rname" ] && [ -z "$__sq_garg" ] && __sq_find su; then
		case ,$__sq_want, in
		*,"$__sq_rgid",*) ;;
		*) printf 'squasher: %s:%s: USER %s runs with its primary group %s also among its supplementary groups (%s leaves it out; no file access differs): the image has no util-linux setpriv\n' \
			"$__sq_df" "$__sq_line" "$__sq_user" "$__sq_rgid" "$__sq_builder" >&2 ;;
		esac
		exec "$__sq_found" -m -s /bin/sh -c "unset $__sq_unset_vars; exec \"\$@\"" "$__sq_rname" sh "$@"
	fi
	__sq_die "cannot run as USER $__sq_user: the image has no setpriv (util-linux), busybox nsenter or su that sets its uid $__sq_ruid, gid $__sq_rgid and groups '$__sq_want'"
}

# __sq_run LINE TEXT ARGV...: one step; stops the script when it fails
__sq_run() {
	__sq_line=$1
	__sq_text=$2
	shift 2
	(__sq_child "$@") || __sq_fail $? "$__sq_line" "$__sq_text"
}

# __sq_fail CODE LINE TEXT: report a failed step and stop with its exit code
__sq_fail() {
	printf 'squasher: %s:%s: step failed (exit %s): %s\n' "$__sq_df" "$2" "$1" "$3" >&2
	exit "$1"
}

# __sq_pipe NAME: the directory BuildKit mounts a '#!' heredoc in (the file is written by the caller)
__sq_pipe() {
	__sq_tool mkdir
	"$__sq_found" -p /dev/pipes || __sq_die "cannot create /dev/pipes"
	__sq_tool rm
	"$__sq_found" -f "/dev/pipes/$1"
}

__sq_pipe_done() {
	__sq_tool chmod
	"$__sq_found" 0755 "/dev/pipes/$1" || __sq_die "cannot prepare /dev/pipes/$1"
}

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
"""
