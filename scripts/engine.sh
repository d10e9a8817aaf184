#!/usr/bin/env bash
# Make a Docker engine available and print `export DOCKER_HOST=...` for it on stdout.
# Idempotent and quick when an engine already answers:
#   1. $DOCKER_HOST (when set) or the default socket /var/run/docker.sock answers -> use it
#   2. our private engine on $SQUASHER_ENGINE_SOCK answers -> use it
#   3. otherwise install Debian's docker.io when dockerd is missing and start dockerd on the
#      private socket (data root, exec root, pidfile and log of its own, overlay2), wait for it.
# Usage: eval "$(scripts/engine.sh)"
#
# Overrides (to start a second engine without touching the shared one):
#   SQUASHER_ENGINE_SOCK       socket path       (default /run/squasher-engine/docker.sock)
#   SQUASHER_ENGINE_RUN        run dir: exec-root, pidfile, log (default: the socket's directory)
#   SQUASHER_ENGINE_DATA       data root         (default /var/lib/squasher-engine)
#   SQUASHER_ENGINE_TIMEOUT    seconds to wait for dockerd (default 60)
#   SQUASHER_ENGINE_PRIVATE=1  skip step 1 (ignore DOCKER_HOST and the default socket)
#   SQUASHER_ENGINE_ARGS       extra dockerd arguments. A second engine next to a running one needs
#                              a bridge of its own ("--bridge=BR --iptables=false", BR made with
#                              `ip link add BR type bridge`); never --bridge=none, with which
#                              dockerd deletes docker0 and cuts the first engine's containers off
set -euo pipefail

sock="${SQUASHER_ENGINE_SOCK:-/run/squasher-engine/docker.sock}"
rundir="${SQUASHER_ENGINE_RUN:-$(dirname "$sock")}"
dataroot="${SQUASHER_ENGINE_DATA:-/var/lib/squasher-engine}"
timeout_s="${SQUASHER_ENGINE_TIMEOUT:-60}"

log() { printf 'engine: %s\n' "$*" >&2; }
die() {
	printf 'engine: error: %s\n' "$*" >&2
	exit 1
}

# Does an engine answer at this DOCKER_HOST? Uses the API directly (curl on unix sockets) when
# possible so that it works without a docker CLI; falls back to the CLI for tcp/ssh hosts.
answers() {
	local host="$1"
	case "$host" in
	unix://*)
		local path="${host#unix://}"
		[[ -S "$path" ]] || return 1
		if command -v curl >/dev/null; then
			[[ "$(curl -s --max-time 5 --unix-socket "$path" http://localhost/_ping 2>/dev/null)" == OK ]]
		else
			DOCKER_HOST="$host" timeout 10 docker version >/dev/null 2>&1
		fi
		;;
	*)
		command -v docker >/dev/null || return 1
		DOCKER_HOST="$host" timeout 10 docker version >/dev/null 2>&1
		;;
	esac
}

# Our private engine runs in this network namespace; if its bridge (docker0) was deleted under it
# (a second dockerd started with --bridge=none does that) every container start fails with
# "could not find bridge docker0". Recreate the bridge with the engine's own gateway address.
repair_bridge() {
	local path="$1" spec name addr
	[[ $(id -u) -eq 0 ]] || return 0
	command -v ip >/dev/null && command -v curl >/dev/null && command -v python3 >/dev/null || return 0
	spec="$(curl -s --max-time 5 --unix-socket "$path" http://localhost/networks/bridge |
		python3 -c '
import json, sys
net = json.load(sys.stdin)
name = (net.get("Options") or {}).get("com.docker.network.bridge.name", "")
config = ((net.get("IPAM") or {}).get("Config") or [{}])[0]
subnet, gateway = config.get("Subnet", ""), config.get("Gateway", "")
if name and subnet and gateway:
    print(name, gateway + "/" + subnet.split("/")[1])
' 2>/dev/null)" || return 0
	[[ -n "$spec" ]] || return 0
	read -r name addr <<<"$spec"
	ip link show "$name" >/dev/null 2>&1 && return 0
	log "the engine's bridge $name is gone (deleted by a dockerd started with --bridge=none?); recreating it with $addr"
	if ! { ip link add "$name" type bridge && ip addr add "$addr" dev "$name" && ip link set "$name" up; }; then
		log "could not recreate $name; containers of this engine have no network"
	fi
}

emit() {
	log "using engine at $1"
	printf 'export DOCKER_HOST=%q\n' "$1"
	exit 0
}

if [[ "${SQUASHER_ENGINE_PRIVATE:-0}" != 1 ]]; then
	if [[ -n "${DOCKER_HOST:-}" ]]; then
		answers "$DOCKER_HOST" && emit "$DOCKER_HOST"
		log "DOCKER_HOST=$DOCKER_HOST does not answer; trying others"
	fi
	answers unix:///var/run/docker.sock && emit unix:///var/run/docker.sock
fi
if answers "unix://$sock"; then
	repair_bridge "$sock"
	emit "unix://$sock"
fi

# ---- cold path: start our own dockerd --------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "no Docker engine answers and starting one needs root; run as root or set DOCKER_HOST"

if ! command -v dockerd >/dev/null; then
	log "dockerd missing: installing Debian's docker.io"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends docker.io >&2 || die "apt-get install docker.io failed"
fi

mkdir -p "$rundir" "$rundir/exec" "$dataroot"
pidfile="$rundir/dockerd.pid"
logfile="$rundir/dockerd.log"

# a stale pidfile of a dead dockerd blocks the start
if [[ -f "$pidfile" ]]; then
	oldpid="$(cat "$pidfile" 2>/dev/null || true)"
	if [[ -n "$oldpid" ]] && kill -0 "$oldpid" 2>/dev/null; then
		log "dockerd pid $oldpid is running but $sock does not answer yet; waiting for it"
	else
		rm -f "$pidfile"
	fi
fi

if [[ ! -f "$pidfile" ]]; then
	rm -f "$sock"
	log "starting dockerd on unix://$sock (data root $dataroot, log $logfile)"
	read -r -a extra_args <<<"${SQUASHER_ENGINE_ARGS:-}"
	# the daemon must outlive this script: own session, stdin closed, output to its log
	setsid dockerd \
		--host "unix://$sock" \
		--data-root "$dataroot" \
		--exec-root "$rundir/exec" \
		--pidfile "$pidfile" \
		--storage-driver overlay2 \
		"${extra_args[@]}" \
		</dev/null >>"$logfile" 2>&1 &
	disown || true
fi

deadline=$((SECONDS + timeout_s))
while ((SECONDS < deadline)); do
	answers "unix://$sock" && emit "unix://$sock"
	sleep 0.5
done
log "dockerd did not answer on unix://$sock within ${timeout_s}s; last lines of $logfile:"
tail -n 25 "$logfile" >&2 || true
die "no Docker engine available"
