#!/bin/sh
# Writes the sample's generated assets into assets/media/ (about 24 MB, in .gitignore): tiles of
# pseudo-random bytes (as incompressible as the images and fonts of a real site) and CSV data
# files, the same bytes on every run: a fixed AES key over zeros, no clock, no /dev/urandom.
#
#   sh make-assets.sh [DIR]    (default: the directory of this script)
set -eu

dir=${1:-$(cd "$(dirname "$0")" && pwd)}
media=$dir/assets/media
mkdir -p "$media/tiles" "$media/data"

stream() { # stream NAME BYTES: BYTES deterministic pseudo-random bytes named by NAME
	key=$(printf '%s' "squasher-assets-$1" | sha256sum | cut -c1-32)
	head -c "$2" /dev/zero | openssl enc -aes-128-ctr -K "$key" -iv 00000000000000000000000000000000 -nosalt
}

i=0
while [ "$i" -lt 16 ]; do
	stream "tile-$i" 1310720 > "$media/tiles/tile-$i.bin"
	i=$((i + 1))
done
i=0
while [ "$i" -lt 4 ]; do
	stream "data-$i" 600000 | od -An -v -tu2 -w16 | tr -s ' ' ',' | sed 's/^,//' \
		> "$media/data/series-$i.csv"
	i=$((i + 1))
done
