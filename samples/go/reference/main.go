// Command hello-go prints a greeting and the SHA-256 of its arguments, standard library only.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"strings"
)

func main() {
	sum := sha256.Sum256([]byte(strings.Join(os.Args[1:], " ")))
	fmt.Printf("hello from go (%s, %s/%s) sha256=%x\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, sum[:8])
}
