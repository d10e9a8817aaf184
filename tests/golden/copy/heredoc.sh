__sq_write_file 'echo hello world
' /t/h 1 EOF '' '' 0755 || exit 1
# shellcheck disable=SC2016
__sq_write_file 'echo $X
' /t/h 1 LIT '' '' 0755 || exit 1
