# shellcheck shell=sh
# squasher stages: record the base image's file system before any step of the original runs;
# the last step compares the build's result with it
if [ "$(id -u)" != 0 ]; then
	echo "squasher: the first step of the build stage must run as root" >&2
	exit 1
fi
mkdir -p "$SQUASHER_STATE" || exit 1
squasher_check_names
squasher_list_fs > "$SQUASHER_STATE/base.list" || exit 1
squasher_sum_state > "$SQUASHER_STATE/base.sums" || exit 1
