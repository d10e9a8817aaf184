__sq_chown app:grp classic
__sq_copy_dir /.squasher/ctx/d /t/c '' "$__sq_copy_owner" "$__sq_copy_owner" '' 0 || exit 1
__sq_copy_file /.squasher/ctx/a.txt /t/c 1 a.txt "$__sq_copy_owner" "$__sq_copy_owner" '' 0 || exit 1
# context: d
# context: a.txt
