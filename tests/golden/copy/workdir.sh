# Dockerfile:2: COPY a.txt d ./rel/
sq_copy_file /.squasher/ctx/a.txt /srv/app/rel 1 a.txt '' '' '' || exit 1
sq_copy_dir /.squasher/ctx/d /srv/app/rel '' '' '' '' || exit 1
# context: a.txt
# context: d
