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
