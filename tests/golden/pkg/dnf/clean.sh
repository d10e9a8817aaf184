# squasher dnf: drop the package caches
if command -v rpm >/dev/null 2>&1; then
	if command -v dnf >/dev/null 2>&1; then squasher_pm=dnf
	elif command -v yum >/dev/null 2>&1; then squasher_pm=yum
	elif command -v microdnf >/dev/null 2>&1; then squasher_pm=microdnf
	else squasher_pm=
	fi
	if [ -e /var/cache/dnf ]; then
		printf 'squasher-freed\tdnf\t%s\t%s\n' /var/cache/dnf "$(du -sk /var/cache/dnf 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	fi
	if [ -e /var/cache/yum ]; then
		printf 'squasher-freed\tdnf\t%s\t%s\n' /var/cache/yum "$(du -sk /var/cache/yum 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	fi
	if [ -e /var/cache/libdnf5 ]; then
		printf 'squasher-freed\tdnf\t%s\t%s\n' /var/cache/libdnf5 "$(du -sk /var/cache/libdnf5 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	fi
	if [ -n "$squasher_pm" ]; then "$squasher_pm" clean all > /dev/null 2>&1 || true; fi
	rm -rf /var/cache/dnf/* /var/cache/yum/* /var/cache/libdnf5/*
fi
