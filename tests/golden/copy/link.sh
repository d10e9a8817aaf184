__sq_copy_file /.squasher/ctx/a.txt /t/l 1 a.txt '' '' '' 1 || exit 1
# context: a.txt
# note: --link: placed in the script like a plain copy (same files)
