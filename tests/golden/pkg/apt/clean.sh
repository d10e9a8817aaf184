# squasher apt: drop the package cache and lists
if command -v apt-get >/dev/null 2>&1; then
	if [ -e /var/cache/apt ]; then
		printf 'squasher-freed\tapt\t%s\t%s\n' /var/cache/apt "$(du -sk /var/cache/apt 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	fi
	apt-get clean
	if [ -e /var/lib/apt/lists ]; then
		printf 'squasher-freed\tapt\t%s\t%s\n' /var/lib/apt/lists "$(du -sk /var/lib/apt/lists 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	fi
	rm -rf /var/lib/apt/lists/*
fi
