__sq_gen0=0; [ -e /app/.squasher ] || [ -L /app/.squasher ] || __sq_gen0=1
__sq_gen1=0; [ -e /app/Dockerfile.squashed ] || [ -L /app/Dockerfile.squashed ] || __sq_gen1=1
__sq_gen2=0; [ -e /app/Dockerfile.squashed.dockerignore ] || [ -L /app/Dockerfile.squashed.dockerignore ] || __sq_gen2=1
__sq_copy_dir /.squasher/ctx /app '' '' '' '' 1 || exit 1
[ "$__sq_gen0" = 0 ] || rm -rf -- /app/.squasher
[ "$__sq_gen1" = 0 ] || rm -rf -- /app/Dockerfile.squashed
[ "$__sq_gen2" = 0 ] || rm -rf -- /app/Dockerfile.squashed.dockerignore
# context: .
