__sq_copy_file /.squasher/ctx/a.txt /srv/app/rel 1 a.txt '' '' '' 1 || exit 1
__sq_copy_dir /.squasher/ctx/d /srv/app/rel '' '' '' '' 1 || exit 1
# context: a.txt
# context: d
