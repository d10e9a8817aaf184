# Dockerfile:2: COPY * /all/
sq_copy_file /.squasher/ctx/a.txt /all 1 a.txt '' '' '' || exit 1
sq_copy_dir /.squasher/ctx/d/sub /all '' '' '' '' || exit 1
sq_copy_file /.squasher/ctx/b.txt /all 1 b.txt '' '' '' || exit 1
sq_copy_dir /.squasher/ctx/d /all '' '' '' '' || exit 1
sq_copy_file /.squasher/ctx/empty /all 1 empty '' '' '' || exit 1
sq_copy_dir /.squasher/ctx/f1 /all '' '' '' '' || exit 1
sq_copy_dir /.squasher/ctx/f2 /all '' '' '' '' || exit 1
sq_copy_file /.squasher/ctx/fake.tar.gz /all 1 fake.tar.gz '' '' '' || exit 1
sq_copy_file /.squasher/ctx/a.txt /all 1 link-a '' '' '' || exit 1
sq_copy_file /.squasher/ctx/pkg.tar /all 1 pkg.tar '' '' '' || exit 1
sq_copy_file /.squasher/ctx/pkg.tar.bz2 /all 1 pkg.tar.bz2 '' '' '' || exit 1
sq_copy_file /.squasher/ctx/pkg.tar.gz /all 1 pkg.tar.gz '' '' '' || exit 1
sq_copy_file /.squasher/ctx/pkg.tar.xz /all 1 pkg.tar.xz '' '' '' || exit 1
sq_copy_file '/.squasher/ctx/quote'"'"'name' /all 1 'quote'"'"'name' '' '' '' || exit 1
sq_copy_file '/.squasher/ctx/space name.txt' /all 1 'space name.txt' '' '' '' || exit 1
sq_copy_file /.squasher/ctx/text.gz /all 1 text.gz '' '' '' || exit 1
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
