# shellcheck shell=sh disable=SC2154 # state shared by the runtime's files and build.sh
# Users and groups, read from the image's /etc/passwd and /etc/group when a step runs.

# __sq_entry FILE FIELD VALUE: the first entry of FILE (passwd or group format) whose field
# FIELD (1: the name, 3: the id) is VALUE, in $__sq_e1 (name) $__sq_e3 (id) $__sq_e4 (passwd:
# primary gid, group: members) $__sq_e6 (passwd: home); false when there is none
# uses:
__sq_entry() {
	[ -r "$1" ] || return 1
	while IFS=: read -r __sq_e1 __sq_e2 __sq_e3 __sq_e4 __sq_e5 __sq_e6 __sq_e7 || [ -n "$__sq_e1" ]; do
		case $2 in
		1) [ "$__sq_e1" != "$3" ] || return 0 ;;
		*) [ "$__sq_e3" != "$3" ] || return 0 ;;
		esac
	done <"$1"
	return 1
}

# __sq_resolve USER[:GROUP]: the user a step runs as, resolved like runc's GetExecUser:
#   $__sq_ruid $__sq_rgid $__sq_rsg (supplementary gids, comma separated) $__sq_rhome $__sq_rname
# A numeric uid without passwd entry runs with gid 0 and HOME /; supplementary groups only when
# no group was given.
# uses: __sq_isnum __sq_entry __sq_die
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
	__sq_field=1
	if __sq_isnum "$__sq_uarg"; then __sq_field=3; fi
	if __sq_entry /etc/passwd "$__sq_field" "$__sq_uarg"; then
		__sq_rname=$__sq_e1
		__sq_ruid=$__sq_e3
		__sq_rgid=$__sq_e4
		__sq_rhome=$__sq_e6
	fi
	if [ -z "$__sq_rname" ]; then
		__sq_isnum "$__sq_uarg" || __sq_die "unable to find user $__sq_uarg: no matching entries in passwd file"
		__sq_ruid=$__sq_uarg
	fi
	if [ -z "$__sq_garg" ]; then
		[ -n "$__sq_rname" ] && [ -r /etc/group ] || return 0
		while IFS=: read -r __sq_e1 __sq_e2 __sq_e3 __sq_e4; do
			case ,$__sq_e4, in
			*,"$__sq_rname",*) __sq_rsg=$__sq_rsg${__sq_rsg:+,}$__sq_e3 ;;
			esac
		done </etc/group
		return 0
	fi
	__sq_field=1
	if __sq_isnum "$__sq_garg"; then __sq_field=3; fi
	if __sq_entry /etc/group "$__sq_field" "$__sq_garg"; then
		__sq_rgid=$__sq_e3
	else
		__sq_isnum "$__sq_garg" || __sq_die "unable to find group $__sq_garg: no matching entries in group file"
		__sq_rgid=$__sq_garg
	fi
}

# __sq_owner USER[:GROUP]: $__sq_ruid:$__sq_rgid as BuildKit's file operations resolve a user
# (a bare uid also gives the gid)
# uses: __sq_resolve
__sq_owner() {
	__sq_resolve "$1"
	if [ -z "$__sq_rname" ] && [ -z "$__sq_garg" ]; then __sq_rgid=$__sq_ruid; fi
}

# __sq_chown SPEC BUILDER: $__sq_copy_owner = "uid:gid" for COPY --chown=SPEC, as BUILDER resolves
# it. Classic: "user" alone means user:user, the group looked up as a group; an unknown name fails.
# BuildKit: "user" alone takes the user's primary group; an unknown user is uid 0 and an unknown
# group keeps the gid, with a warning. A bare number N means N:N.
# uses: __sq_die __sq_isnum __sq_entry
__sq_chown() {
	case $1 in
	*:*)
		__sq_o_user=${1%%:*}
		__sq_o_group=${1#*:}
		;;
	*)
		__sq_o_user=$1
		__sq_o_group=
		;;
	esac
	if [ "$2" = classic ]; then
		case $1 in
		*:*:*) __sq_die "invalid chown string format: $1" ;;
		*:*) ;;
		*) __sq_o_group=$__sq_o_user ;;
		esac
	fi
	if __sq_isnum "$__sq_o_user"; then
		__sq_o_uid=$__sq_o_user
		__sq_o_gid=$__sq_o_user
	elif [ "$2" = buildkit ] && [ "$__sq_o_user" = root ]; then
		__sq_o_uid=0
		__sq_o_gid=0
	elif __sq_entry /etc/passwd 1 "$__sq_o_user"; then
		__sq_o_uid=$__sq_e3
		__sq_o_gid=$__sq_e4
	elif [ "$2" = buildkit ]; then
		printf 'squasher: %s:%s: warning: no user %s in /etc/passwd: owner 0, as BuildKit does\n' \
			"$__sq_df" "$__sq_line" "$__sq_o_user" >&2
		__sq_o_uid=0
		__sq_o_gid=0
	else
		__sq_die "unable to find user $__sq_o_user: no matching entries in passwd file"
	fi
	if [ -n "$__sq_o_group" ]; then
		if __sq_isnum "$__sq_o_group"; then
			__sq_o_gid=$__sq_o_group
		elif __sq_entry /etc/group 1 "$__sq_o_group"; then
			__sq_o_gid=$__sq_e3
		elif [ "$2" = buildkit ]; then
			printf 'squasher: %s:%s: warning: no group %s in /etc/group: group %s, as BuildKit does\n' \
				"$__sq_df" "$__sq_line" "$__sq_o_group" "$__sq_o_gid" >&2
		else
			__sq_die "unable to find group $__sq_o_group: no matching entries in group file"
		fi
	fi
	__sq_copy_owner=$__sq_o_uid:$__sq_o_gid
}
