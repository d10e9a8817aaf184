# squasher pip: drop the pip cache
rm -rf /root/.cache/pip
