package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/setupranali/setupranali/gateway"
)

// errUsage means the flag package already told the user what was wrong; errHelp that the user
// asked for the flags and got them.
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

// config is the gateway's configuration as serve read it, with where each value came from.
type config struct {
	gateway.Config
	// effective records where each setting's value came from, for the start-up log.
	effective []effectiveSetting
}

// loadConfig reads defaults, then the environment, then flags; a bad value names its source.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for i, s := range c.Settings() {
		eff := effectiveSetting{env: s.Env, value: s.Default, source: "default"}
		if v := getenv(s.Env); v != "" {
			if err := s.Set(v); err != nil {
				return c, fmt.Errorf("%s: %w", s.Env, err)
			}
			eff.value, eff.source = v, "env"
		} else if err := s.Set(s.Default); err != nil {
			return c, fmt.Errorf("default of %s: %w", s.Env, err)
		}
		c.effective = append(c.effective, eff)
		fs.Func(s.Flag, fmt.Sprintf("%s (env %s, default %q)", s.Help, s.Env, s.Default), func(v string) error {
			if err := s.Set(v); err != nil {
				return err
			}
			c.effective[i].value, c.effective[i].source = v, "flag"
			return nil
		})
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: setupranali serve [flags]\n\nEvery flag can also be set by the environment variable named with it.")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nSecrets, from the environment only (VAR), or from the file that VAR_FILE names:")
		for _, s := range c.SecretSettings() {
			fmt.Fprintf(stderr, "  %s\n    \t%s\n", s.Env, s.Help)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, errUsage
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	for _, s := range c.SecretSettings() {
		v, err := readSecret(s.Env, getenv)
		if err != nil {
			return c, err
		}
		*s.Dst = gateway.Secret(v)
		eff := effectiveSetting{env: s.Env, value: "unset", source: "default", secret: true}
		if v != "" {
			eff.value, eff.source = "set", "env"
			if getenv(s.Env+"_FILE") != "" {
				eff.source = "file"
			}
		}
		c.effective = append(c.effective, eff)
	}
	if err := c.Check(); err != nil {
		return c, err
	}
	return c, nil
}

// effectiveSetting is one setting's value and where it came from: default, env, file or flag.
type effectiveSetting struct {
	env, value, source string
	secret             bool
}

// logEffective logs the configuration serve runs with, one line, secrets only as set or unset;
// outside production it warns loudly about what production would refuse.
func (c config) logEffective(log *slog.Logger) {
	attrs := make([]any, 0, 2*len(c.effective))
	for _, e := range c.effective {
		v := e.value
		if e.source != "default" {
			v += " (" + e.source + ")"
		}
		attrs = append(attrs, strings.ToLower(e.env), v)
	}
	log.Info("effective configuration", attrs...)
	if c.Production() {
		return
	}
	log.Warn("NOT FOR PRODUCTION: SETU_ENV=" + c.Env + " accepts the public demo API keys and listens on loopback only; set SETU_ENV=production with UBI_SECRET_KEY, REDIS_URL and API keys (docs/production.md)")
	if c.SecretKey == "" {
		log.Warn("UBI_SECRET_KEY is not set: registered data sources cannot be decrypted; production refuses to start without it")
	}
	if c.RedisURL == "" {
		log.Warn("REDIS_URL is not set: cache and rate limits are per process; production refuses to start without it")
	}
}

// readSecret returns the secret env names: its value, or the content of the file env_FILE names
// (Kubernetes and Docker secrets), without the trailing newline such files usually end with.
func readSecret(env string, getenv func(string) string) (string, error) {
	v, file := getenv(env), getenv(env+"_FILE")
	switch {
	case file == "":
		return v, nil
	case v != "":
		return "", fmt.Errorf("%s and %s_FILE are both set; set one", env, env)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", env, err)
	}
	v = strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s_FILE: %s is empty", env, file)
	}
	return v, nil
}
