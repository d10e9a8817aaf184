# shellcheck shell=sh disable=SC2154 # state shared by the runtime's files and build.sh
# The package layer's wrappers protect the runtime libraries right before the original's own
# removals, even a purge in the same RUN that built the program. The steps must run unchanged,
# PATH included, so the wrappers go where the standard PATH looks first, /usr/local/sbin, for the
# time of the build (never over a file that is there), and are removed before squasher's own purge.

# __sq_install_wrappers: every wrapper in $SQUASHER_STATE/bin put into /usr/local/sbin
# uses:
__sq_install_wrappers() {
	[ -d /usr/local/sbin ] || : >"$SQUASHER_STATE/made-sbin"
	for __sq_w in "$SQUASHER_STATE"/bin/*; do
		[ -f "$__sq_w" ] || continue
		__sq_n=/usr/local/sbin/${__sq_w##*/}
		if [ ! -e "$__sq_n" ] && [ ! -L "$__sq_n" ] && mkdir -p /usr/local/sbin; then
			cp "$__sq_w" "$__sq_n" && printf '%s\n' "$__sq_n" >>"$SQUASHER_STATE/wrappers"
		fi
	done
}

# __sq_remove_wrappers: the wrappers __sq_install_wrappers put in place removed again
# uses:
__sq_remove_wrappers() {
	if [ -r "$SQUASHER_STATE/wrappers" ]; then
		while IFS= read -r __sq_n; do rm -f "$__sq_n"; done <"$SQUASHER_STATE/wrappers"
		rm -f "$SQUASHER_STATE/wrappers"
	fi
	if [ -e "$SQUASHER_STATE/made-sbin" ]; then
		rmdir /usr/local/sbin 2>/dev/null
		rm -f "$SQUASHER_STATE/made-sbin"
	fi
}

# __sq_where LINE: tell the wrappers which step runs, so what they protect names its line
# uses:
__sq_where() {
	printf 'Dockerfile:%s\n' "$1" >"$SQUASHER_STATE/where"
}
