__sq_untar /.squasher/ctx/pkg.tar /t/x '' '' || exit 1
__sq_linktime /t/x/app/ln 1500000000
__sq_untar /.squasher/ctx/pkg.tar.gz /t/x gzip '' || exit 1
__sq_linktime /t/x/app/ln 1500000000
__sq_untar /.squasher/ctx/pkg.tar.xz /t/x xz '' || exit 1
__sq_linktime /t/x/app/ln 1500000000
__sq_untar /.squasher/ctx/pkg.tar.bz2 /t/x bzip2 '' || exit 1
__sq_linktime /t/x/app/ln 1500000000
# context: pkg.tar
# context: pkg.tar.gz
# context: pkg.tar.xz
# context: pkg.tar.bz2
# note: ADD pkg.tar.gz: unpacking needs gzip in the image
# note: ADD pkg.tar.xz: unpacking needs xz in the image
# note: ADD pkg.tar.bz2: unpacking needs bzip2 in the image
