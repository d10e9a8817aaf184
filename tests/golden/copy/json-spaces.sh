__sq_copy_file '/.squasher/ctx/space name.txt' '/t/j k' 1 'space name.txt' '' '' '' 0 || exit 1
__sq_copy_file '/.squasher/ctx/quote'"'"'name' '/t/j k' 1 'quote'"'"'name' '' '' '' 0 || exit 1
# context: space name.txt
# context: quote'name
