__sq_copy_dir /.squasher/ctx/d /t/d '' '' '' '' 1 || exit 1
# context: d
