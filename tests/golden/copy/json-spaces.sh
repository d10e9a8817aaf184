# Dockerfile:2: COPY ["space name.txt", "quote'name", "/t/j k/"]
sq_copy_file '/.squasher/ctx/space name.txt' '/t/j k' 1 'space name.txt' '' '' '' 0 || exit 1
sq_copy_file '/.squasher/ctx/quote'"'"'name' '/t/j k' 1 'quote'"'"'name' '' '' '' 0 || exit 1
# context: space name.txt
# context: quote'name
