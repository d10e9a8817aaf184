# squasher apt: record the hand-installed packages and the start of the build
: "${SQUASHER_STATE:?set SQUASHER_STATE to the state directory}"
mkdir -p "$SQUASHER_STATE"
[ -e "$SQUASHER_STATE/marker" ] || touch "$SQUASHER_STATE/marker"
if command -v apt-mark >/dev/null 2>&1; then
	apt-mark -o Dir::State::Lists="$SQUASHER_STATE/apt-no-lists" showmanual | LC_ALL=C sort -u > "$SQUASHER_STATE/apt-manual"
	: >> "$SQUASHER_STATE/apt-protected"
	dpkg-query -W -f='${db:Status-Status} ${Package}\n' | awk '$1 == "config-files" { print $2 }' | LC_ALL=C sort -u > "$SQUASHER_STATE/apt-config-files"
	dpkg-query -W -f='${db:Status-Status} ${Package}\n' | awk '$1 == "installed" { print $2 }' | LC_ALL=C sort -u > "$SQUASHER_STATE/apt-base"
	for squasher_p in /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/lib/dpkg/*-old /var/cache/debconf/*-old; do
		if [ -f "$squasher_p" ]; then cksum "$squasher_p"; fi
	done > "$SQUASHER_STATE/apt-base-bookkeeping"
fi
