# shellcheck shell=sh
# squasher stages: collect the delta, what the build added or changed relative to the base,
# into one tree per layer under /.squasher-delta (one per large COPY of the context in
# $SQUASHER_COPIES, their start lines), and the base's paths the build removed as
# empty files under /.squasher-delta/application/.squasher-remove (the final stage removes them)
squasher_check_names
squasher_list_fs > "$SQUASHER_STATE/final.list" || exit 1
squasher_sum_state > "$SQUASHER_STATE/final.sums" || exit 1

# the paths the package databases own (both spellings under a merged /usr)
{
	cat /var/lib/dpkg/info/*.list
	awk '/^F:/ { d = substr($0, 3) } /^R:/ { print "/" d "/" substr($0, 3) }' /lib/apk/db/installed
	rpm -qal
} 2>/dev/null \
	| awk '{ print } /^\/(bin|sbin|lib[^\/]*)\// { print "/usr" $0 }' \
	| LC_ALL=C sort -u > "$SQUASHER_STATE/owned.list"

# the paths pip's RECORD files list (relative to the directory the .dist-info is in: a
# package's commands are ../../../bin/NAME), made absolute and cleaned of . and ..
find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /.squasher-state \) -prune \
	-o -path '*-packages/*.dist-info/RECORD' -type f -print 2>/dev/null \
	| while IFS= read -r squasher_record; do
		squasher_site=${squasher_record%/*.dist-info/RECORD}
		awk -v site="$squasher_site" '
			/^"/ { next }
			{
				p = $0
				sub(/,.*/, "", p)
				if (p !~ /^\//)
					p = site "/" p
				n = split(p, part, "/")
				k = 0
				for (i = 2; i <= n; i++) {
					if (part[i] == "" || part[i] == ".")
						continue
					if (part[i] == "..") {
						if (k > 0)
							k--
						continue
					}
					keep[++k] = part[i]
				}
				out = ""
				for (i = 1; i <= k; i++)
					out = out "/" keep[i]
				print out
			}' "$squasher_record"
	done | LC_ALL=C sort -u > "$SQUASHER_STATE/libraries.list"

rm -rf /.squasher-delta
mkdir -p /.squasher-delta/packages /.squasher-delta/libraries /.squasher-delta/application \
	|| exit 1
# files the purge and the cleanup touched (at or after the marker) get a fixed time, so that
# a rebuild that changes only the application makes the same lower layers
squasher_since=$(stat -c %Y "$SQUASHER_STATE/end-marker") || exit 1
awk -v owned="$SQUASHER_STATE/owned.list" -v libraries="$SQUASHER_STATE/libraries.list" \
	-v base_sums="$SQUASHER_STATE/base.sums" -v final_sums="$SQUASHER_STATE/final.sums" \
	-v since="$squasher_since" -v epoch=315532800 \
	-v copies="$SQUASHER_COPIES" -v state="$SQUASHER_STATE" \
	-v delta=/.squasher-delta -v removals=/.squasher-delta/application/.squasher-remove \
	-v summary="$SQUASHER_STATE/summary" \
	-f /.squasher-stages/delta.awk "$SQUASHER_STATE/base.list" "$SQUASHER_STATE/final.list" \
	> "$SQUASHER_STATE/make-delta.sh" || exit 1
sh "$SQUASHER_STATE/make-delta.sh" || exit 1
cat "$SQUASHER_STATE/summary"
