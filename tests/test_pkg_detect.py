"""Detection of package-manager operations in realistic RUN lines (docker-library style)."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from squasher.pkg import MANAGERS, cleanup_sh, detect_ops
from squasher.pkg.base import PkgOp, sh_quote

REDIS = r"""set -eux; \
	savedAptMark="$(apt-mark showmanual)"; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		ca-certificates \
		wget \
		\
		dpkg-dev \
		gcc \
		libc6-dev \
		libssl-dev \
		make \
	; \
	rm -rf /var/lib/apt/lists/*; \
	wget -O redis.tar.gz "$REDIS_DOWNLOAD_URL"; \
	make -C /usr/src/redis -j "$(nproc)" all; \
	make -C /usr/src/redis install; \
	apt-mark auto '.*' > /dev/null; \
	[ -z "$savedAptMark" ] || apt-mark manual $savedAptMark > /dev/null; \
	find /usr/local -type f -executable -exec ldd '{}' ';' \
		| awk '/=>/ { so = $(NF-1); if (index(so, "/usr/local/") == 1) { next }; gsub("^/(usr/)?", "", so); printf "*%s\n", so }' \
		| sort -u \
		| xargs -r dpkg-query --search \
		| cut -d: -f1 \
		| sort -u \
		| xargs -r apt-mark manual \
	; \
	apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
	redis-cli --version""".replace("\\\n", "")

PYTHON_ALPINE = r"""set -eux; \
	apk add --no-cache --virtual .build-deps \
		gnupg tar xz bluez-dev bzip2-dev dpkg-dev dpkg expat-dev findutils gcc gdbm-dev \
		libc-dev libffi-dev linux-headers make ncurses-dev openssl-dev pax-utils \
		readline-dev sqlite-dev tcl-dev tk tk-dev util-linux-dev xz-dev zlib-dev \
	; \
	./configure --enable-shared; \
	make -j "$nproc"; make install; \
	runDeps="$( \
		scanelf --needed --nobanner --format '%n#p' --recursive /usr/local \
			| tr ',' '\n' \
			| sort -u \
			| awk 'system("[ -e /usr/local/lib/" $1 " ]") == 0 { next } { print "so:" $1 }' \
	)"; \
	apk add --no-network --virtual .python-rundeps $runDeps; \
	apk del --no-network .build-deps""".replace("\\\n", "")

NODE_CASE = r"""ARCH= && dpkgArch="$(dpkg --print-architecture)" \
    && case "${dpkgArch##*-}" in \
      amd64) ARCH='x64';; \
      *) echo "unsupported architecture"; exit 1 ;; \
    esac""".replace("\\\n", "")


def ops_of(script: str, where: str = "Dockerfile:3") -> list[PkgOp]:
    result = detect_ops(script, where)
    assert result.error is None, result.error
    return result.ops


def summary(ops: list[PkgOp]) -> list[tuple[str, str, list[str]]]:
    return [(o.manager, o.action, o.packages) for o in ops]


def test_registry() -> None:
    assert list(MANAGERS) == ["apt", "apk", "dnf", "pip", "npm", "go"]
    assert all(m.name == key for key, m in MANAGERS.items())
    assert {k for k, m in MANAGERS.items() if m.purges} == {"apt", "apk", "dnf"}


def test_redis_official() -> None:
    ops = ops_of(REDIS)
    assert summary(ops) == [
        ("apt", "update", []),
        (
            "apt",
            "install",
            ["ca-certificates", "wget", "dpkg-dev", "gcc", "libc6-dev", "libssl-dev", "make"],
        ),
        ("apt", "clean", []),
        ("apt", "mark", [".*"]),
        ("apt", "mark", []),
        ("apt", "mark", []),
        ("apt", "purge", []),
    ]
    install = ops[1]
    assert install.no_install_recommends and install.where == "Dockerfile:3"
    assert install.tool == "apt-get" and not install.conditional
    clean = ops[2]
    assert clean.tool == "rm" and clean.specs == ["/var/lib/apt/lists"]
    marks = [o for o in ops if o.action == "mark"]
    assert [o.mark for o in marks] == ["auto", "manual", "manual"]
    assert marks[0].packages == [".*"] and marks[0].is_removal
    assert marks[1].unknown_packages and marks[1].conditional
    assert marks[2].unknown_packages  # from xargs
    purge = ops[-1]
    assert purge.action == "purge" and purge.auto_remove and purge.is_removal


def test_python_alpine_official() -> None:
    ops = ops_of(PYTHON_ALPINE)
    assert [(o.action, o.virtual) for o in ops] == [
        ("install", ".build-deps"),
        ("install", ".python-rundeps"),
        ("remove", None),
    ]
    first = ops[0]
    assert first.no_cache and "gcc" in first.packages and len(first.packages) == 26
    assert ops[1].unknown_packages and ops[1].packages == []
    assert ops[2].packages == [".build-deps"]


def test_case_is_unanalysed_with_reason() -> None:
    result = detect_ops(NODE_CASE)
    assert result.ops == [] and result.error is not None
    assert "bashlex" in result.error


def test_apt_variants() -> None:
    ops = ops_of(
        "DEBIAN_FRONTEND=noninteractive apt-get -qq -o APT::Install-Recommends=0 install "
        "gcc=4:12.2.0-3 libpq-dev/bookworm-backports libfoo:amd64 ./local.deb oldpkg- $EXTRA; "
        "apt purge --auto-remove -y gcc; apt-get remove --purge make; apt-get autoremove -y; "
        "apt-get -y autopurge; apt-get clean; apt-get dist-upgrade -y; dpkg -i x.deb; dpkg -P foo"
    )
    assert summary(ops) == [
        ("apt", "install", ["gcc", "libpq-dev", "libfoo:amd64"]),
        ("apt", "remove", ["oldpkg"]),
        ("apt", "purge", ["gcc"]),
        ("apt", "purge", ["make"]),
        ("apt", "autoremove", []),
        ("apt", "autoremove", []),
        ("apt", "clean", []),
        ("apt", "install", []),
        ("apt", "purge", ["foo"]),
    ]
    assert ops[0].no_install_recommends and ops[0].unknown_packages
    assert ops[0].specs == [
        "gcc=4:12.2.0-3",
        "libpq-dev/bookworm-backports",
        "libfoo:amd64",
        "./local.deb",
    ]
    assert ops[2].auto_remove and not ops[3].auto_remove
    assert all(o.is_removal for o in ops[1:6])


def test_apt_removal_keeps_plus_in_names() -> None:
    # g++ is a package: apt reads a trailing "+" as "install instead" only for unknown names
    ops = ops_of("apt-get remove -y npm make g++ && apt-get purge -y libstdc++-12-dev")
    assert summary(ops) == [
        ("apt", "remove", ["npm", "make", "g++"]),
        ("apt", "purge", ["libstdc++-12-dev"]),
    ]


def test_apt_recommends_kept_by_default() -> None:
    (op,) = ops_of("apt-get install -y gcc")
    assert not op.no_install_recommends


def test_conditional_and_wrapped() -> None:
    ops = ops_of(
        'if [ -n "$DEV" ]; then apt-get install -y gdb; fi; '
        "echo gcc make | xargs apt-get install -y; true || apt-get purge -y gcc"
    )
    assert [o.conditional for o in ops] == [True, False, True]
    assert ops[1].unknown_packages


def test_apk_variants() -> None:
    ops = ops_of(
        "apk add -U --virtual=.deps gcc musl-dev python3=3.11.6-r0 'py3-pip>=23' so:libpq.so.5; "
        "apk update; apk del -r .deps; apk cache clean; rm -rf /var/cache/apk/*"
    )
    assert summary(ops) == [
        ("apk", "update", []),
        ("apk", "install", ["gcc", "musl-dev", "python3", "py3-pip", "so:libpq.so.5"]),
        ("apk", "update", []),
        ("apk", "remove", [".deps"]),
        ("apk", "clean", []),
        ("apk", "clean", []),
    ]
    assert ops[1].virtual == ".deps" and not ops[1].no_cache


def test_dnf_yum_microdnf() -> None:
    ops = ops_of(
        "dnf install -y --setopt=install_weak_deps=False --nodocs gcc make postgresql-devel "
        "&& dnf clean all; microdnf install -y python3 && microdnf clean all; "
        "yum -y install gcc-c++ && yum -y remove gcc-c++ && yum clean all && rm -rf /var/cache/yum; "
        "dnf group install -y 'Development Tools'; dnf mark install libpq; dnf autoremove -y"
    )
    assert summary(ops) == [
        ("dnf", "install", ["gcc", "make", "postgresql-devel"]),
        ("dnf", "clean", []),
        ("dnf", "install", ["python3"]),
        ("dnf", "clean", []),
        ("dnf", "install", ["gcc-c++"]),
        ("dnf", "remove", ["gcc-c++"]),
        ("dnf", "clean", []),
        ("dnf", "clean", []),
        ("dnf", "install", ["Development Tools"]),
        ("dnf", "mark", ["libpq"]),
        ("dnf", "autoremove", []),
    ]
    assert ops[0].no_install_recommends and not ops[2].no_install_recommends
    assert [o.tool for o in ops[:5]] == ["dnf", "dnf", "microdnf", "microdnf", "yum"]
    assert ops[5].auto_remove
    assert ops[9].mark == "manual"


def test_pip() -> None:
    ops = ops_of(
        "pip install --no-cache-dir -r requirements.txt; "
        "python3 -m pip install --user 'psycopg2==2.9.9' uwsgi 'Django[argon2]>=4.2,<5'; "
        "PIP_NO_CACHE_DIR=1 pip3.11 install -U pip setuptools wheel -c constraints.txt; "
        "python -u -m pip uninstall -y wheel; pip cache purge; python3 script.py install x; "
        "python -c 'import pip' install; uv pip install ruff; pip install -e . ./pkg git+https://x/y"
    )
    assert summary(ops) == [
        ("pip", "install", []),
        ("pip", "install", ["psycopg2", "uwsgi", "Django"]),
        ("pip", "install", ["pip", "setuptools", "wheel"]),
        ("pip", "remove", ["wheel"]),
        ("pip", "clean", []),
        ("pip", "install", ["ruff"]),
        ("pip", "install", []),
    ]
    assert ops[0].no_cache and ops[0].requirements == ["requirements.txt"]
    assert ops[1].user_level and not ops[1].no_cache
    assert ops[2].no_cache and ops[2].requirements == ["constraints.txt"]
    assert ops[6].specs == ["./pkg", "git+https://x/y", "-e ."]


def test_npm_yarn_pnpm() -> None:
    ops = ops_of(
        "npm ci --omit=dev && npm cache clean --force; npm i -g yarn@1.22.19 @scope/tool@2; "
        "yarn install --frozen-lockfile --production && yarn cache clean; yarn; "
        "yarn global add typescript; pnpm install --frozen-lockfile --prod; pnpm store prune; "
        "npm uninstall left-pad; npm run build; npm --version; rm -rf ~/.npm /root/.cache/yarn"
    )
    assert summary(ops) == [
        ("npm", "install", []),
        ("npm", "clean", []),
        ("npm", "install", ["yarn", "@scope/tool"]),
        ("npm", "install", []),
        ("npm", "clean", []),
        ("npm", "install", []),
        ("npm", "install", ["typescript"]),
        ("npm", "install", []),
        ("npm", "clean", []),
        ("npm", "remove", ["left-pad"]),
        ("npm", "clean", []),
    ]
    assert ops[2].global_ and ops[6].global_ and not ops[0].global_
    assert [o.tool for o in ops[3:9]] == ["yarn", "yarn", "yarn", "yarn", "pnpm", "pnpm"]
    assert ops[-1].specs == ["/root/.npm", "/root/.cache/yarn"]


def test_go_commands_fill_caches() -> None:
    ops = ops_of(
        "go mod download && CGO_ENABLED=0 go build -o /app . && go version; "
        "go clean -cache -modcache; go env GOPATH"
    )
    assert summary(ops) == [("go", "install", []), ("go", "install", []), ("go", "clean", [])]
    cleanup = cleanup_sh(["go"])
    assert "rm -rf /root/.cache/go-build /root/go/pkg/mod /go/pkg/mod\n" in cleanup


def test_removals_helper() -> None:
    result = detect_ops("apt-get install -y gcc && make && apt-get purge -y gcc")
    assert [o.action for o in result.removals()] == ["purge"]
    assert result.managers() == ["apt"]


def test_heredoc_body_with_comments_and_newlines() -> None:
    body = (
        "set -eux\n"
        "# install the tools\n"
        "apt-get update\n"
        "apt-get install -y gcc \\\n"
        "   make  # the build tool\n"
        "\n"
        "pip install --no-cache-dir x\n"
    )
    assert summary(ops_of(body)) == [
        ("apt", "update", []),
        ("apt", "install", ["gcc", "make"]),
        ("pip", "install", ["x"]),
    ]


PACKAGE_NAMES = st.from_regex(r"[a-z0-9][a-z0-9+.\-]{0,20}", fullmatch=True).filter(
    lambda n: not n.endswith("-") and not n.endswith(".deb")
)


@settings(max_examples=150, deadline=None)
@given(st.lists(PACKAGE_NAMES, min_size=1, max_size=8))
def test_apt_install_names_round_trip(names: list[str]) -> None:
    (op,) = ops_of("apt-get install -y --no-install-recommends " + " ".join(names))
    assert op.packages == list(dict.fromkeys(names))
    assert op.no_install_recommends and not op.unknown_packages


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30))
def test_sh_quote_is_one_literal_word(text: str) -> None:
    """What the generated sh quotes reaches the command unchanged (checked by a real shell)."""
    proc = subprocess.run(
        ["sh", "-c", "printf '%s|' " + sh_quote(text)], capture_output=True, check=True
    )
    assert proc.stdout.decode() == text + "|"
