__sq_chown 1000:1000 buildkit
__sq_untar /.squasher/ctx/pkg.tar /opt '' "$__sq_copy_owner" || exit 1
__sq_linktime /opt/app/ln 1500000000
# context: pkg.tar
