#!/bin/sh
# Build each sample's original and expert reference on the classic builder, one at a time, run the
# probe in each, and print the Markdown rows of samples/SIZES.md (sizes as the engine reports them).
#
#   DOCKER_HOST=unix:///run/squasher-engine/docker.sock samples/measure-sizes.sh [NAME...]
#
# Images are tagged sq-sample/NAME:original and :reference; set KEEP=1 to keep them (the
# layer cache then makes a re-run quick), otherwise they are removed after measuring.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export DOCKER_BUILDKIT=0

if [ "$#" -eq 0 ]; then
	set -- seed c-make c-libpq python-psycopg2 node-gyp go onelove multistage interleaved busybox-user assets webapp node-build
fi

mb() {
	awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'
}

echo "| sample | variant | size (bytes) | size | layers | probe |"
echo "|---|---|---:|---:|---:|---|"
for name in "$@"; do
	if [ -f "$name/make-assets.sh" ]; then # generated assets, in .gitignore
		sh "$name/make-assets.sh"
		sh "$name/reference/make-assets.sh"
	fi
	for variant in original reference; do
		context=$name
		[ "$variant" = reference ] && context=$name/reference
		tag=sq-sample/$name:$variant
		log=$(mktemp)
		if ! docker build -t "$tag" "$context" >"$log" 2>&1; then
			echo "| $name | $variant | build failed | | | |"
			tail -n 20 "$log" >&2
			rm -f "$log"
			continue
		fi
		rm -f "$log"
		size=$(docker image inspect -f '{{.Size}}' "$tag")
		layers=$(docker image inspect -f '{{len .RootFS.Layers}}' "$tag")
		if out=$(docker run --rm --entrypoint sh "$tag" -c "$(cat "$name/probe")" 2>&1); then
			probe="works"
		else
			probe="BROKEN: $(printf '%s' "$out" | grep -m1 -iE 'error|cannot|not found' | cut -c1-90)"
		fi
		echo "| $name | $variant | $size | $(mb "$size") | $layers | $probe |"
		[ "${KEEP:-0}" = 1 ] || docker image rm "$tag" >/dev/null
	done
done
