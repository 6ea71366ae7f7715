package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/meta"
)

// importCmd imports the ENGINE_CLASSES of a Fast Logger GLOBAL_CONFIG.JSON. Classes
// whose name exists already and patterns RE2 cannot take are reported, not changed.
func importCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import-fastlogger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "data directory (env LOGSIEVE_DATA; default ./data)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: logsieve import-fastlogger [--data DIR] GLOBAL_CONFIG.JSON")
		return 2
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "logsieve import-fastlogger:", err)
		return 1
	}
	classes, skipped, err := class.ParseFastLogger(data)
	if err != nil {
		fmt.Fprintf(stderr, "logsieve import-fastlogger: %q: %v\n", fs.Arg(0), err)
		return 1
	}
	dir := pick(*dataDir, os.Getenv("LOGSIEVE_DATA"), defaultDataDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		fmt.Fprintln(stderr, "logsieve import-fastlogger:", err)
		return 1
	}
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		fmt.Fprintln(stderr, "logsieve import-fastlogger:", err)
		return 1
	}
	defer db.Close()
	f, err := factory.New(factory.Config{DataDir: dir, Meta: db})
	if err != nil {
		fmt.Fprintln(stderr, "logsieve import-fastlogger:", err)
		return 1
	}
	imported, more := f.ImportClasses(classes)
	skipped = append(skipped, more...)
	for _, n := range imported {
		fmt.Fprintf(stdout, "imported %s\n", n)
	}
	for _, s := range skipped {
		fmt.Fprintf(stdout, "skipped %s: %s\n", s.Name, s.Reason)
	}
	fmt.Fprintf(stdout, "%d imported, %d skipped\n", len(imported), len(skipped))
	return 0
}
