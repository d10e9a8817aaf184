package main

// Local test oracle only: prints the official AST dump, or ERR <lines> <message>,
// plus each node's line span and heredocs as JSON on the last line.
import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"bkoracle/parser"
	"bkoracle/shell"
)

type hd struct {
	Name    string
	Fd      uint
	Expand  bool
	Chomp   bool
	Content string
}
type info struct {
	Start, End int
	Heredocs   []hd
	JSON       bool
}

type envs map[string]string

func (e envs) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }
func (e envs) Keys() []string            { return nil }

func main() {
	if os.Args[1] == "words" {
		// words ESC MODE WORD: MODE=word|words ; env from argv pairs
		env := envs{}
		for i := 5; i+1 < len(os.Args); i += 2 {
			env[os.Args[i]] = os.Args[i+1]
		}
		l := shell.NewLex(rune(os.Args[2][0]))
		var out any
		var err error
		if os.Args[3] == "word" {
			var s string
			s, _, err = l.ProcessWord(os.Args[4], env)
			out = s
		} else {
			out, err = l.ProcessWords(os.Args[4], env)
		}
		if err != nil {
			fmt.Println("ERR")
			return
		}
		b, _ := json.Marshal(out)
		fmt.Println(string(b))
		return
	}
	f, _ := os.Open(os.Args[1])
	res, err := parser.Parse(f)
	if err != nil {
		var le *parser.LocationError
		line := -1
		if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
			line = le.Locations[0][0].Start.Line
		}
		fmt.Printf("ERR %d %s\n", line, err.Error())
		return
	}
	fmt.Println(res.AST.Dump())
	var infos []info
	for _, c := range res.AST.Children {
		i := info{Start: c.StartLine, End: c.EndLine, JSON: c.Attributes["json"]}
		for _, h := range c.Heredocs {
			i.Heredocs = append(i.Heredocs, hd{h.Name, h.FileDescriptor, h.Expand, h.Chomp, h.Content})
		}
		infos = append(infos, i)
	}
	b, _ := json.Marshal(infos)
	fmt.Println("INFO " + string(b))
}
