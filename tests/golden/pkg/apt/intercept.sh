# squasher apt: run the protection before the original's own removals
: "${SQUASHER_STATE:?set SQUASHER_STATE to the state directory}"
mkdir -p "$SQUASHER_STATE"
[ -e "$SQUASHER_STATE/marker" ] || touch "$SQUASHER_STATE/marker"
mkdir -p "$SQUASHER_STATE/bin"
cat > "$SQUASHER_STATE/apt-protect.sh" <<'SQUASHER_PROTECT'
rm -f "$SQUASHER_STATE/apt-would"
if [ "$#" -gt 1 ]; then
	squasher_tool=$1
	shift
	case "$squasher_tool" in
	dpkg) printf '%s\n' "$@" | grep -v '^-' | sed 's/:.*//' | LC_ALL=C sort -u > "$SQUASHER_STATE/apt-would" ;;
	*)
		squasher_no_lists=1
		for squasher_a in "$@"; do
			case "$squasher_a" in
			install | reinstall | upgrade | dist-upgrade | full-upgrade | build-dep | satisfy | source | *+) squasher_no_lists= ;;
			esac
		done
		if squasher_sim=$({ [ -n "$squasher_no_lists" ] && SQUASHER_PROTECTING=1 "$squasher_tool" -o Dir::State::Lists="$SQUASHER_STATE/apt-no-lists" -s "$@" 2>/dev/null; } || SQUASHER_PROTECTING=1 "$squasher_tool" -s "$@" 2>/dev/null); then
			printf '%s\n' "$squasher_sim" | awk '$1 == "Purg" || $1 == "Remv" { n = $2; sub(/:.*/, "", n); print n }' | LC_ALL=C sort -u > "$SQUASHER_STATE/apt-would"
		fi
		;;
	esac
fi
# squasher apt: keep the packages that files built so far need ($SQUASHER_WHERE)
if command -v dpkg-query >/dev/null 2>&1 && [ -e "$SQUASHER_STATE/marker" ]; then
	squasher_where="${SQUASHER_WHERE:-removal}"
	squasher_tab=$(printf '\t')
	if find "$SQUASHER_STATE/marker" -maxdepth 0 -cnewer "$SQUASHER_STATE/marker" >/dev/null 2>&1; then
		squasher_newer=-cnewer
	else
		squasher_newer=-newer
	fi
	{ cat /var/lib/dpkg/info/*.list; cat "$SQUASHER_STATE/wrappers"; } 2>/dev/null \
		| awk '{ print } /^\/(bin|sbin|lib[^\/]*)\// { print "/usr" $0 }' > "$SQUASHER_STATE/owned"
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /lib/apk/db -o -path /var/lib/rpm -o -path /usr/lib/sysimage/rpm -o -path /var/cache -o -path /var/log -o -path "$SQUASHER_STATE" \) -prune \
		-o -type f "$squasher_newer" "$SQUASHER_STATE/marker" \
		\( -perm -100 -o -perm -010 -o -perm -001 -o -name '*.so' -o -name '*.so.*' \) \
		-print 2>/dev/null | LC_ALL=C sort -u > "$SQUASHER_STATE/new"
	awk -v f="$SQUASHER_STATE/owned" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 } !($0 in s)' "$SQUASHER_STATE/new" > "$SQUASHER_STATE/apt-built"
	: > "$SQUASHER_STATE/apt-needs"
	while IFS= read -r squasher_f; do
		squasher_magic=$(od -An -tx1 -N4 "$squasher_f" 2>/dev/null | tr -d ' \n')
		case "$squasher_magic" in
		7f454c46)
			ldd "$squasher_f" 2>/dev/null | awk -v f="$squasher_f" '$2 == "=>" && $3 ~ /^\// { print f "\t" $3 }' \
				>> "$SQUASHER_STATE/apt-needs" || true
			;;
		2321*)
			squasher_interp=$(head -n 1 "$squasher_f" | awk '{ sub(/^#![ \t]*/, ""); if ($1 ~ /(^|\/)env$/) { for (i = 2; i <= NF; i++) if ($i !~ /^-/ && $i !~ /=/) { print $i; exit } } else print $1; exit }')
			case "$squasher_interp" in
			/*) ;;
			?*)
				squasher_found=
				squasher_ifs=$IFS
				IFS=:
				for squasher_dir in $PATH; do
					if [ -x "$squasher_dir/$squasher_interp" ]; then
						squasher_found="$squasher_dir/$squasher_interp"
						break
					fi
				done
				IFS=$squasher_ifs
				squasher_interp=$squasher_found
				;;
			esac
			[ -z "$squasher_interp" ] || [ -e "$squasher_interp" ] || squasher_interp=
			if [ -n "$squasher_interp" ]; then
				printf '%s\t%s\n' "$squasher_f" "$squasher_interp" >> "$SQUASHER_STATE/apt-needs"
			fi
			;;
		esac
	done < "$SQUASHER_STATE/apt-built"
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /lib/apk/db -o -path /var/lib/rpm -o -path /usr/lib/sysimage/rpm -o -path /var/cache -o -path /var/log -o -path "$SQUASHER_STATE" \) -prune \
		-o -type f -name '*.py' "$squasher_newer" "$SQUASHER_STATE/marker" -print 2>/dev/null \
		| awk -v f="$SQUASHER_STATE/owned" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 } !($0 in s)' - \
		| awk -v f="$SQUASHER_STATE/python-build-scripts" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 } { n = $0; sub(/.*\//, "", n) } !(n in s)' \
		| tr '\n' '\0' | xargs -0 -r grep -HoE '^[[:space:]]*(import|from)[[:space:]]+(pkg_resources|setuptools|distutils)([.[:space:],]|$)' 2>/dev/null \
		| awk '{ f = $0; sub(/:[^:]*$/, "", f); m = $NF; sub(/[.,[:space:]].*/, "", m); if (!seen[m]++) print f "\t" m }' \
		| while IFS="$squasher_tab" read -r squasher_f squasher_mod; do
		for squasher_d in /usr/local/lib/python3*/dist-packages /usr/local/lib/python3*/site-packages /usr/lib/python3/dist-packages /usr/lib/python3.* /usr/lib64/python3*/site-packages /usr/lib/python3*/site-packages; do
			[ -e "$squasher_d/$squasher_mod/__init__.py" ] || continue
			case "$squasher_d" in
			/usr/local/*) ;;
			*) printf '%s\t%s\n' "$squasher_f" "$squasher_d/$squasher_mod/__init__.py" ;;
			esac
			break
		done
	done >> "$SQUASHER_STATE/apt-needs"
	LC_ALL=C sort -t "$squasher_tab" -k2,2 -k1,1 "$SQUASHER_STATE/apt-needs" \
		| awk -F '\t' '!seen[$2]++' \
		| while IFS="$squasher_tab" read -r squasher_f squasher_lib; do
		squasher_real=$(readlink -f "$squasher_lib" 2>/dev/null || echo "$squasher_lib")
		printf '%s\t%s\t%s\n' "$squasher_f" "$squasher_lib" "$squasher_real"
	done > "$SQUASHER_STATE/apt-needed"
	printf '%s\n' /var/lib/dpkg/info/*.list \
		| awk -v needed="$SQUASHER_STATE/apt-needed" 'function twin(p) { if (p ~ /^\/usr\/(s?bin\/|lib)/) return substr(p, 5); if (p ~ /^\/(s?bin\/|lib)/) return "/usr" p; return p } { pkg = $0; sub(/^.*\//, "", pkg); sub(/\.list$/, "", pkg); while ((getline l < $0) > 0) owners[l] = (l in owners) ? owners[l] " " pkg : pkg; close($0) } END { FS = "\t"; while ((getline line < needed) > 0) { split(line, v, FS); n = split(v[2] FS twin(v[2]) FS v[3] FS twin(v[3]), try, FS); hit = ""; for (i = 1; i <= n && hit == ""; i++) if (try[i] in owners) hit = owners[try[i]]; k = split(hit, o, " "); for (i = 1; i <= k; i++) print o[i] "\t" v[1] "\t" v[2] } }' \
		| while IFS="$squasher_tab" read -r squasher_pkg squasher_f squasher_lib; do
		squasher_base="${squasher_pkg%%:*}"
		case "$squasher_base" in
		*-minimal)
			if dpkg-query -W -f='${db:Status-Status}\n' "${squasher_base%-minimal}" 2>/dev/null | grep -qx installed; then
				printf '%s\t%s\t%s\n' "${squasher_base%-minimal}" "$squasher_f" "$squasher_lib"
			fi
			;;
		esac
		printf '%s\t%s\t%s\n' "$squasher_pkg" "$squasher_f" "$squasher_lib"
	done > "$SQUASHER_STATE/apt-protect-new"
	if [ -e "$SQUASHER_STATE/apt-would" ]; then
		awk -F '\t' -v would="$SQUASHER_STATE/apt-would" 'BEGIN { while ((getline d < would) > 0) take[d] = 1 } { name = $1; sub(/:.*/, "", name) } take[name]' "$SQUASHER_STATE/apt-protect-new" > "$SQUASHER_STATE/apt-protect-taken"
		mv "$SQUASHER_STATE/apt-protect-taken" "$SQUASHER_STATE/apt-protect-new"
	fi
	cut -f 1 "$SQUASHER_STATE/apt-protect-new" | LC_ALL=C sort -u > "$SQUASHER_STATE/apt-protect-pkgs"
	xargs -r dpkg-query -W -f="\${Depends}, \${Pre-Depends}\n" < "$SQUASHER_STATE/apt-protect-pkgs" 2>/dev/null \
		| tr '|' ',' | tr ',' '\n' | sed -e 's/(.*//' -e 's/[[:space:]]//g' -e 's/:any$//' \
		| LC_ALL=C sort -u > "$SQUASHER_STATE/apt-protect-deps"
	LC_ALL=C sort -t "$squasher_tab" -k1,1 -k2,2 "$SQUASHER_STATE/apt-protect-new" \
		| awk -F '\t' -v w="$squasher_where" -v deps="$SQUASHER_STATE/apt-protect-deps" 'BEGIN { while ((getline d < deps) > 0) dep[d] = 1 } { name = $1; sub(/:.*/, "", name) } !dep[name] && !seen[$1]++ { print "squasher-protect\tapt\t" $1 "\t" $2 "\t" $3 "\t" w }'
	xargs -r apt-mark -o Dir::State::Lists="$SQUASHER_STATE/apt-no-lists" manual < "$SQUASHER_STATE/apt-protect-pkgs" > /dev/null
	LC_ALL=C sort -u -o "$SQUASHER_STATE/apt-protected" "$SQUASHER_STATE/apt-protected" "$SQUASHER_STATE/apt-protect-pkgs"
fi
rm -f "$SQUASHER_STATE/apt-would"
SQUASHER_PROTECT
for squasher_tool in apt-get apt dpkg; do
	squasher_real=$(command -v "$squasher_tool" 2>/dev/null) || continue
	case "$squasher_real" in /*) ;; *) continue ;; esac
	printf '#!/bin/sh\nSQUASHER_STATE=%s\nexport SQUASHER_STATE\n' "$SQUASHER_STATE" > "$SQUASHER_STATE/bin/$squasher_tool"
	cat >> "$SQUASHER_STATE/bin/$squasher_tool" <<-'SQUASHER_WRAPPER'
	# the step being run, when build.sh wrote it (steps get no extra environment)
	if [ -z "${SQUASHER_WHERE:-}" ] && [ -r "$SQUASHER_STATE/where" ]; then
		SQUASHER_WHERE=$(cat "$SQUASHER_STATE/where")
		export SQUASHER_WHERE
	fi
	# squasher: protect what the build needs before apt removes anything
	if [ -z "${SQUASHER_PROTECTING:-}" ] && [ -e "$SQUASHER_STATE/marker" ]; then
		case " $* " in
		*" purge "* | *" remove "* | *" autoremove "* | *" autopurge "* | *" auto-remove "* | *" --auto-remove "* | *" --autoremove "* | *" -P "* | *" --purge "* | *" -r "* | *" --remove "*) sh "$SQUASHER_STATE/apt-protect.sh" "${0##*/}" "$@" || exit ;;
		esac
	fi
	SQUASHER_PROTECTING=1
	export SQUASHER_PROTECTING
	SQUASHER_WRAPPER
	printf 'exec %s "$@"\n' "$squasher_real" >> "$SQUASHER_STATE/bin/$squasher_tool"
	chmod 755 "$SQUASHER_STATE/bin/$squasher_tool"
done
