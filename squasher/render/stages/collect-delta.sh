# shellcheck shell=sh
# squasher stages: collect the delta, what the build added or changed relative to the base,
# into one tree per layer under /.squasher-delta, and the base's paths the build removed as
# empty files under /.squasher-delta/application/.squasher-remove (the final stage removes them)
squasher_check_names
squasher_list_fs > "$SQUASHER_STATE/final.list" || exit 1

# the paths the package databases own (both spellings under a merged /usr)
{
	cat /var/lib/dpkg/info/*.list
	awk '/^F:/ { d = substr($0, 3) } /^R:/ { print "/" d "/" substr($0, 3) }' /lib/apk/db/installed
	rpm -qal
} 2>/dev/null \
	| awk '{ print } /^\/(bin|sbin|lib[^\/]*)\// { print "/usr" $0 }' \
	| LC_ALL=C sort -u > "$SQUASHER_STATE/owned.list"

rm -rf /.squasher-delta
mkdir -p /.squasher-delta/packages /.squasher-delta/libraries /.squasher-delta/application \
	|| exit 1
# files the purge and the cleanup touched (at or after the marker) get a fixed time, so that
# a rebuild that changes only the application makes the same lower layers
squasher_since=$(stat -c %Y "$SQUASHER_STATE/end-marker") || exit 1
awk -v owned="$SQUASHER_STATE/owned.list" -v since="$squasher_since" -v epoch=315532800 \
	-v delta=/.squasher-delta -v removals=/.squasher-delta/application/.squasher-remove \
	-v summary="$SQUASHER_STATE/summary" \
	-f /.squasher-stages/delta.awk "$SQUASHER_STATE/base.list" "$SQUASHER_STATE/final.list" \
	> "$SQUASHER_STATE/make-delta.sh" || exit 1
sh "$SQUASHER_STATE/make-delta.sh" || exit 1
cat "$SQUASHER_STATE/summary"
