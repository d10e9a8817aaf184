__sq_copy_file /.squasher/ctx/a.txt /t/cm 1 a.txt '' '' 0640 1 || exit 1
__sq_copy_dir /.squasher/ctx/d /t/cm '' '' '' 0640 1 || exit 1
# context: a.txt
# context: d
