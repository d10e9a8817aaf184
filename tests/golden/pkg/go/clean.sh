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
