# shellcheck shell=sh
# squasher stages, around a large COPY of the context: "before LINE" lists the file system,
# "after LINE" keeps the listing lines of what the COPY placed or changed in
# $SQUASHER_STATE/copy-LINE.lines. The last step puts each such path that nothing changed since
# into the COPY's own layer of the delta: a rebuild that leaves the COPY's sources alone makes
# that layer again, byte for byte. A failure here costs only that layout, never the build.
squasher_copy="$SQUASHER_STATE/copy-$2"
mkdir -p "$SQUASHER_STATE" || exit 0
case $1 in
before)
	squasher_list_fs > "$squasher_copy.before" || rm -f "$squasher_copy.before"
	;;
after)
	if [ -f "$squasher_copy.before" ]; then
		squasher_list_fs | awk -v before="$squasher_copy.before" '
			BEGIN { while ((getline line < before) > 0) seen[line] = 1 }
			!($0 in seen)' > "$squasher_copy.lines" || rm -f "$squasher_copy.lines"
		rm -f "$squasher_copy.before"
	fi
	;;
esac
exit 0
