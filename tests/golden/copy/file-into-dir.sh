__sq_copy_file /.squasher/ctx/a.txt /t/dir 1 a.txt '' '' '' 1 || exit 1
# context: a.txt
