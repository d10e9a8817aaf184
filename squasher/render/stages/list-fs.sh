# shellcheck shell=sh
# squasher_list_fs: one line per path of the image's file system, sorted by path:
#   MODE UID GID SIZE LINKS INODE CTIME MTIME PATH
# MODE is stat's raw mode in hex (type and permission bits). Left out: the kernel file systems,
# what the engine puts into every container (/etc/hosts, /etc/hostname, /etc/resolv.conf,
# /etc/mtab, /.dockerenv: a step's changes to them do not reach the image) and squasher's own
# directories.
# Any change to a file (content, mode, owner, links, extended attributes) moves its CTIME, and
# a file replaced by another is another INODE: a line that is the same in two listings is the
# same file. For a directory only MODE, UID and GID count.
squasher_list_fs() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev \
		-o -path /.squasher-state -o -path /.squasher-stages -o -path /.squasher-delta \
		-o -path /etc/hosts -o -path /etc/hostname -o -path /etc/resolv.conf \
		-o -path /etc/mtab -o -path /.dockerenv \) -prune \
		-o -exec stat -c '%f %u %g %s %h %i %Z %Y %n' {} + | LC_ALL=C sort -k 9
}
