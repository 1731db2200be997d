package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"prewarmconformance/tfplugin6"
)

// The handshake Terraform and OpenTofu use for providers (protocols 5 and 6 alike). ProtocolVersion 4 is never
// offered: with VersionedPlugins set, go-plugin only offers the map's keys in PLUGIN_PROTOCOL_VERSIONS.
var tfHandshake = plugin.HandshakeConfig{
	ProtocolVersion:  4,
	MagicCookieKey:   "TF_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
}

// providerV6 is the gRPC plugin Terraform dispenses as "provider" for protocol 6.
type providerV6 struct{ plugin.NetRPCUnsupportedPlugin }

func (providerV6) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("the conformance harness is a client only")
}

func (providerV6) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return tfplugin6.NewProviderClient(c), nil
}

// providerV5 stands in for Terraform's tfplugin5 plugin: offered in the handshake (Terraform always offers 5 and 6),
// but the harness has no v5 client, so negotiating it is a failure.
type providerV5 struct{ plugin.NetRPCUnsupportedPlugin }

func (providerV5) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("the conformance harness is a client only")
}

func (providerV5) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, errors.New("provider negotiated protocol 5; this provider must speak 6")
}

// logTap collects what go-plugin logs (including every stderr line of the provider, re-logged as Terraform does)
// and forwards it to the harness's stderr when verbose.
type logTap struct {
	mu      sync.Mutex
	lines   []string
	verbose bool
}

func (t *logTap) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		t.lines = append(t.lines, l)
	}
	if t.verbose {
		os.Stderr.Write(p)
	}
	return len(p), nil
}

func (t *logTap) contains(s string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (t *logTap) tail(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	from := len(t.lines) - n
	if from < 0 {
		from = 0
	}
	return strings.Join(t.lines[from:], "\n")
}

// stderrCheck sees every raw stderr line of the provider (go-plugin copies them to ClientConfig.Stderr) and
// records the first one Terraform would mishandle: a JSON line that go-plugin cannot parse as an hclog entry
// (non-string @message/@level panic Terraform; a @timestamp without 6 fractional digits is logged raw), or a
// "panic: " / "fatal error: " line, which Terraform reports as a provider crash even with logging off.
type stderrCheck struct {
	mu      sync.Mutex
	partial []byte
	lines   int
	jsonN   int
	problem string
}

var hclogLevels = map[string]bool{"trace": true, "debug": true, "info": true, "warn": true, "error": true}

func (c *stderrCheck) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		c.line(string(c.partial[:i]))
		c.partial = c.partial[i+1:]
	}
	return len(p), nil
}

func (c *stderrCheck) line(l string) {
	c.lines++
	if c.problem != "" {
		return
	}
	if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
		c.problem = fmt.Sprintf("stderr line %q: Terraform reports the provider as crashed", l)
		return
	}
	if !strings.HasPrefix(strings.TrimSpace(l), "{") {
		return
	}
	var raw map[string]interface{}
	if err := json.Unmarshal([]byte(l), &raw); err != nil {
		return // not JSON after all: logged as a plain line
	}
	c.jsonN++
	msg, okM := raw["@message"].(string)
	lvl, okL := raw["@level"].(string)
	_ = msg
	switch {
	case raw["@message"] != nil && !okM:
		c.problem = fmt.Sprintf("stderr JSON line with a non-string @message (go-plugin panics): %s", l)
	case raw["@level"] != nil && !okL:
		c.problem = fmt.Sprintf("stderr JSON line with a non-string @level (go-plugin panics): %s", l)
	case raw["@message"] == nil || raw["@level"] == nil:
		c.problem = fmt.Sprintf("stderr JSON line without @message or @level: %s", l)
	case !hclogLevels[lvl]:
		c.problem = fmt.Sprintf("stderr JSON line with @level %q (hclog levels: trace debug info warn error): %s", lvl, l)
	}
	if c.problem != "" {
		return
	}
	if ts, ok := raw["@timestamp"]; ok {
		tss, isStr := ts.(string)
		if !isStr {
			c.problem = fmt.Sprintf("stderr JSON line with a non-string @timestamp (go-plugin panics): %s", l)
		} else if _, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", tss); err != nil {
			c.problem = fmt.Sprintf("stderr JSON line with @timestamp %q, not in hclog's 2006-01-02T15:04:05.000000Z07:00 form (the line is logged raw): %v", tss, err)
		}
	}
}

func (c *stderrCheck) result() (lines, jsonLines int, problem string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines, c.jsonN, c.problem
}

// providerProcess is one provider process, started the way Terraform starts it.
type providerProcess struct {
	client *plugin.Client
	cmd    *exec.Cmd
	rpc    tfplugin6.ProviderClient
	proto  plugin.ClientProtocol
	log    *logTap
	stderr *stderrCheck
}

// startProvider mirrors Terraform's provider factory: exec.Command(path) with no arguments and the inherited
// environment, the provider handshake, VersionedPlugins {5, 6}, gRPC only, Managed, AutoMTLS, and the provider's
// stderr re-logged through an hclog logger.
func startProvider(h *harness, phase string, extraEnv ...string) *providerProcess {
	tap := &logTap{verbose: h.verbose}
	logger := hclog.New(&hclog.LoggerOptions{
		Name:   "plugin",
		Level:  hclog.Trace,
		Output: tap,
	})
	cmd := exec.Command(h.providerPath)
	if len(extraEnv) > 0 {
		cmd.Env = append(os.Environ(), extraEnv...)
	}
	errCheck := &stderrCheck{}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: tfHandshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			5: {"provider": providerV5{}},
			6: {"provider": providerV6{}},
		},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          true,
		AutoMTLS:         true,
		Logger:           logger,
		Stderr:           errCheck,
		SyncStdout:       io.Discard,
		SyncStderr:       io.Discard,
	})
	p := &providerProcess{client: client, cmd: cmd, log: tap, stderr: errCheck}

	started := time.Now()
	proto, err := client.Client()
	if err != nil {
		h.fail("%s: start provider %s: %v\nprovider log:\n%s", phase, h.providerPath, err, tap.tail(40))
	}
	p.proto = proto
	h.pass("%s: provider started and completed the go-plugin handshake in %s", phase, time.Since(started).Round(time.Millisecond))

	if v := client.NegotiatedVersion(); v != 6 {
		h.fail("%s: negotiated protocol version %d, want 6", phase, v)
	}
	h.pass("%s: negotiated protocol version 6 (offered 5 and 6) over AutoMTLS", phase)

	raw, err := proto.Dispense("provider")
	if err != nil {
		h.fail("%s: dispense provider: %v", phase, err)
	}
	rpc, ok := raw.(tfplugin6.ProviderClient)
	if !ok {
		h.fail("%s: dispensed %T, want tfplugin6.ProviderClient", phase, raw)
	}
	p.rpc = rpc

	if err := proto.Ping(); err != nil {
		h.fail("%s: health check (grpc.health.v1.Health/Check service \"plugin\"): %v", phase, err)
	}
	h.pass("%s: health check for service \"plugin\" answered SERVING", phase)
	return p
}

func (p *providerProcess) pid() int { return p.cmd.Process.Pid }

// stop closes the provider the way Terraform does at the end of every walk: GRPCController.Shutdown, then up to
// 2 s for the process to exit before go-plugin SIGKILLs it. A provider that needs the kill fails the check.
func (p *providerProcess) stop(h *harness, phase string) {
	started := time.Now()
	done := make(chan struct{})
	go func() { p.client.Kill(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		h.fail("%s: go-plugin's Kill did not return within 15 s: the provider (or a child of it) keeps its stdout/stderr open after SIGKILL of pid %d (a wrapper without exec?)", phase, p.pid())
	}
	took := time.Since(started)
	if !p.client.Exited() {
		h.fail("%s: provider process %d still running after Kill", phase, p.pid())
	}
	if p.log.contains("plugin failed to exit gracefully") || took >= 2*time.Second {
		h.fail("%s: provider did not exit after GRPCController.Shutdown: go-plugin had to SIGKILL it after %s", phase, took.Round(time.Millisecond))
	}
	if p.cmd.ProcessState != nil {
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			h.fail("%s: provider process was ended by signal %v instead of exiting on Shutdown", phase, ws.Signal())
		}
	}
	h.pass("%s: provider exited %s after GRPCController.Shutdown", phase, took.Round(time.Millisecond))
	lines, jsonLines, problem := p.stderr.result()
	if problem != "" {
		h.fail("%s: %s", phase, problem)
	}
	h.pass("%s: %d stderr lines (%d hclog JSON), all readable by go-plugin, no crash report", phase, lines, jsonLines)
}
