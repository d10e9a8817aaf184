# squasher apk: drop the package cache
if [ -e /var/cache/apk ]; then
	printf 'squasher-freed\tapk\t%s\t%s\n' /var/cache/apk "$(du -sk /var/cache/apk 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
rm -rf /var/cache/apk/*
