# Dockerfile:2: COPY --chown=app d a.txt /t/c/
sq_owner app buildkit Dockerfile:2
sq_copy_dir /.squasher/ctx/d /t/c "$sq_own" "$sq_own" "$sq_own" '' 1 || exit 1
sq_copy_file /.squasher/ctx/a.txt /t/c 1 a.txt "$sq_own" "$sq_own" '' 1 || exit 1
# context: d
# context: a.txt
