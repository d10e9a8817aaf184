# squasher apk: keep the packages that files built so far need (final purge)
if command -v apk >/dev/null 2>&1 && command -v scanelf >/dev/null 2>&1 && [ -e "$SQUASHER_STATE/marker" ]; then
	squasher_where='final purge'
	squasher_tab=$(printf '\t')
	if find "$SQUASHER_STATE/marker" -maxdepth 0 -cnewer "$SQUASHER_STATE/marker" >/dev/null 2>&1; then
		squasher_newer=-cnewer
	else
		squasher_newer=-newer
	fi
	{ awk '/^F:/ { d = substr($0, 3) } /^R:/ { print "/" d "/" substr($0, 3) }' /lib/apk/db/installed; cat "$SQUASHER_STATE/wrappers"; } 2>/dev/null \
		| awk '{ print } /^\/(bin|sbin|lib[^\/]*)\// { print "/usr" $0 }' > "$SQUASHER_STATE/owned"
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /lib/apk/db -o -path /var/lib/rpm -o -path /usr/lib/sysimage/rpm -o -path /var/cache -o -path /var/log -o -path "$SQUASHER_STATE" \) -prune \
		-o -type f "$squasher_newer" "$SQUASHER_STATE/marker" \
		\( -perm -100 -o -perm -010 -o -perm -001 -o -name '*.so' -o -name '*.so.*' \) \
		-print 2>/dev/null | LC_ALL=C sort -u > "$SQUASHER_STATE/new"
	awk -v f="$SQUASHER_STATE/owned" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 } !($0 in s)' "$SQUASHER_STATE/new" > "$SQUASHER_STATE/apk-built"
	: > "$SQUASHER_STATE/apk-needs"
	while IFS= read -r squasher_f; do
		squasher_magic=$(od -An -tx1 -N4 "$squasher_f" 2>/dev/null | tr -d ' \n')
		case "$squasher_magic" in
		7f454c46)
			scanelf --needed --nobanner --format '%n#p' "$squasher_f" 2>/dev/null \
				| tr ',' '\n' | awk -v f="$squasher_f" 'NF { print "so:" $1 "\t" f "\t" $1 }' >> "$SQUASHER_STATE/apk-needs"
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
				printf 'cmd:%s\t%s\t%s\n' "${squasher_interp##*/}" "$squasher_f" "$squasher_interp" >> "$SQUASHER_STATE/apk-needs"
			fi
			;;
		esac
	done < "$SQUASHER_STATE/apk-built"
	sed -e 's#.*/##' "$SQUASHER_STATE/apk-built" | LC_ALL=C sort -u > "$SQUASHER_STATE/apk-built-names"
	LC_ALL=C sort -t "$squasher_tab" -k1,1 -k2,2 "$SQUASHER_STATE/apk-needs" \
		| awk -F '\t' -v built="$SQUASHER_STATE/apk-built-names" 'BEGIN { while ((getline b < built) > 0) own["so:" b] = 1 } !own[$1] && !seen[$1]++' > "$SQUASHER_STATE/apk-protect-new"
	awk -F '\t' -v w="$squasher_where" '{ print "squasher-protect\tapk\t" $1 "\t" $2 "\t" $3 "\t" w }' "$SQUASHER_STATE/apk-protect-new"
	cut -f 1 "$SQUASHER_STATE/apk-protect-new" | LC_ALL=C sort -u -o "$SQUASHER_STATE/apk-protected" "$SQUASHER_STATE/apk-protected" -
	if [ -s "$SQUASHER_STATE/apk-protected" ]; then
		xargs apk add --no-network --virtual .squasher-rundeps < "$SQUASHER_STATE/apk-protected" > /dev/null
	fi
fi
# squasher apk: delete the build-only packages and groups
if command -v apk >/dev/null 2>&1; then
	printf '%s\n' .build-deps gcc libpq-dev make python3-pip > "$SQUASHER_STATE/apk-build-only"
	printf '%s\n' ca-certificates libpq5 > "$SQUASHER_STATE/apk-keep"
	printf '%s\n' git > "$SQUASHER_STATE/apk-force"
	[ -e "$SQUASHER_STATE/apk-world" ] || : > "$SQUASHER_STATE/apk-world"
	sed -e 's/[=<>~@].*//' /etc/apk/world | LC_ALL=C sort -u > "$SQUASHER_STATE/apk-world-now"
	{ cat "$SQUASHER_STATE/apk-keep"; apk info 2>/dev/null | grep -xE 'ca-certificates|ca-certificates-bundle|ca-certificates-java|glibc-all-langpacks|glibc-langpack-.*|iana-etc|locales|locales-all|mailcap|media-types|mime-support|musl-locales|netbase|setup|shared-mime-info|tzdata'; } | LC_ALL=C sort -u | awk -v f="$SQUASHER_STATE/apk-world-now" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 } !($0 in s)' - | while IFS= read -r squasher_p; do
		if apk info -e "$squasher_p" > /dev/null 2>&1; then echo "$squasher_p"; fi
	done > "$SQUASHER_STATE/apk-keep-add"
	if [ -s "$SQUASHER_STATE/apk-keep-add" ]; then
		xargs apk add --no-network --virtual .squasher-keep < "$SQUASHER_STATE/apk-keep-add" > /dev/null
	fi
	{
		awk -v f="$SQUASHER_STATE/apk-world" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 } !($0 in s)' "$SQUASHER_STATE/apk-build-only"
		awk -v f="$SQUASHER_STATE/apk-build-only" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 } $0 in s' "$SQUASHER_STATE/apk-force"
	} | LC_ALL=C sort -u | awk -v f="$SQUASHER_STATE/apk-world-now" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 } $0 in s' - > "$SQUASHER_STATE/apk-del"
	if [ -s "$SQUASHER_STATE/apk-del" ]; then
		xargs apk del --no-network < "$SQUASHER_STATE/apk-del"
	fi
fi
