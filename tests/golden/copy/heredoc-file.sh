# Dockerfile:2: COPY <<-EOF /etc/motd
sq_write_file 'Welcome, it'"'"'s world
' /etc/motd 0 EOF '' '' '' || exit 1
