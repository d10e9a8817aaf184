#!/usr/bin/env bash
# Create the base images the tests and samples use, when they are missing. The test suite builds
# only on its own tags, made here from scratch, so that it passes whatever else the engine holds
# (a user's own busybox:latest or debian:bookworm-slim is never replaced):
#   squasher-test/debian:bookworm-slim (also squasher-test/debian:bookworm)
#                                     - debootstrap minbase, made to look like the official slim image
#   squasher-test/busybox:latest      - Debian's busybox-static, applets linked
# The samples and scripts/demo name the official images (debian:bookworm-slim, debian:bookworm,
# busybox:latest): each one that is missing is pulled (short timeout) or, when that fails, tagged
# to the suite's stand-in.
#
# Environment overrides:
#   DOCKER_HOST                 engine to use (default: what scripts/engine.sh prints)
#   SQUASHER_DEBOOTSTRAP_DIR    an existing debootstrap --variant=minbase bookworm tree to start
#                               from (copied, never modified) instead of running debootstrap
#   SQUASHER_APT_MIRROR         Debian mirror URI (default: read from this machine's apt sources)
#   SQUASHER_PULL_TIMEOUT       seconds allowed for `docker pull` (default 15; 0 disables pulling)
#   SQUASHER_FORCE_BASE_IMAGES  1 = rebuild the squasher-test images even when they exist
#   SQUASHER_BASE_IMAGES        which to make (default "debian busybox")
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -z "${DOCKER_HOST:-}" ]]; then
	eval "$("$here/engine.sh")"
fi
export DOCKER_HOST

DOCKER="${SQUASHER_DOCKER_CLI:-$(command -v docker)}"
SUITE=bookworm
TEST_REPO=squasher-test
pull_timeout="${SQUASHER_PULL_TIMEOUT:-15}"
force="${SQUASHER_FORCE_BASE_IMAGES:-0}"

log() { printf 'base-images: %s\n' "$*" >&2; }
die() {
	printf 'base-images: error: %s\n' "$*" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap and chroot need it)"

cleanup=()
remove_work_dirs() {
	local d
	for d in "${cleanup[@]}"; do
		[[ -n "$d" && -d "$d" ]] && rm -rf --one-file-system "$d"
	done
	return 0
}
trap remove_work_dirs EXIT

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

try_pull() {
	[[ "$pull_timeout" != 0 ]] || return 1
	log "trying: docker pull $1 (timeout ${pull_timeout}s)"
	timeout "$pull_timeout" "$DOCKER" pull -q "$1" >/dev/null 2>&1
}

# ---------------------------------------------------------------------------------------------
# apt sources of this machine: the first Debian URI (not security) and the security URI if any.
apt_uris() {
	local f
	shopt -s nullglob
	for f in /etc/apt/sources.list.d/*.sources; do
		awk 'tolower($1)=="uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f "$f" ]] || continue
		awk '$1=="deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i !~ /=/) { print $i; break } }' "$f"
	done
	shopt -u nullglob
}

find_mirror() {
	if [[ -n "${SQUASHER_APT_MIRROR:-}" ]]; then
		echo "$SQUASHER_APT_MIRROR"
		return
	fi
	apt_uris | grep -v -- '-security' | grep -m1 -E '/debian/?$' ||
		apt_uris | grep -v -- '-security' | head -n1
}

find_security_mirror() {
	apt_uris | grep -m1 -- '-security' || true
}

# ---------------------------------------------------------------------------------------------
# The apt/dpkg configuration of the official Debian image (debuerreotype), slim variant.
write_official_config() {
	local root="$1" mirror="$2" security="$3"
	mkdir -p "$root/etc/apt/apt.conf.d" "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/apt/sources.list.d"

	cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
# Since for most Docker users, package installs happen in "docker build" steps,
# they essentially become individual layers due to the way Docker handles
# layering, especially using CoW filesystems.  What this means for us is that
# the caches that APT keeps end up just wasting space in those layers, making
# our layers unnecessarily large (especially since we'll normally never use
# these caches again and will instead just "docker build" again and make a brand
# new image).

# Ideally, these would just be invoking "apt-get clean", but in our testing,
# that ended up being cyclic and we got stuck on APT's lock, so we get this fun
# creation that's essentially just "apt-get clean".
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };

Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF

	cat >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests" <<'EOF'
# Since Docker users are looking for the smallest possible final images, the
# following emerges as a very common pattern:

#   RUN apt-get update \
#       && apt-get install -y <packages> \
#       && <do some installation work> \
#       && apt-get purge -y --auto-remove <packages>

# By default, APT will actually _keep_ packages installed via Recommends or
# Depends if another package Suggests them, even and including if the package
# that originally caused them to be installed is removed.  Setting this to
# "false" ensures that APT is appropriately aggressive about removing the
# packages it added.

Apt::AutoRemove::SuggestsImportant "false";
EOF

	cat >"$root/etc/apt/apt.conf.d/docker-gzip-indexes" <<'EOF'
# Since Docker users using "RUN apt-get update && apt-get install -y ..." in
# their Dockerfiles don't go delete the lists files afterwards, we want them to
# be as small as possible on-disk, so we explicitly request that Apt keep them
# compressed on-disk too instead of decompressing them.

Acquire::GzipIndexes "true";
EOF

	cat >"$root/etc/apt/apt.conf.d/docker-no-languages" <<'EOF'
# In Docker, we don't often need the "Translations" files, so we're just wasting
# time and space by downloading them, and this inhibits that.  For users that do
# need them, it's a simple matter to delete this file and "apt-get update". :)

Acquire::Languages "none";
EOF

	cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# This is the "slim" variant of the Debian base image.
# Many files which are normally unnecessary in containers are excluded,
# and this configuration file keeps them that way.

path-exclude /usr/share/doc/*
# we need to keep copyright files for legal reasons
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF

	# deb822 sources like the official image, pointing at this machine's mirror
	rm -f "$root/etc/apt/sources.list"
	{
		printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' \
			"$mirror" "$SUITE" "$SUITE"
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		if [[ -n "$security" ]]; then
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' \
				"$security" "$SUITE"
			printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		fi
	} >"$root/etc/apt/sources.list.d/debian.sources"
}

# The official image is rebuilt with the suite's updates and security fixes applied; a bare
# debootstrap of the suite is not. Without this, the first `apt-get install` in every image
# upgrades base packages (perl-base, liblzma5, ...) and each image carries the new copies.
upgrade_packages() {
	local root="$1" status=0
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	mount -t proc proc "$root/proc"
	{
		chroot "$root" apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get upgrade -y -qq \
				-o Dpkg::Options::=--force-confold >"$root/tmp/upgrade.log" 2>&1 &&
			chroot "$root" apt-get clean
	} || status=$?
	umount -l "$root/proc"
	if [[ $status -ne 0 ]]; then
		tail -n 20 "$root/tmp/upgrade.log" >&2 || true
		die "apt-get upgrade in the new image failed (log above)"
	fi
}

# Drop what the slim dpkg excludes would have kept out, caches, lists and logs.
slim_down() {
	local root="$1"
	find "$root/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete 2>/dev/null || true
	find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
	local d
	for d in usr/share/groff usr/share/info usr/share/linda usr/share/lintian/overrides \
		usr/share/locale usr/share/man; do
		[[ -d "$root/$d" ]] && find "$root/$d" -mindepth 1 -delete
	done
	rm -rf "$root"/var/lib/apt/lists/*
	mkdir -p "$root/var/lib/apt/lists/partial"
	rm -f "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
		"$root"/var/cache/apt/archives/partial/*.deb
	rm -f "$root"/var/log/dpkg.log "$root"/var/log/bootstrap.log "$root"/var/log/alternatives.log \
		"$root"/var/log/apt/*.log "$root"/var/cache/ldconfig/aux-cache
	rm -rf "$root"/tmp/* "$root"/var/tmp/* "$root"/root/.cache
	: >"$root/etc/machine-id" 2>/dev/null || true
	rm -f "$root/var/lib/dbus/machine-id"
	: >"$root/etc/resolv.conf"
	echo "localhost" >"$root/etc/hostname"
}

# HTTPS from containers needs the same trust as this machine (custom/intercepting CAs).
copy_host_cas() {
	local root="$1"
	if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
		mkdir -p "$root/etc/ssl/certs"
		cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
	fi
	if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
		mkdir -p "$root/usr/local/share/ca-certificates"
		cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
	fi
}

make_debian() {
	local work rootfs mirror security
	mirror="$(find_mirror)"
	[[ -n "$mirror" ]] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*}; set SQUASHER_APT_MIRROR"
	security="$(find_security_mirror)"
	work="$(mktemp -d /var/tmp/squasher-debian.XXXXXX)"
	cleanup+=("$work")
	rootfs="$work/rootfs"
	if [[ -n "${SQUASHER_DEBOOTSTRAP_DIR:-}" && -x "${SQUASHER_DEBOOTSTRAP_DIR}/usr/bin/apt-get" ]]; then
		log "copying prepared debootstrap tree $SQUASHER_DEBOOTSTRAP_DIR"
		cp -a "$SQUASHER_DEBOOTSTRAP_DIR" "$rootfs"
	else
		command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
		log "debootstrap --variant=minbase $SUITE from $mirror (takes a few minutes)"
		if ! debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
			tail -n 20 "$work/debootstrap.log" >&2
			die "debootstrap failed (log above)"
		fi
	fi
	# nothing of the host's mounts may leak into the tarball
	local m
	for m in proc sys dev/pts; do
		mountpoint -q "$rootfs/$m" && umount -l "$rootfs/$m"
	done
	write_official_config "$rootfs" "$mirror" "$security"
	log "applying $SUITE-updates and $SUITE-security"
	upgrade_packages "$rootfs"
	slim_down "$rootfs"
	copy_host_cas "$rootfs"
	log "importing $TEST_REPO/debian:$SUITE-slim"
	local id
	id="$(tar --numeric-owner --xattrs -C "$rootfs" -c . |
		"$DOCKER" import --change 'CMD ["bash"]' - "$TEST_REPO/debian:$SUITE-slim")"
	"$DOCKER" tag "$TEST_REPO/debian:$SUITE-slim" "$TEST_REPO/debian:$SUITE"
	log "$TEST_REPO/debian:$SUITE-slim = $TEST_REPO/debian:$SUITE = $id"
}

make_busybox() {
	local bb work root
	bb=""
	for bb in /bin/busybox /usr/bin/busybox; do
		[[ -x "$bb" ]] && break
	done
	[[ -x "$bb" ]] || die "busybox is not installed (apt-get install busybox-static)"
	# it must be the static one: the image has no libc
	if file "$bb" 2>/dev/null | grep -q 'dynamically linked'; then
		die "$bb is dynamically linked; install busybox-static"
	fi
	if ldd "$bb" >/dev/null 2>&1; then
		die "$bb is dynamically linked; install busybox-static"
	fi
	work="$(mktemp -d /var/tmp/squasher-busybox.XXXXXX)"
	cleanup+=("$work")
	root="$work/rootfs"
	mkdir -p "$root"/{bin,dev,etc,home,root,tmp,usr/sbin,var/spool/mail,var/www}
	chmod 1777 "$root/tmp"
	chmod 700 "$root/root"
	cp "$bb" "$root/bin/busybox"
	local applet
	for applet in $("$bb" --list); do
		[[ "$applet" == busybox ]] && continue
		ln -f "$root/bin/busybox" "$root/bin/$applet"
	done
	cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
	cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
EOF
	log "importing $TEST_REPO/busybox:latest"
	local id
	id="$(tar --numeric-owner -C "$root" -c . |
		"$DOCKER" import --change 'CMD ["sh"]' - "$TEST_REPO/busybox:latest")"
	log "$TEST_REPO/busybox:latest = $id"
}

# the suite's own image: made here, never pulled
ensure_test() {
	local ref="$1" maker="$2"
	if [[ "$force" != 1 ]] && have_image "$ref"; then
		log "$ref present"
		return
	fi
	"$maker"
}

# an official name for the samples and the demo: the user's own when present, else pulled, else
# the suite's stand-in
ensure_official() {
	local ref="$1" stand_in="$2"
	if have_image "$ref"; then
		log "$ref present"
	elif try_pull "$ref"; then
		log "$ref pulled"
	else
		"$DOCKER" tag "$stand_in" "$ref"
		log "$ref = $stand_in"
	fi
}

for wanted in ${SQUASHER_BASE_IMAGES:-debian busybox}; do
	case "$wanted" in
	debian)
		ensure_test "$TEST_REPO/debian:$SUITE-slim" make_debian
		if ! have_image "$TEST_REPO/debian:$SUITE"; then
			"$DOCKER" tag "$TEST_REPO/debian:$SUITE-slim" "$TEST_REPO/debian:$SUITE"
		fi
		ensure_official "debian:$SUITE-slim" "$TEST_REPO/debian:$SUITE-slim"
		ensure_official "debian:$SUITE" "$TEST_REPO/debian:$SUITE"
		;;
	busybox)
		ensure_test "$TEST_REPO/busybox:latest" make_busybox
		ensure_official busybox:latest "$TEST_REPO/busybox:latest"
		;;
	*) die "unknown base image '$wanted' in SQUASHER_BASE_IMAGES (debian, busybox)" ;;
	esac
done
