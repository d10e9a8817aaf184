#!/usr/bin/env bash
# Shared setup for scripts/test and scripts/demo. Source it (from the repository root) or run it.
# On a fresh machine as root it installs what is missing, then:
#   - system packages: docker.io, podman, skopeo, curl, python3 venv/pip, shellcheck (+ debootstrap and
#     busybox-static only when the base images must be made)
#   - a virtualenv at .venv (sees the system site-packages, so pre-installed tools are reused)
#     with `pip install -e '.[test]'` (skipped when pyproject.toml did not change)
#   - a Docker engine (scripts/engine.sh) and the base images (scripts/base-images.sh)
# Afterwards DOCKER_HOST is exported, .venv/bin is first on PATH and $SQUASHER_PY is the
# virtualenv's python.
#
# SQUASHER_PYTHON   interpreter used to create .venv (default python3)
# SQUASHER_VENV     virtualenv directory (default .venv)

squasher_log() { printf '==> %s\n' "$*" >&2; }
squasher_die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

squasher_apt_install() {
	(($# > 0)) || return 0
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
		squasher_die "missing system packages: $*; install them (needs root and apt-get)"
	fi
	squasher_log "installing system packages: $*"
	export DEBIAN_FRONTEND=noninteractive
	if [[ -z "${_squasher_apt_updated:-}" ]]; then
		apt-get update -qq >&2 || squasher_die "apt-get update failed"
		_squasher_apt_updated=1
	fi
	apt-get install -y -qq --no-install-recommends "$@" >&2 || squasher_die "apt-get install $* failed"
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
	local py="${SQUASHER_PYTHON:-python3}"
	local venv="${SQUASHER_VENV:-.venv}"
	local -a pkgs=()
	command -v dockerd >/dev/null || pkgs+=(docker.io)
	command -v curl >/dev/null || pkgs+=(curl ca-certificates)
	command -v shellcheck >/dev/null || pkgs+=(shellcheck)
	command -v git >/dev/null || pkgs+=(git)
	# tests: a loopback registry for `diff-size --tag` pushes, a browser for the HTML report
	command -v docker-registry >/dev/null || pkgs+=(docker-registry)
	command -v chromium >/dev/null || pkgs+=(chromium)
	# a second engine for the podman tests (they start their own service), skopeo for OCI archives
	command -v podman >/dev/null || pkgs+=(podman)
	command -v skopeo >/dev/null || pkgs+=(skopeo)
	# a loopback sshd for the ssh:// engine test
	command -v sshd >/dev/null || [[ -x /usr/sbin/sshd ]] || pkgs+=(openssh-server openssh-client)
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
	local stamp="$venv/.squasher-install" key
	key="$(sha256sum pyproject.toml | cut -d' ' -f1) $PWD"
	if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$key" ]] || ! "$SQUASHER_PY" -c 'import squasher' 2>/dev/null; then
		squasher_log "pip install -e '.[test]'"
		"$SQUASHER_PY" -m pip install -q -e '.[test]' >&2 || squasher_die "pip install -e '.[test]' failed"
		printf '%s' "$key" >"$stamp"
	fi
	export PATH="$PWD/$venv/bin:$PATH"

	# ---- engine and base images
	local env_line
	env_line="$(scripts/engine.sh)" || squasher_die "no Docker engine (see above)"
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
		scripts/base-images.sh || squasher_die "cannot create the base images (see above)"
	fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -euo pipefail
	cd "$(dirname "${BASH_SOURCE[0]}")/.."
	squasher_setup
	printf 'export DOCKER_HOST=%q\n' "$DOCKER_HOST"
fi
