# Dockerfile:2: COPY link-a abs-link-sub /t/s/
sq_copy_file /.squasher/ctx/a.txt /t/s 1 link-a '' '' '' 1 || exit 1
sq_copy_dir /.squasher/ctx/d/sub /t/s '' '' '' '' 1 || exit 1
# context: a.txt
# context: d/sub
