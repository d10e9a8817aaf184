__sq_copy_file /.squasher/ctx/fake.tar.gz /t/n 1 fake.tar.gz '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/text.gz /t/n 1 text.gz '' '' '' 0 || exit 1
__sq_copy_file /.squasher/ctx/empty /t/n 1 empty '' '' '' 0 || exit 1
# context: fake.tar.gz
# context: text.gz
# context: empty
