// Command logsieve is the logsieve appliance: `serve` runs the engines, the API and
// the dashboard; `loadgen`, `bench` and `bench-query` measure it; `import-fastlogger` imports
// classes from the Python appliance it replaces.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: logsieve <command> [flags]

commands:
  serve [--config FILE] [--data DIR] [--http ADDR] [--log-format text|json] [--nats URLS|embedded --node NAME --role all|ingest|store --advertise URL]
                                                      run the appliance
  loadgen --target HOST:PORT --rate N --count N [--size B] [--gso=BOOL] [--protocol udp|tcp] [--framing octet|lf]
                                                      send paced, varied syslog over UDP or one TCP connection
  bench [--rate N] [--count N] [--engines N] [--keep-original=BOOL] [--gso=BOOL] [--protocol udp|tcp] [--framing octet|lf] [--cpuprofile F] [--heapprofile F] [--idle-s N]
                                                      start a server in a temp dir, load it, print one line
  bench-query [--rows N] [--rate R] [--runs N] [--keep-original=BOOL] [--reuse DIR] [--only NAMES] [--sqlite-cli=BOOL] [--cpuprofile F]
                                                      fill today's file with N rows, time searches under ingest
  import-fastlogger [--data DIR] GLOBAL_CONFIG.JSON   import ENGINE_CLASSES into the metadata DB
  version                                             print the version
  man                                                 print the man page (roff), made from these commands' flags
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "loadgen":
		return loadgenCmd(args[1:], stdout, stderr)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case "bench-query":
		return benchQueryCmd(args[1:], stdout, stderr)
	case "import-fastlogger":
		return importCmd(args[1:], stdout, stderr)
	case "man": // the man page, generated from the flag definitions (make man)
		fmt.Fprint(stdout, manPage())
		return 0
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "logsieve", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "logsieve: unknown command %q\n\n%s", args[0], usage)
	return 2
}
