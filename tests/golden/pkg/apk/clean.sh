# squasher apk: drop the package cache
rm -rf /var/cache/apk/*
