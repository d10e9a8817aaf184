__sq_copy_file /.squasher/ctx/a.txt /all 1 a.txt '' '' '' 0 || exit 1
__sq_copy_dir /.squasher/ctx/d/sub /all '' '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/b.txt /all 1 b.txt '' '' '' 0 || exit 1
__sq_copy_dir /.squasher/ctx/d /all '' '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/empty /all 1 empty '' '' '' 0 || exit 1
__sq_copy_dir /.squasher/ctx/f1 /all '' '' '' '' 0 || exit 1
__sq_copy_dir /.squasher/ctx/f2 /all '' '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/fake.tar.gz /all 1 fake.tar.gz '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/a.txt /all 1 link-a '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/pkg.tar /all 1 pkg.tar '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/pkg.tar.bz2 /all 1 pkg.tar.bz2 '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/pkg.tar.gz /all 1 pkg.tar.gz '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/pkg.tar.xz /all 1 pkg.tar.xz '' '' '' 0 || exit 1
__sq_copy_file '/.squasher/ctx/quote'"'"'name' /all 1 'quote'"'"'name' '' '' '' 0 || exit 1
__sq_copy_file '/.squasher/ctx/space name.txt' /all 1 'space name.txt' '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/text.gz /all 1 text.gz '' '' '' 0 || exit 1
# context: a.txt
# context: d/sub
# context: b.txt
# context: d
# context: empty
# context: f1
# context: f2
# context: fake.tar.gz
# context: pkg.tar
# context: pkg.tar.bz2
# context: pkg.tar.gz
# context: pkg.tar.xz
# context: quote'name
# context: space name.txt
# context: text.gz
