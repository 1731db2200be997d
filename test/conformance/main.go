// Command prewarmconformance drives terraform-provider-prewarm the way Terraform does, with HashiCorp's own
// go-plugin client and go-cty codec, and checks every answer against the protocol rules Terraform relies on: the
// RPC order of each terraform command, the encoding of values, and the plan and apply consistency rules. It prints
// one line per check and exits 1 at the first failure.
//
//	prewarmconformance -provider dist/terraform-provider-prewarm -endpoint 127.0.0.1:7420 -token pwt_…
//
// The endpoint and token default to PREWARM_ENDPOINT and PREWARM_TOKEN. The controller must be able to run
// the localdir driver (any controller started with examples/drivers as its driver dir).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	plugin "github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"prewarmconformance/tfplugin6"
)

// terraformVersion is what the harness claims to be in ConfigureProvider.
const terraformVersion = "1.15.9"

type harness struct {
	providerPath string
	endpoint     string
	token        string
	driver       string
	verbose      bool
	rpcTimeout   time.Duration
	settle       time.Duration
	pause        bool
	checks       int
	started      time.Time

	schema      *tfplugin6.GetProviderSchema_Response
	schemaBytes []byte
	live        *providerProcess
}

func (h *harness) pass(format string, args ...interface{}) {
	h.checks++
	fmt.Printf("ok   %s\n", fmt.Sprintf(format, args...))
}

func (h *harness) info(format string, args ...interface{}) {
	fmt.Printf("--   %s\n", fmt.Sprintf(format, args...))
}

func (h *harness) fail(format string, args ...interface{}) {
	fmt.Printf("FAIL %s\n", fmt.Sprintf(format, args...))
	if h.live != nil && h.live.log != nil && !h.verbose {
		if t := h.live.log.tail(30); t != "" {
			fmt.Printf("---- last provider log lines (re-logged by go-plugin) ----\n%s\n", t)
		}
	}
	plugin.CleanupClients()
	fmt.Printf("conformance: FAILED after %d passed checks\n", h.checks)
	os.Exit(1)
}

func main() {
	h := &harness{started: time.Now()}
	flag.StringVar(&h.providerPath, "provider", os.Getenv("PREWARM_CONFORMANCE_PROVIDER"), "path of terraform-provider-prewarm")
	flag.StringVar(&h.endpoint, "endpoint", os.Getenv("PREWARM_ENDPOINT"), "controller API endpoint (HOST:PORT)")
	flag.StringVar(&h.token, "token", os.Getenv("PREWARM_TOKEN"), "controller API token")
	flag.StringVar(&h.driver, "driver", "localdir", "driver of the template the harness creates")
	flag.BoolVar(&h.verbose, "v", false, "copy go-plugin's log (including the provider's stderr) to stderr")
	flag.DurationVar(&h.rpcTimeout, "rpc-timeout", 30*time.Second, "deadline of each RPC")
	flag.DurationVar(&h.settle, "settle", 1500*time.Millisecond, "pause between the destroy and the re-create walks (lets the controller reconcile)")
	flag.BoolVar(&h.pause, "pause", false, "instead of -settle, print a PAUSE line before the re-create walk and wait for a line on stdin")
	flag.Parse()
	if h.providerPath == "" || h.endpoint == "" || h.token == "" {
		fmt.Fprintln(os.Stderr, "usage: prewarmconformance -provider PATH -endpoint HOST:PORT -token TOKEN [-v]")
		os.Exit(2)
	}
	if abs, err := filepath.Abs(h.providerPath); err == nil {
		h.providerPath = abs
	}
	defer plugin.CleanupClients()
	run(h)
	fmt.Printf("conformance: %d checks passed in %s\n", h.checks, time.Since(h.started).Round(time.Millisecond))
}

func randomSuffix() string {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// session is one provider process: one Terraform graph walk.
type session struct {
	h     *harness
	p     *providerProcess
	phase string
	// rewrite, when set, post-processes the msgpack of every configuration and proposed state sent (refined
	// unknowns).
	rewrite func([]byte) []byte
}

func (h *harness) open(phase string, extraEnv ...string) *session {
	s := &session{h: h, phase: phase}
	s.p = startProvider(h, phase, extraEnv...)
	h.live = s.p
	return s
}

func (s *session) close() {
	s.p.stop(s.h, s.phase)
	s.h.live = nil
}

func (s *session) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.h.rpcTimeout)
}

func (s *session) pass(format string, args ...interface{}) {
	s.h.pass("%s: %s", s.phase, fmt.Sprintf(format, args...))
}

func (s *session) info(format string, args ...interface{}) {
	s.h.info("%s: %s", s.phase, fmt.Sprintf(format, args...))
}

func (s *session) fail(format string, args ...interface{}) {
	s.h.fail("%s: %s", s.phase, fmt.Sprintf(format, args...))
}

// rpcErr fails on any gRPC-level error: Terraform turns those into "Plugin error" / "Unsupported plugin
// method" diagnostics; failures belong in the response's diagnostics.
func (s *session) rpcErr(rpc string, err error) {
	if err != nil {
		s.fail("%s returned a gRPC error instead of a response (report failures as diagnostics): %v", rpc, err)
	}
}

// diags checks the shape of diagnostics and returns the error ones.
func (s *session) diags(rpc string, ds []*tfplugin6.Diagnostic) []*tfplugin6.Diagnostic {
	var errs []*tfplugin6.Diagnostic
	for _, d := range ds {
		switch d.GetSeverity() {
		case tfplugin6.Diagnostic_ERROR:
			errs = append(errs, d)
		case tfplugin6.Diagnostic_WARNING:
		default:
			s.fail("%s: diagnostic with invalid severity %v (must be ERROR=1 or WARNING=2): %s", rpc, d.GetSeverity(), fmtDiag(d))
		}
		if strings.TrimSpace(d.GetSummary()) == "" {
			s.fail("%s: diagnostic without a summary: %s", rpc, fmtDiag(d))
		}
	}
	return errs
}

// noErrors fails when the response carries error diagnostics.
func (s *session) noErrors(rpc string, ds []*tfplugin6.Diagnostic) {
	if errs := s.diags(rpc, ds); len(errs) > 0 {
		var parts []string
		for _, d := range errs {
			parts = append(parts, fmtDiag(d))
		}
		s.fail("%s: unexpected error diagnostics: %s", rpc, strings.Join(parts, "; "))
	}
}

func fmtDiag(d *tfplugin6.Diagnostic) string {
	out := fmt.Sprintf("[%v] %q", d.GetSeverity(), d.GetSummary())
	if d.GetDetail() != "" {
		out += fmt.Sprintf(" (%s)", d.GetDetail())
	}
	if d.GetAttribute() != nil {
		out += " at " + fmtPath(protoPath(d.GetAttribute()))
	}
	return out
}

func isUnimplemented(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.Unimplemented
}

// ---------------------------------------------------------------------------------------------------------
// Schema

func (s *session) getSchema() *tfplugin6.GetProviderSchema_Response {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.p.rpc.GetProviderSchema(ctx, &tfplugin6.GetProviderSchema_Request{})
	s.rpcErr("GetProviderSchema", err)
	s.noErrors("GetProviderSchema", resp.GetDiagnostics())
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(resp)
	if err != nil {
		s.fail("GetProviderSchema: re-marshal: %v", err)
	}
	h := s.h
	if h.schema == nil {
		s.checkSchemaResponse(resp)
		h.schema, h.schemaBytes = resp, b
	} else if !proto.Equal(resp, h.schema) {
		s.fail("GetProviderSchema answered differently than before (the schema must be deterministic: Terraform caches it across processes with get_provider_schema_optional)")
	} else {
		s.pass("GetProviderSchema: same answer as the first call (%d bytes)", len(b))
	}

	// Terraform 1.12+ asks for identity schemas right after; UNIMPLEMENTED is read as "no identities".
	ctx2, cancel2 := s.ctx()
	defer cancel2()
	ids, err := s.p.rpc.GetResourceIdentitySchemas(ctx2, &tfplugin6.GetResourceIdentitySchemas_Request{})
	switch {
	case isUnimplemented(err):
	case err != nil:
		s.fail("GetResourceIdentitySchemas: gRPC error other than UNIMPLEMENTED: %v", err)
	default:
		s.noErrors("GetResourceIdentitySchemas", ids.GetDiagnostics())
		for name := range ids.GetIdentitySchemas() {
			if _, ok := resp.GetResourceSchemas()[name]; !ok {
				s.fail("GetResourceIdentitySchemas: identity schema for %q, which is not a resource type", name)
			}
		}
	}
	return resp
}

func (s *session) checkSchemaResponse(resp *tfplugin6.GetProviderSchema_Response) {
	var problems []string
	problems = append(problems, checkSchema("provider", resp.GetProvider())...)
	if resp.GetProviderMeta() != nil {
		problems = append(problems, checkSchema("provider_meta", resp.GetProviderMeta())...)
	}
	for _, name := range sortedKeys(resp.GetResourceSchemas()) {
		if !nameRe.MatchString(name) || !strings.HasPrefix(name, "prewarm_") {
			problems = append(problems, fmt.Sprintf("resource type name %q must match ^[a-z0-9_]+$ and start with prewarm_", name))
		}
		problems = append(problems, checkSchema("resource "+name, resp.GetResourceSchemas()[name])...)
	}
	for _, name := range sortedKeys(resp.GetDataSourceSchemas()) {
		if !nameRe.MatchString(name) || !strings.HasPrefix(name, "prewarm_") {
			problems = append(problems, fmt.Sprintf("data source type name %q must match ^[a-z0-9_]+$ and start with prewarm_", name))
		}
		problems = append(problems, checkSchema("data source "+name, resp.GetDataSourceSchemas()[name])...)
	}
	for _, m := range []map[string]*tfplugin6.Schema{resp.GetEphemeralResourceSchemas(), resp.GetListResourceSchemas(), resp.GetStateStoreSchemas()} {
		for _, name := range sortedKeys(m) {
			problems = append(problems, checkSchema(name, m[name])...)
		}
	}
	for name, a := range resp.GetActionSchemas() {
		problems = append(problems, checkSchema("action "+name, a.GetSchema())...)
	}
	if len(problems) > 0 {
		s.fail("GetProviderSchema: invalid schema (Terraform: \"provider has invalid schema\" or a panic):\n  %s", strings.Join(problems, "\n  "))
	}
	for _, want := range []string{"prewarm_template", "prewarm_preset", "prewarm_workspace", "prewarm_notification_target"} {
		if resp.GetResourceSchemas()[want] == nil {
			s.fail("GetProviderSchema: no resource type %s", want)
		}
	}
	if resp.GetDataSourceSchemas()["prewarm_preset"] == nil {
		s.fail("GetProviderSchema: no data source prewarm_preset")
	}
	caps := resp.GetServerCapabilities()
	s.pass("GetProviderSchema: provider, %d resource and %d data source schemas: every Schema has a block, every type is cty type JSON, names match ^[a-z0-9_]+$, flags and nesting are valid, everything is described",
		len(resp.GetResourceSchemas()), len(resp.GetDataSourceSchemas()))
	s.info("server_capabilities: plan_destroy=%v get_provider_schema_optional=%v move_resource_state=%v generate_resource_config=%v",
		caps.GetPlanDestroy(), caps.GetGetProviderSchemaOptional(), caps.GetMoveResourceState(), caps.GetGenerateResourceConfig())
	if caps.GetMoveResourceState() || caps.GetGenerateResourceConfig() {
		s.fail("GetProviderSchema: advertises move_resource_state/generate_resource_config, which this provider does not implement")
	}
}

func (h *harness) resource(name string) *tfplugin6.Schema { return h.schema.GetResourceSchemas()[name] }
func (h *harness) dataSource(name string) *tfplugin6.Schema {
	return h.schema.GetDataSourceSchemas()[name]
}

// ---------------------------------------------------------------------------------------------------------
// Decoding every DynamicValue the provider returns

// decode decodes a returned DynamicValue against the block's implied type and checks the block shape rules.
func (s *session) decode(what string, b *tfplugin6.Schema_Block, dv *tfplugin6.DynamicValue) cty.Value {
	ty := impliedType(b)
	v, err := decodeDV(dv, ty)
	if err != nil {
		s.fail("%s: %v", what, err)
	}
	if err := checkBlockShape(b, v, nil); err != nil {
		s.fail("%s: %v", what, err)
	}
	return v
}

func (s *session) wholeKnown(what string, v cty.Value) {
	if err := checkNoUnknowns(v); err != nil {
		s.fail("%s: %v (Terraform: \"Provider produced invalid object\")", what, err)
	}
}

func mustBuild(b *tfplugin6.Schema_Block, m M) cty.Value {
	v, err := buildObject(b, m)
	if err != nil {
		panic(fmt.Sprintf("harness scenario does not fit the schema: %v", err))
	}
	return v
}
