# Dockerfile:2: COPY d /t/d
sq_copy_dir /.squasher/ctx/d /t/d '' '' '' '' || exit 1
# context: d
