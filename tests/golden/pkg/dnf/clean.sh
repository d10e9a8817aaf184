# squasher dnf: drop the package caches
if command -v rpm >/dev/null 2>&1; then
	if command -v dnf >/dev/null 2>&1; then squasher_pm=dnf
	elif command -v yum >/dev/null 2>&1; then squasher_pm=yum
	elif command -v microdnf >/dev/null 2>&1; then squasher_pm=microdnf
	else squasher_pm=
	fi
	if [ -n "$squasher_pm" ]; then "$squasher_pm" clean all > /dev/null 2>&1 || true; fi
	rm -rf /var/cache/dnf/* /var/cache/yum/* /var/cache/libdnf5/*
fi
