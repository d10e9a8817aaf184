__sq_copy_file /.squasher/ctx/a.txt /t/a 0 a.txt '' '' '' 1 || exit 1
# context: a.txt
