__sq_copy_file /.squasher/ctx/a.txt /t/s 1 link-a '' '' '' 1 || exit 1
__sq_copy_dir /.squasher/ctx/d/sub /t/s '' '' '' '' 1 || exit 1
# context: a.txt
# context: d/sub
