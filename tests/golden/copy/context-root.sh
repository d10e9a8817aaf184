# Dockerfile:2: COPY . /app/
sq_gen0=0; [ -e /app/.squasher ] || [ -L /app/.squasher ] || sq_gen0=1
sq_gen1=0; [ -e /app/Dockerfile.squashed ] || [ -L /app/Dockerfile.squashed ] || sq_gen1=1
sq_gen2=0; [ -e /app/Dockerfile.squashed.dockerignore ] || [ -L /app/Dockerfile.squashed.dockerignore ] || sq_gen2=1
sq_copy_dir /.squasher/ctx /app '' '' '' '' 1 || exit 1
[ "$sq_gen0" = 0 ] || rm -rf -- /app/.squasher
[ "$sq_gen1" = 0 ] || rm -rf -- /app/Dockerfile.squashed
[ "$sq_gen2" = 0 ] || rm -rf -- /app/Dockerfile.squashed.dockerignore
# context: .
