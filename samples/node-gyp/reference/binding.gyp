{
  "targets": [
    {
      "target_name": "fib",
      "sources": ["src/fib.cc"]
    }
  ]
}
