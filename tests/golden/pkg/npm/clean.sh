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
