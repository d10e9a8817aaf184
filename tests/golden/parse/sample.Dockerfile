# syntax=docker/dockerfile:1
# check=skip=JSONArgsRecommended
ARG DEBIAN=bookworm-slim
ARG VERSION="1.2.3"

FROM --platform=$BUILDPLATFORM debian:${DEBIAN} AS Build
ENV PATH="/opt/tool/bin:$PATH" \
    LANG=C.UTF-8
# the build tools
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends gcc libc6-dev; \
    rm -rf /var/lib/apt/lists/*
COPY --chmod=0644 <<EOF /etc/tool.conf
name = ${VERSION}
EOF
RUN <<-'SCRIPT' bash
	echo "no $expansion here"
	SCRIPT
WORKDIR /src
COPY ["src dir/", "/src/"]

FROM busybox:latest
LABEL org.opencontainers.image.version=$VERSION maintainer="Jane Doe <jane@example.org>"
COPY --from=build --chown=1000:1000 /src/out /usr/local/bin/tool
ONBUILD RUN echo "child build"
HEALTHCHECK --interval=30s CMD ["tool", "--ping"]
USER 1000
ENTRYPOINT ["tool"]
CMD --help
