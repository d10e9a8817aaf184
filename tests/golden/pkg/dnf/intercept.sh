# squasher dnf: run the protection before the original's own removals
: "${SQUASHER_STATE:?set SQUASHER_STATE to the state directory}"
mkdir -p "$SQUASHER_STATE"
[ -e "$SQUASHER_STATE/marker" ] || touch "$SQUASHER_STATE/marker"
mkdir -p "$SQUASHER_STATE/bin"
cat > "$SQUASHER_STATE/dnf-protect.sh" <<'SQUASHER_PROTECT'
# squasher dnf: keep the packages that files built so far need ($SQUASHER_WHERE)
if command -v rpm >/dev/null 2>&1 && [ -e "$SQUASHER_STATE/marker" ]; then
	squasher_where="${SQUASHER_WHERE:-removal}"
	squasher_tab=$(printf '\t')
	if command -v dnf >/dev/null 2>&1; then squasher_pm=dnf
	elif command -v yum >/dev/null 2>&1; then squasher_pm=yum
	elif command -v microdnf >/dev/null 2>&1; then squasher_pm=microdnf
	else squasher_pm=
	fi
	if find "$SQUASHER_STATE/marker" -maxdepth 0 -cnewer "$SQUASHER_STATE/marker" >/dev/null 2>&1; then
		squasher_newer=-cnewer
	else
		squasher_newer=-newer
	fi
	{ rpm -qa --qf '[%{FILENAMES}\n]'; cat "$SQUASHER_STATE/wrappers"; } 2>/dev/null \
		| awk '{ print } /^\/(bin|sbin|lib[^\/]*)\// { print "/usr" $0 }' > "$SQUASHER_STATE/owned"
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /lib/apk/db -o -path /var/lib/rpm -o -path /usr/lib/sysimage/rpm -o -path /var/cache -o -path /var/log -o -path "$SQUASHER_STATE" \) -prune \
		-o -type f "$squasher_newer" "$SQUASHER_STATE/marker" \
		\( -perm -100 -o -perm -010 -o -perm -001 -o -name '*.so' -o -name '*.so.*' \) \
		-print 2>/dev/null | LC_ALL=C sort -u > "$SQUASHER_STATE/new"
	awk -v f="$SQUASHER_STATE/owned" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 } !($0 in s)' "$SQUASHER_STATE/new" > "$SQUASHER_STATE/rpm-built"
	: > "$SQUASHER_STATE/rpm-needs"
	while IFS= read -r squasher_f; do
		squasher_magic=$(od -An -tx1 -N4 "$squasher_f" 2>/dev/null | tr -d ' \n')
		case "$squasher_magic" in
		7f454c46)
			ldd "$squasher_f" 2>/dev/null | awk -v f="$squasher_f" '$2 == "=>" && $3 ~ /^\// { print f "\t" $3 }' \
				>> "$SQUASHER_STATE/rpm-needs" || true
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
				printf '%s\t%s\n' "$squasher_f" "$squasher_interp" >> "$SQUASHER_STATE/rpm-needs"
			fi
			;;
		esac
	done < "$SQUASHER_STATE/rpm-built"
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
	done >> "$SQUASHER_STATE/rpm-needs"
	LC_ALL=C sort -t "$squasher_tab" -k2,2 -k1,1 "$SQUASHER_STATE/rpm-needs" \
		| awk -F '\t' '!seen[$2]++' \
		| while IFS="$squasher_tab" read -r squasher_f squasher_lib; do
		squasher_real=$(readlink -f "$squasher_lib" 2>/dev/null || echo "$squasher_lib")
		rpm -qf --qf '%{NAME}\n' "$squasher_lib" "$squasher_real" 2>/dev/null \
			| grep -v ' ' | LC_ALL=C sort -u | while IFS= read -r squasher_pkg; do
			printf '%s\t%s\t%s\n' "$squasher_pkg" "$squasher_f" "$squasher_lib"
		done
	done > "$SQUASHER_STATE/rpm-protect-new"
	LC_ALL=C sort -t "$squasher_tab" -k1,1 -k2,2 "$SQUASHER_STATE/rpm-protect-new" \
		| awk -F '\t' -v w="$squasher_where" '!seen[$1]++ { print "squasher-protect\tdnf\t" $1 "\t" $2 "\t" $3 "\t" w }'
	cut -f 1 "$SQUASHER_STATE/rpm-protect-new" | LC_ALL=C sort -u -o "$SQUASHER_STATE/rpm-protected" "$SQUASHER_STATE/rpm-protected" -
	if [ -s "$SQUASHER_STATE/rpm-protected" ]; then
		case "$squasher_pm" in
		dnf) xargs dnf -q mark install < "$SQUASHER_STATE/rpm-protected" > /dev/null 2>&1 || xargs dnf -q mark user < "$SQUASHER_STATE/rpm-protected" > /dev/null 2>&1 || true ;;
		esac
	fi
fi
SQUASHER_PROTECT
for squasher_tool in dnf yum microdnf; do
	squasher_real=$(command -v "$squasher_tool" 2>/dev/null) || continue
	case "$squasher_real" in /*) ;; *) continue ;; esac
	printf '#!/bin/sh\nSQUASHER_STATE=%s\nexport SQUASHER_STATE\n' "$SQUASHER_STATE" > "$SQUASHER_STATE/bin/$squasher_tool"
	cat >> "$SQUASHER_STATE/bin/$squasher_tool" <<-'SQUASHER_WRAPPER'
	# the step being run, when build.sh wrote it (steps get no extra environment)
	if [ -z "${SQUASHER_WHERE:-}" ] && [ -r "$SQUASHER_STATE/where" ]; then
		SQUASHER_WHERE=$(cat "$SQUASHER_STATE/where")
		export SQUASHER_WHERE
	fi
	# squasher: protect what the build needs before dnf removes anything
	if [ -z "${SQUASHER_PROTECTING:-}" ] && [ -e "$SQUASHER_STATE/marker" ]; then
		case " $* " in
		*" remove "* | *" erase "* | *" autoremove "* | *" rm "*) sh "$SQUASHER_STATE/dnf-protect.sh" "${0##*/}" "$@" || exit ;;
		esac
	fi
	SQUASHER_PROTECTING=1
	export SQUASHER_PROTECTING
	SQUASHER_WRAPPER
	printf 'exec %s "$@"\n' "$squasher_real" >> "$SQUASHER_STATE/bin/$squasher_tool"
	chmod 755 "$SQUASHER_STATE/bin/$squasher_tool"
done
