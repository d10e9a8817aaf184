# squasher apk: drop the package cache
rm -rf /var/cache/apk/*
# squasher apt: drop the package cache and lists
if command -v apt-get >/dev/null 2>&1; then
	apt-get clean
	rm -rf /var/lib/apt/lists/*
fi
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
# squasher npm: drop the npm, yarn and pnpm caches
rm -rf /root/.npm /root/.local/share/pnpm/store /root/.cache/pnpm /usr/local/share/.cache/yarn /root/.cache/yarn /root/.yarn/berry/cache
# squasher pip: drop the pip cache
rm -rf /root/.cache/pip
# squasher: remove what the build left in /tmp
if find "$SQUASHER_STATE/marker" -maxdepth 0 -cnewer "$SQUASHER_STATE/marker" >/dev/null 2>&1; then
	squasher_newer=-cnewer
else
	squasher_newer=-newer
fi
find /tmp -mindepth 1 -maxdepth 1 "$squasher_newer" "$SQUASHER_STATE/marker" \
	! -path "$SQUASHER_STATE" ! -path /var/tmp -exec rm -rf {} \; 2>/dev/null || true
