package main

import (
	"fmt"
	"os"

	"github.com/BurntSushi/toml"

	"github.com/logsieve/logsieve/backend/meta"
)

// fileConfig is configs/logsieve.toml (SPEC §8 Config).
type fileConfig struct {
	HTTPAddr string `toml:"http_addr"`
	DataDir  string `toml:"data_dir"`
	// LogFormat is the service log's format, "text" or "json" (flag --log-format, env
	// LOGSIEVE_LOG_FORMAT).
	LogFormat string `toml:"log_format"`
	// Cluster (docs/cluster.md): NATS URLs or "embedded", this node's name
	// and role; no nats: a single box.
	NATS string `toml:"nats"`
	Node string `toml:"node"`
	Role string `toml:"role"`
	// Advertise is the URL where the other nodes reach this node's API
	// (flag --advertise, env LOGSIEVE_ADVERTISE); ClusterSecret signs their
	// requests (env LOGSIEVE_CLUSTER_SECRET; no flag: a flag shows in ps).
	Advertise     string `toml:"advertise"`
	ClusterSecret string `toml:"cluster_secret"`
	meta.Settings
}

const (
	defaultHTTPAddr  = "127.0.0.1:8080"
	defaultDataDir   = "./data"
	defaultLogFormat = "text"
)

// loadConfig reads the config file at path ("" = none: the defaults). A named
// file that is missing is an error; unknown keys are an error naming them.
func loadConfig(path string) (fileConfig, error) {
	cfg := fileConfig{Settings: meta.DefaultSettings()}
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("cannot read config %q: %w", path, err)
	}
	md, err := toml.Decode(string(data), &cfg)
	if err != nil {
		return cfg, fmt.Errorf("cannot parse config %q: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return cfg, fmt.Errorf("config %q: unknown key %q", path, und[0].String())
	}
	if err := checkLogFormat(cfg.LogFormat); err != nil {
		return cfg, fmt.Errorf("config %q: %w", path, err)
	}
	if err := cfg.Settings.Validate(); err != nil {
		return cfg, fmt.Errorf("config %q: %w", path, err)
	}
	return cfg, nil
}

// pick returns the first non-empty value: flag > env > file > default.
func pick(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
