package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/logsieve/logsieve/backend/loadgen"
)

// loadgenCmd sends paced syslog: logsieve loadgen --target H:P --rate N --count N [--size B] [--gso=false]
// [--protocol udp|tcp|tls] [--framing octet|lf] [--conns N].
func loadgenCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "127.0.0.1:5514", "HOST:PORT to send to")
	rate := fs.Int("rate", 10000, "datagrams per second (0 = unpaced)")
	count := fs.Int("count", 100000, "datagrams to send")
	size := fs.Int("size", 0, "bytes per datagram (0 = natural, about 250)")
	gso := fs.Bool("gso", true, "send runs of equal-length datagrams as one UDP GSO message where the kernel allows")
	protocol := fs.String("protocol", "udp", "udp, tcp or tls (tls trusts any server certificate)")
	framing := fs.String("framing", "octet", "tcp/tls framing: octet (RFC 6587 octet counting) or lf")
	conns := fs.Int("conns", 1, "tcp/tls connections, all opened first, sharing --rate and --count evenly, each paced (udp: 1)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *rate < 0 || *count < 1 || *size < 0 || *size > 65507 {
		fmt.Fprintln(stderr, "logsieve loadgen: --rate >= 0, --count >= 1 and 0 <= --size <= 65507")
		return 2
	}
	if !validProtocol(*protocol) || (*framing != "octet" && *framing != "lf") {
		fmt.Fprintln(stderr, "logsieve loadgen: --protocol udp|tcp|tls and --framing octet|lf")
		return 2
	}
	if msg := connsProblem(*conns, *protocol); msg != "" {
		fmt.Fprintln(stderr, "logsieve loadgen:", msg)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := loadgen.Send(ctx, loadgen.Options{Target: *target, Rate: *rate, Count: *count, Size: *size, NoGSO: !*gso,
		Protocol: *protocol, Framing: *framing, Conns: *conns})
	fmt.Fprintf(stdout, "loadgen: target=%s conns=%d sent=%d elapsed_s=%.2f rate=%.0f/s\n",
		*target, *conns, res.Sent, res.Elapsed.Seconds(), float64(res.Sent)/max(res.Elapsed.Seconds(), 1e-9))
	if err != nil {
		fmt.Fprintln(stderr, "logsieve loadgen:", err)
		return 1
	}
	return 0
}

// validProtocol reports whether p is a transport loadgen and bench speak.
func validProtocol(p string) bool { return p == "udp" || p == "tcp" || p == "tls" }

// connsProblem says what is wrong with --conns for protocol ("" when nothing).
func connsProblem(conns int, protocol string) string {
	switch {
	case conns < 1 || conns > loadgen.MaxConns:
		return fmt.Sprintf("need 1 <= --conns <= %d (got %d)", loadgen.MaxConns, conns)
	case conns > 1 && protocol == "udp":
		return fmt.Sprintf("--conns %d needs --protocol tcp or tls: udp sends from one socket (--conns 1)", conns)
	}
	return ""
}
