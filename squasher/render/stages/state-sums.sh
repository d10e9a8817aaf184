# shellcheck shell=sh
# squasher_sum_state: the checksum, size and path (cksum) of every file in the package managers'
# databases and caches and the dynamic linker's cache. Their runs rewrite those files whole,
# often with the same bytes (debconf's templates after an install and a purge): such a file is
# the base's, not part of the delta. Without cksum (busybox may lack it) nothing is listed.
squasher_sum_state() {
	command -v cksum > /dev/null 2>&1 || return 0
	for squasher_d in /var/lib/dpkg /var/lib/apt /var/cache/debconf /var/cache/apt \
		/var/cache/ldconfig /etc/ld.so.cache /lib/apk/db /etc/apk /var/lib/rpm \
		/usr/lib/sysimage/rpm; do
		if [ -e "$squasher_d" ]; then
			find "$squasher_d" -xdev -type f -exec cksum {} +
		fi
	done
}

# a path with a newline in its name cannot be told from two paths in the listing
squasher_check_names() {
	squasher_odd=$(find / -xdev \( -path /proc -o -path /sys -o -path /dev \) -prune \
		-o -name '*
*' -print | head -n 1)
	if [ -n "$squasher_odd" ]; then
		echo "squasher: a path has a newline in its name; --strategy stages cannot list it exactly" >&2
		echo "squasher: use --strategy script for this Dockerfile" >&2
		exit 1
	fi
}
