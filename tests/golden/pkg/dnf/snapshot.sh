# squasher dnf: record the base's packages and the start of the build
: "${SQUASHER_STATE:?set SQUASHER_STATE to the state directory}"
mkdir -p "$SQUASHER_STATE"
[ -e "$SQUASHER_STATE/marker" ] || touch "$SQUASHER_STATE/marker"
if command -v rpm >/dev/null 2>&1; then
	rpm -qa --qf '%{NAME}\n' | LC_ALL=C sort -u > "$SQUASHER_STATE/rpm-base"
	: >> "$SQUASHER_STATE/rpm-protected"
fi
