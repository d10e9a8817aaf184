# squasher pip: record the start of the build
: "${SQUASHER_STATE:?set SQUASHER_STATE to the state directory}"
mkdir -p "$SQUASHER_STATE"
[ -e "$SQUASHER_STATE/marker" ] || touch "$SQUASHER_STATE/marker"
