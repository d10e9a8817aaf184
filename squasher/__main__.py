from squasher.cli import main

main()
