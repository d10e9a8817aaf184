__sq_copy_dir /.squasher/ctx/d /t/i '' '' '' '' 1 || exit 1
__sq_copy_file /.squasher/ctx/a.txt /t/i 1 a.txt '' '' '' 1 || exit 1
__sq_copy_file '/.squasher/ctx/space name.txt' /t/i 1 'space name.txt' '' '' '' 1 || exit 1
# context: d
# context: a.txt
# context: space name.txt
