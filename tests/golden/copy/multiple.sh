__sq_copy_file /.squasher/ctx/a.txt /t/m 1 a.txt '' '' '' 0 || exit 1
__sq_copy_dir /.squasher/ctx/d /t/m '' '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/b.txt /t/m 1 b.txt '' '' '' 0 || exit 1
# context: a.txt
# context: d
# context: b.txt
