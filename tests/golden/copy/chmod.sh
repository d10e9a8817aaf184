# Dockerfile:2: COPY --chmod=640 a.txt d /t/cm/
sq_copy_file /.squasher/ctx/a.txt /t/cm 1 a.txt '' '' 0640 1 || exit 1
sq_copy_dir /.squasher/ctx/d /t/cm '' '' '' 0640 1 || exit 1
# context: a.txt
# context: d
