# squasher apt: --no-recommends: install no recommended packages during the build
if [ -d /etc/apt/apt.conf.d ]; then
	printf 'APT::Install-Recommends "false";\n' > /etc/apt/apt.conf.d/00squasher-no-recommends
fi
rm -f /etc/apt/apt.conf.d/00squasher-no-recommends
