# squasher apk: record the base's world and the start of the build
: "${SQUASHER_STATE:?set SQUASHER_STATE to the state directory}"
mkdir -p "$SQUASHER_STATE"
[ -e "$SQUASHER_STATE/marker" ] || touch "$SQUASHER_STATE/marker"
if command -v apk >/dev/null 2>&1; then
	sed -e 's/[=<>~@].*//' /etc/apk/world | LC_ALL=C sort -u > "$SQUASHER_STATE/apk-world"
	: >> "$SQUASHER_STATE/apk-protected"
fi
