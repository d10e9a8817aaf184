module example.com/squasher/hello-go

go 1.19
