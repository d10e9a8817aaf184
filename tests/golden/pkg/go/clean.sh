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
