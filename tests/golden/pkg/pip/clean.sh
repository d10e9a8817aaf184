# squasher pip: drop the pip cache
if [ -e /root/.cache/pip ]; then
	printf 'squasher-freed\tpip\t%s\t%s\n' /root/.cache/pip "$(du -sk /root/.cache/pip 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
fi
rm -rf /root/.cache/pip
