__sq_copy_file /.squasher/ctx/a.txt /t/w 1 a.txt '' '' '' 1 || exit 1
__sq_copy_file /.squasher/ctx/b.txt /t/w 1 b.txt '' '' '' 1 || exit 1
__sq_copy_file '/.squasher/ctx/space name.txt' /t/w 1 'space name.txt' '' '' '' 1 || exit 1
__sq_copy_file /.squasher/ctx/f1/x.txt /t/w 1 x.txt '' '' '' 1 || exit 1
__sq_copy_file /.squasher/ctx/f2/x.txt /t/w 1 x.txt '' '' '' 1 || exit 1
# context: a.txt
# context: b.txt
# context: space name.txt
# context: f1/x.txt
# context: f2/x.txt
