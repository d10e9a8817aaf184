# squasher npm: drop the npm, yarn and pnpm caches
rm -rf /root/.npm /root/.local/share/pnpm/store /root/.cache/pnpm /usr/local/share/.cache/yarn /root/.cache/yarn /root/.yarn/berry/cache
