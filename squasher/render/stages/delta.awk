# delta.awk: what the build changed relative to the base, written as a sh script that lays it
# out in one tree per layer, with the list of removed base paths, and a summary.
#
# Input: the base listing, then the final listing (squasher_list_fs lines, sorted by path).
# Variables:
#   owned    a file of the paths the package databases own
#   libraries a file of the paths language packages list as theirs (pip's RECORD files)
#   base_sums, final_sums  cksum lines of the package-state files (squasher_sum_state) in the
#            base and after the build
#   since    files modified at or after this time (the final step's) get the time `epoch`
#   epoch    that fixed time
#   copies   the start lines of the large COPYs of the context, in order ("7 12"): each has
#            a layer tree delta/copy-LINE, after libraries and before application
#   state    the directory of copy-LINE.lines, the listing lines of what each of those COPYs
#            placed or changed (mark-copy.sh)
#   delta    the root of the layer trees (delta/packages, delta/libraries, delta/copy-LINE ...,
#            delta/application)
#   removals the directory of the removal list (in the application tree)
#   summary  where the per-layer counts and the removals are written
#
# A path is in the delta when it is new or its listing line differs from the base's, but for a
# package-state file rewritten with the base's very bytes, mode, owner and link count (its
# checksums are the same): that one is the base's file. Every
# path of a hard-linked inode goes, with the others, into the layer of the most often changing
# one, linked to the first: the copies then stay one inode in the image. A layer's tree holds
# the parent directories of what it holds, with the build's mode and owner.

function hexval(h,   i, v) {
	v = 0
	h = tolower(h)
	for (i = 1; i <= length(h); i++)
		v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
	return v
}

# sets F[1..8] from a listing line and returns its path
function parse(line,   i, k) {
	for (i = 1; i <= 8; i++) {
		k = index(line, " ")
		F[i] = substr(line, 1, k - 1)
		line = substr(line, k + 1)
	}
	return line
}

# a cksum line "CRC SIZE PATH": sets SUMS to "CRC SIZE" and returns the path
function sum_path(line,   k) {
	k = index(line, " ")
	k += index(substr(line, k + 1), " ")
	SUMS = substr(line, 1, k - 1)
	return substr(line, k + 1)
}

# the same regular file as the base's: mode, owner, size, links and checksums, another inode or time
function same_bytes(p, key) {
	return (p in SUM_BASE) && (p in SUM_FINAL) && SUM_BASE[p] == SUM_FINAL[p] \
		&& BASE5[p] == key && int(hexval(F[1]) / 4096) == 8 && F[5] == 1
}

function is_dir(mode) {
	return int(mode / 4096) == 4
}

function q(s) {
	gsub(/'/, "'\\''", s)
	return "'" s "'"
}

function parent(p) {
	sub(/\/[^\/]*$/, "", p)
	return p == "" ? "/" : p
}

# 1 packages: what the package managers installed, and their databases, and what their install
# scripts generate (the CA bundle); 2 libraries: language packages, and the files a pip
# package's RECORD lists outside its directory (its commands); then one layer per large COPY of
# the context: what it placed and nothing changed since; last, application: the rest, and
# what every run of the final step rewrites (logs, the dynamic linker's caches). A compiled
# Python module (__pycache__/NAME.TAG.pyc) goes with its source NAME.py.
function layer(p,   src) {
	if (p ~ /^\/var\/log(\/|$)/ || p ~ /^\/var\/cache\/ldconfig(\/|$)/ || p == "/etc/ld.so.cache")
		return APP
	if (p ~ /^\/(var\/lib\/(dpkg|apt|rpm)|var\/cache\/(debconf|apt)|lib\/apk|etc\/apk)(\/|$)/)
		return 1
	if (p ~ /^\/(usr\/lib\/sysimage\/rpm|etc\/alternatives|etc\/ssl\/certs)(\/|$)/ || p in OWN)
		return 1
	if (p ~ /\/__pycache__\/[^\/]+\.pyc$/) {
		src = p
		sub(/\/__pycache__\/[^\/]+$/, "", src)
		return layer(src "/" substr(p, length(src) + 14, index(substr(p, length(src) + 14), ".") - 1) ".py")
	}
	if (p in LIB)
		return 2
	if (p ~ /\/(site-packages|dist-packages|node_modules|gems)(\/|$)/)
		return 2
	if (p ~ /^\/usr\/local\/lib\/(python|node)[^\/]*(\/|$)/ || p ~ /^\/(root\/)?go\/pkg\/mod(\/|$)/)
		return 2
	if ((p in COPIED) && (p in IDX) && KEY7[IDX[p]] == COPIED[p])
		return COPY_LAYER[p]
	return APP
}

# batched commands: add(cmd, tail, arg) collects args of `cmd ARGS tail`; flush() prints them
function add(cmd, tail, arg,   key) {
	key = cmd SUBSEP tail
	if (!(key in COUNT)) {
		KEYS[++nkeys] = key
		KCMD[nkeys] = cmd
		KTAIL[nkeys] = tail
		COUNT[key] = 0
		ARGS[key] = ""
	}
	ARGS[key] = ARGS[key] " " arg
	if (++COUNT[key] >= 64) {
		print cmd ARGS[key] tail
		ARGS[key] = ""
		COUNT[key] = 0
	}
}

function flush(   i, key) {
	for (i = 1; i <= nkeys; i++) {
		key = KEYS[i]
		if (COUNT[key] > 0)
			print KCMD[i] ARGS[key] KTAIL[i]
	}
	split("", KEYS)
	split("", COUNT)
	split("", ARGS)
	nkeys = 0
}

BEGIN {
	NAME[1] = "packages"
	NAME[2] = "libraries"
	ncopies = split(copies, COPY_LINE, " ")
	for (j = 1; j <= ncopies; j++) {
		NAME[2 + j] = "copy-" COPY_LINE[j]
		# a later COPY's line for a path is the newer one
		file_lines = state "/copy-" COPY_LINE[j] ".lines"
		while ((getline line < file_lines) > 0) {
			p = parse(line)
			COPIED[p] = F[1] " " F[2] " " F[3] " " F[4] " " F[5] " " F[6] " " F[7]
			COPY_LAYER[p] = 2 + j
		}
		close(file_lines)
	}
	APP = 3 + ncopies
	NAME[APP] = "application"
	while ((getline line < owned) > 0)
		OWN[line] = 1
	close(owned)
	while ((getline line < libraries) > 0)
		LIB[line] = 1
	close(libraries)
	while ((getline line < base_sums) > 0)
		SUM_BASE[sum_path(line)] = SUMS
	close(base_sums)
	while ((getline line < final_sums) > 0)
		SUM_FINAL[sum_path(line)] = SUMS
	close(final_sums)
}

FNR == 1 {
	file++
}

file == 1 {
	p = parse($0)
	if (is_dir(hexval(F[1])))
		BASE[p] = F[1] " " F[2] " " F[3]
	else {
		BASE[p] = F[1] " " F[2] " " F[3] " " F[4] " " F[5] " " F[6] " " F[7]
		BASE5[p] = F[1] " " F[2] " " F[3] " " F[4] " " F[5]
	}
	BASEPATH[++nbase] = p
	next
}

{
	p = parse($0)
	n++
	P[n] = p
	IDX[p] = n
	MODE[n] = hexval(F[1])
	OWNER[n] = F[2] ":" F[3]
	SIZE[n] = F[4]
	MTIME[n] = F[8] + 0
	KEY7[n] = F[1] " " F[2] " " F[3] " " F[4] " " F[5] " " F[6] " " F[7]
	if (is_dir(MODE[n]))
		key = F[1] " " F[2] " " F[3]
	else
		key = F[1] " " F[2] " " F[3] " " F[4] " " F[5] " " F[6] " " F[7]
	if (p != "/" && (!(p in BASE) || BASE[p] != key) \
		&& !same_bytes(p, F[1] " " F[2] " " F[3] " " F[4] " " F[5]))
		CHANGED[n] = 1
	if (!is_dir(MODE[n]) && F[5] > 1)
		GROUP[F[6]] = GROUP[F[6]] " " n
}

END {
	for (i = 1; i <= n; i++)
		if (i in CHANGED)
			L[i] = layer(P[i])
	for (ino in GROUP) {
		count = split(substr(GROUP[ino], 2), member, " ")
		hit = 0
		for (j = 1; j <= count; j++)
			if (member[j] in CHANGED)
				hit = 1
		if (!hit)
			continue
		top = 0
		for (j = 1; j <= count; j++) {
			k = member[j]
			CHANGED[k] = 1
			if (!(k in L))
				L[k] = layer(P[k])
			if (L[k] > top)
				top = L[k]
		}
		for (j = 1; j <= count; j++) {
			L[member[j]] = top
			if (j > 1)
				LEADER[member[j]] = member[1]
		}
	}
	# the directories of each layer's tree: its own, and the parents of what it holds
	for (i = 1; i <= n; i++) {
		if (!(i in CHANGED))
			continue
		if (is_dir(MODE[i]))
			TREE[L[i], i] = "own"
		for (a = parent(P[i]); a != "/"; a = parent(a))
			if (!((L[i], IDX[a]) in TREE))
				TREE[L[i], IDX[a]] = "parent"
	}

	print "# made by delta.awk: the delta's layer trees"
	print "set -e"
	for (i = 1; i <= n; i++)
		for (l = 1; l <= APP; l++)
			if ((l, i) in TREE)
				add("mkdir -p --", "", q(delta "/" NAME[l] P[i]))
	flush()
	for (i = 1; i <= n; i++) {
		if (!(i in CHANGED) || is_dir(MODE[i]) || (i in LEADER))
			continue
		add("ln --", " " q(delta "/" NAME[L[i]] parent(P[i]) "/"), q(P[i]))
		FILES[L[i]]++
		BYTES[L[i]] += (int(MODE[i] / 4096) == 8) ? SIZE[i] : 0
	}
	flush()
	for (i = 1; i <= n; i++) {
		if (!(i in LEADER))
			continue
		print "ln -- " q(delta "/" NAME[L[i]] P[LEADER[i]]) " " q(delta "/" NAME[L[i]] P[i])
		FILES[L[i]]++
	}
	for (i = 1; i <= n; i++)
		for (l = 1; l <= APP; l++)
			if ((l, i) in TREE)
				add("chown " OWNER[i] " --", "", q(delta "/" NAME[l] P[i]))
	flush()
	for (i = 1; i <= n; i++)
		for (l = 1; l <= APP; l++)
			if ((l, i) in TREE)
				add("chmod " sprintf("0%04o", MODE[i] % 4096) " --", "", q(delta "/" NAME[l] P[i]))
	flush()
	# times last: creating entries moves their directory's time
	for (i = 1; i <= n; i++) {
		if ((i in CHANGED) && !is_dir(MODE[i]) && !(i in LEADER) && MTIME[i] >= since)
			add("touch -h -d @" epoch " --", "", q(delta "/" NAME[L[i]] P[i]))
		for (l = 1; l <= APP; l++) {
			if (!((l, i) in TREE))
				continue
			t = (TREE[l, i] == "own" && MTIME[i] < since) ? MTIME[i] : epoch
			add("touch -h -d @" t " --", "", q(delta "/" NAME[l] P[i]))
		}
	}
	flush()

	# the removals: an empty file at <removals>/<path> for each topmost base path the build
	# removed (empty files and directories weigh nothing in the layer); the final stage's RUN
	# removes each such path, then the list
	print "mkdir -p -- " q(removals)
	for (i = 1; i <= nbase; i++) {
		p = BASEPATH[i]
		if (p in IDX)
			continue
		REMOVED[p] = 1
		if (parent(p) in REMOVED)
			continue
		print "mkdir -p -- " q(removals parent(p)) " && : > " q(removals p)
		STAMP[++nstamp] = removals p
		for (a = parent(p); a != "/"; a = parent(a))
			STAMP[++nstamp] = removals a
		print "squasher-removed\t" p > summary
		count_removed++
	}
	STAMP[++nstamp] = removals
	# one empty directory per layer, removed with the list: an empty layer right after another
	# makes the classic builder lose the second ("failed to get layer")
	for (l = 1; l <= APP; l++) {
		print "mkdir -p -- " q(delta "/" NAME[l] "/.squasher-layers/" NAME[l])
		STAMP[++nstamp] = delta "/" NAME[l] "/.squasher-layers/" NAME[l]
		STAMP[++nstamp] = delta "/" NAME[l] "/.squasher-layers"
	}
	for (i = 1; i <= nstamp; i++)
		add("chown 0:0 --", "", q(STAMP[i]))
	flush()
	for (i = 1; i <= nstamp; i++)
		add("touch -h -d @" epoch " --", "", q(STAMP[i]))
	flush()
	for (l = 1; l <= APP; l++)
		printf "squasher-delta\t%s\t%d\t%.0f\n", NAME[l], FILES[l], BYTES[l] > summary
	printf "squasher-removals\t%d\n", count_removed > summary
	close(summary)
}
