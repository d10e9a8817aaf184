__sq_write_file 'Welcome, it'"'"'s world
' /etc/motd 0 EOF '' '' '' || exit 1
