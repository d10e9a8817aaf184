# squasher apk: drop the package cache
if [ -e /var/cache/apk ]; then
	printf 'squasher-freed\tapk\t%s\t%s\n' /var/cache/apk "$(du -sk /var/cache/apk 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
rm -rf /var/cache/apk/*
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
# squasher go: drop Go's build and module caches
if [ -e /root/.cache/go-build ]; then
	printf 'squasher-freed\tgo\t%s\t%s\n' /root/.cache/go-build "$(du -sk /root/.cache/go-build 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
if [ -e /root/go/pkg/mod ]; then
	printf 'squasher-freed\tgo\t%s\t%s\n' /root/go/pkg/mod "$(du -sk /root/go/pkg/mod 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
if [ -e /go/pkg/mod ]; then
	printf 'squasher-freed\tgo\t%s\t%s\n' /go/pkg/mod "$(du -sk /go/pkg/mod 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
rm -rf /root/.cache/go-build /root/go/pkg/mod /go/pkg/mod
# the same caches in the other users' homes, when the build wrote them
if find "$SQUASHER_STATE/marker" -maxdepth 0 -cnewer "$SQUASHER_STATE/marker" >/dev/null 2>&1; then
	squasher_newer=-cnewer
else
	squasher_newer=-newer
fi
squasher_home_cache() {
	[ -d "$1" ] || return 0
	[ -n "$(find "$1" "$squasher_newer" "$SQUASHER_STATE/marker" -print 2>/dev/null | head -n 1)" ] || return 0
	printf 'squasher-freed\tgo\t%s\t%s\n' "$1" "$(du -sk "$1" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	rm -rf "$1"
}
awk -F: '$6 != "" && $6 != "/" && $6 != "/root" { print $6 }' /etc/passwd 2>/dev/null | LC_ALL=C sort -u \
	| while IFS= read -r squasher_home; do
	squasher_home_cache "$squasher_home"/.cache/go-build
	squasher_home_cache "$squasher_home"/go/pkg/mod
done
# squasher npm: drop the npm, yarn and pnpm caches
if [ -e /root/.npm ]; then
	printf 'squasher-freed\tnpm\t%s\t%s\n' /root/.npm "$(du -sk /root/.npm 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
if [ -e /root/.local/share/pnpm/store ]; then
	printf 'squasher-freed\tnpm\t%s\t%s\n' /root/.local/share/pnpm/store "$(du -sk /root/.local/share/pnpm/store 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
if [ -e /root/.cache/pnpm ]; then
	printf 'squasher-freed\tnpm\t%s\t%s\n' /root/.cache/pnpm "$(du -sk /root/.cache/pnpm 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
if [ -e /usr/local/share/.cache/yarn ]; then
	printf 'squasher-freed\tnpm\t%s\t%s\n' /usr/local/share/.cache/yarn "$(du -sk /usr/local/share/.cache/yarn 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
if [ -e /root/.cache/yarn ]; then
	printf 'squasher-freed\tnpm\t%s\t%s\n' /root/.cache/yarn "$(du -sk /root/.cache/yarn 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
if [ -e /root/.yarn/berry/cache ]; then
	printf 'squasher-freed\tnpm\t%s\t%s\n' /root/.yarn/berry/cache "$(du -sk /root/.yarn/berry/cache 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
rm -rf /root/.npm /root/.local/share/pnpm/store /root/.cache/pnpm /usr/local/share/.cache/yarn /root/.cache/yarn /root/.yarn/berry/cache
# the same caches in the other users' homes, when the build wrote them
if find "$SQUASHER_STATE/marker" -maxdepth 0 -cnewer "$SQUASHER_STATE/marker" >/dev/null 2>&1; then
	squasher_newer=-cnewer
else
	squasher_newer=-newer
fi
squasher_home_cache() {
	[ -d "$1" ] || return 0
	[ -n "$(find "$1" "$squasher_newer" "$SQUASHER_STATE/marker" -print 2>/dev/null | head -n 1)" ] || return 0
	printf 'squasher-freed\tnpm\t%s\t%s\n' "$1" "$(du -sk "$1" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	rm -rf "$1"
}
awk -F: '$6 != "" && $6 != "/" && $6 != "/root" { print $6 }' /etc/passwd 2>/dev/null | LC_ALL=C sort -u \
	| while IFS= read -r squasher_home; do
	squasher_home_cache "$squasher_home"/.cache/pnpm
	squasher_home_cache "$squasher_home"/.cache/yarn
	squasher_home_cache "$squasher_home"/.local/share/pnpm/store
	squasher_home_cache "$squasher_home"/.npm
	squasher_home_cache "$squasher_home"/.yarn/berry/cache
done
# squasher pip: drop the pip cache
if [ -e /root/.cache/pip ]; then
	printf 'squasher-freed\tpip\t%s\t%s\n' /root/.cache/pip "$(du -sk /root/.cache/pip 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
rm -rf /root/.cache/pip
# the same caches in the other users' homes, when the build wrote them
if find "$SQUASHER_STATE/marker" -maxdepth 0 -cnewer "$SQUASHER_STATE/marker" >/dev/null 2>&1; then
	squasher_newer=-cnewer
else
	squasher_newer=-newer
fi
squasher_home_cache() {
	[ -d "$1" ] || return 0
	[ -n "$(find "$1" "$squasher_newer" "$SQUASHER_STATE/marker" -print 2>/dev/null | head -n 1)" ] || return 0
	printf 'squasher-freed\tpip\t%s\t%s\n' "$1" "$(du -sk "$1" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
	rm -rf "$1"
}
awk -F: '$6 != "" && $6 != "/" && $6 != "/root" { print $6 }' /etc/passwd 2>/dev/null | LC_ALL=C sort -u \
	| while IFS= read -r squasher_home; do
	squasher_home_cache "$squasher_home"/.cache/pip
done
# squasher: remove what the build left in /tmp
if find "$SQUASHER_STATE/marker" -maxdepth 0 -cnewer "$SQUASHER_STATE/marker" >/dev/null 2>&1; then
	squasher_newer=-cnewer
else
	squasher_newer=-newer
fi
find /tmp -mindepth 1 -maxdepth 1 "$squasher_newer" "$SQUASHER_STATE/marker" \
	! -path "$SQUASHER_STATE" ! -path /var/tmp -exec rm -rf {} \; 2>/dev/null || true
