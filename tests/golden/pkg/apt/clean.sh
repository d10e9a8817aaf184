# squasher apt: drop the package cache and lists
if command -v apt-get >/dev/null 2>&1; then
	apt-get clean
	rm -rf /var/lib/apt/lists/*
fi
