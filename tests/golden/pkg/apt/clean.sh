# squasher apt: drop the package cache and lists, and the build's own apt logs
if command -v apt-get >/dev/null 2>&1; then
	if [ -e /var/cache/apt ]; then
		printf 'squasher-freed\tapt\t%s\t%s\n' /var/cache/apt "$(du -sk /var/cache/apt 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	fi
	apt-get clean
	if [ -e /var/lib/apt/lists ]; then
		printf 'squasher-freed\tapt\t%s\t%s\n' /var/lib/apt/lists "$(du -sk /var/lib/apt/lists 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	fi
	rm -rf /var/lib/apt/lists/*
	[ -e "$SQUASHER_STATE/apt-base-bookkeeping" ] || : > "$SQUASHER_STATE/apt-base-bookkeeping"
	squasher_kib=0
	for squasher_p in /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/lib/dpkg/*-old /var/cache/debconf/*-old; do
		[ -f "$squasher_p" ] || continue
		if grep -qxF "$(cksum "$squasher_p")" "$SQUASHER_STATE/apt-base-bookkeeping"; then continue; fi
		squasher_kib=$((squasher_kib + $(du -sk "$squasher_p" | awk '{ print $1 + 0 }')))
		rm -f "$squasher_p"
	done
	printf 'squasher-freed\tapt\t%s\t%s\n' 'apt and dpkg logs and backups' "$squasher_kib"
fi
