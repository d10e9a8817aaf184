#!/usr/bin/env bash
# Shared setup for scripts/test and scripts/demo. Source it (from the repository root) or run it.
# On a fresh machine as root it installs what is missing, then:
#   - system packages: docker.io, curl, python3 venv/pip (+ debootstrap and busybox-static only
#     when the base images must be made); for the tests also shellcheck, git, docker-registry,
#     chromium, podman, skopeo and openssh-server
#   - a virtualenv at .venv (sees the system site-packages, so pre-installed tools are reused)
#     with `pip install -e .` (demo) or `pip install -e '.[test]'` (tests), skipped when
#     pyproject.toml did not change
#   - a Docker engine (scripts/engine.sh) and the base images (scripts/base-images.sh)
# Afterwards DOCKER_HOST is exported, .venv/bin is first on PATH and $SQUASHER_PY is the
# virtualenv's python.
#
# squasher_setup [demo|test]   what to set up for (default test)
# SQUASHER_PYTHON   interpreter used to create .venv (default python3)
# SQUASHER_VENV     virtualenv directory (default .venv)
# SQUASHER_SETUP_LOG  with `demo`: where the installers' output goes (default a temporary file);
#                     one line per phase is printed, the log's tail only when a phase fails

squasher_log() { printf '==> %s\n' "$*" >&2; }
squasher_die() {
	printf 'error: %s\n' "$*" >&2
	if [[ -n "${SQUASHER_SETUP_LOG:-}" && -s "$SQUASHER_SETUP_LOG" ]]; then
		printf 'last lines of %s:\n' "$SQUASHER_SETUP_LOG" >&2
		tail -n 20 "$SQUASHER_SETUP_LOG" >&2
	fi
	exit 1
}

# Run a setup command with its output in $SQUASHER_SETUP_LOG when one is set (demo), else on stderr.
squasher_quiet() {
	if [[ -n "${SQUASHER_SETUP_LOG:-}" ]]; then
		"$@" >>"$SQUASHER_SETUP_LOG" 2>&1
	else
		"$@" >&2
	fi
}

squasher_apt_install() {
	(($# > 0)) || return 0
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
		squasher_die "missing system packages: $*; install them (needs root and apt-get)"
	fi
	squasher_log "installing system packages: $*"
	export DEBIAN_FRONTEND=noninteractive
	if [[ -z "${_squasher_apt_updated:-}" ]]; then
		squasher_quiet apt-get update -qq || squasher_die "apt-get update failed"
		_squasher_apt_updated=1
	fi
	squasher_quiet apt-get install -y -qq --no-install-recommends "$@" ||
		squasher_die "apt-get install $* failed"
}

squasher_busybox_is_static() {
	local bb
	for bb in /bin/busybox /usr/bin/busybox; do
		if [[ -x "$bb" ]] && ! ldd "$bb" >/dev/null 2>&1; then
			return 0
		fi
	done
	return 1
}

squasher_setup() {
	local purpose="${1:-test}"
	local py="${SQUASHER_PYTHON:-python3}"
	local venv="${SQUASHER_VENV:-.venv}"
	local extra='[test]'
	local -a pkgs=()
	if [[ "$purpose" == demo ]]; then
		extra=''
		: "${SQUASHER_SETUP_LOG:=$(mktemp "${TMPDIR:-/tmp}/squasher-setup.XXXXXX.log")}"
		export SQUASHER_SETUP_LOG
	fi
	command -v dockerd >/dev/null || pkgs+=(docker.io)
	command -v curl >/dev/null || pkgs+=(curl ca-certificates)
	if [[ "$purpose" == test ]]; then
		command -v shellcheck >/dev/null || pkgs+=(shellcheck)
		command -v git >/dev/null || pkgs+=(git)
		# a loopback registry for `diff-size --tag` pushes, a browser for the HTML report
		command -v docker-registry >/dev/null || pkgs+=(docker-registry)
		command -v chromium >/dev/null || pkgs+=(chromium)
		# a second engine for the podman tests (they start their own service), skopeo for OCI archives
		command -v podman >/dev/null || pkgs+=(podman)
		command -v skopeo >/dev/null || pkgs+=(skopeo)
		# a loopback sshd for the ssh:// engine test
		command -v sshd >/dev/null || [[ -x /usr/sbin/sshd ]] || pkgs+=(openssh-server openssh-client)
	fi
	if ! command -v "$py" >/dev/null; then
		pkgs+=(python3 python3-venv python3-pip)
		py=python3
	elif ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
		pkgs+=(python3-venv python3-pip)
	fi
	squasher_apt_install "${pkgs[@]}"

	# ---- python environment
	if [[ ! -x "$venv/bin/python" ]]; then
		squasher_log "creating virtualenv $venv"
		"$py" -m venv --system-site-packages "$venv" || squasher_die "cannot create $venv"
	fi
	SQUASHER_PY="$PWD/$venv/bin/python"
	export SQUASHER_PY
	# The stamp records what was installed: a test install also serves the demo, not the reverse.
	local stamp="$venv/.squasher-install" key have
	key="$(sha256sum pyproject.toml | cut -d' ' -f1) $PWD"
	have="$(cat "$stamp" 2>/dev/null || true)"
	if [[ "$have" != "$key [test]" && ("$extra" == '[test]' || "$have" != "$key ") ]] ||
		! "$SQUASHER_PY" -c 'import squasher' 2>/dev/null; then
		squasher_log "pip install -e '.$extra'"
		squasher_quiet "$SQUASHER_PY" -m pip install -q -e ".$extra" ||
			squasher_die "pip install -e '.$extra' failed"
		printf '%s %s' "$key" "$extra" >"$stamp"
	fi
	export PATH="$PWD/$venv/bin:$PATH"

	# ---- engine and base images
	local env_line
	if [[ -n "${SQUASHER_SETUP_LOG:-}" ]]; then
		squasher_log "Docker engine"
		env_line="$(scripts/engine.sh 2>>"$SQUASHER_SETUP_LOG")" || squasher_die "no Docker engine"
	else
		env_line="$(scripts/engine.sh)" || squasher_die "no Docker engine (see above)"
	fi
	eval "$env_line"
	export DOCKER_HOST
	local missing=0 ref
	# the suite's own base images (tests/conftest.py) and the official names the samples use
	for ref in squasher-test/debian:bookworm-slim squasher-test/debian:bookworm \
		squasher-test/busybox:latest debian:bookworm-slim debian:bookworm busybox:latest; do
		"$SQUASHER_PY" -c 'import sys, docker; docker.from_env().images.get(sys.argv[1])' \
			"$ref" 2>/dev/null || missing=1
	done
	if ((missing)); then
		pkgs=()
		command -v debootstrap >/dev/null || pkgs+=(debootstrap)
		squasher_busybox_is_static || pkgs+=(busybox-static)
		command -v docker >/dev/null || pkgs+=(docker.io)
		squasher_apt_install "${pkgs[@]}"
		squasher_log "base images (debootstrap; a few minutes, once)"
		squasher_quiet scripts/base-images.sh || squasher_die "cannot create the base images"
	fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -euo pipefail
	cd "$(dirname "${BASH_SOURCE[0]}")/.."
	squasher_setup test
	printf 'export DOCKER_HOST=%q\n' "$DOCKER_HOST"
fi
