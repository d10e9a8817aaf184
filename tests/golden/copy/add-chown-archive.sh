# Dockerfile:2: ADD --chown=1000:1000 pkg.tar /opt/
sq_owner 1000:1000 buildkit Dockerfile:2
sq_untar /.squasher/ctx/pkg.tar /opt '' "$sq_own" Dockerfile:2 || exit 1
sq_linktime /opt/app/ln 1500000000
# context: pkg.tar
