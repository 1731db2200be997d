package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/zclconf/go-cty/cty"

	"prewarmconformance/tfplugin6"
)

// What Terraform sends as client capabilities (normal builds: no deferral; write-only attributes supported).
var clientCaps = &tfplugin6.ClientCapabilities{DeferralAllowed: false, WriteOnlyAttributesAllowed: true}

// instance is one managed resource instance as Terraform keeps it in state.
type instance struct {
	val     cty.Value
	private []byte
}

type planned struct {
	val             cty.Value
	private         []byte
	requiresReplace []cty.Path
}

// cfgDV encodes a configuration (or proposed state) the way Terraform would, applying the session's rewrite of
// unknowns into refined unknowns when one is set.
func (s *session) cfgDV(v cty.Value, ty cty.Type) *tfplugin6.DynamicValue {
	dv := encodeDV(v, ty)
	if s.rewrite != nil {
		dv.Msgpack = s.rewrite(dv.Msgpack)
	}
	return dv
}

func (s *session) providerBlock() *tfplugin6.Schema_Block { return s.h.schema.GetProvider().GetBlock() }

func (s *session) validateProvider(cfg cty.Value) []*tfplugin6.Diagnostic {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.p.rpc.ValidateProviderConfig(ctx, &tfplugin6.ValidateProviderConfig_Request{
		Config: s.cfgDV(cfg, impliedType(s.providerBlock())),
	})
	s.rpcErr("ValidateProviderConfig", err)
	return s.diags("ValidateProviderConfig", resp.GetDiagnostics())
}

func (s *session) configure(cfg cty.Value) []*tfplugin6.Diagnostic {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.p.rpc.ConfigureProvider(ctx, &tfplugin6.ConfigureProvider_Request{
		TerraformVersion:   terraformVersion,
		Config:             s.cfgDV(cfg, impliedType(s.providerBlock())),
		ClientCapabilities: clientCaps,
	})
	s.rpcErr("ConfigureProvider", err)
	return s.diags("ConfigureProvider", resp.GetDiagnostics())
}

// configured runs Terraform's start of a plan/apply/import walk: schema, ValidateProviderConfig, ConfigureProvider.
func (s *session) configured(cfg cty.Value) {
	s.getSchema()
	s.noErrors("ValidateProviderConfig", s.validateProvider(cfg))
	s.noErrors("ConfigureProvider", s.configure(cfg))
	s.pass("GetProviderSchema, ValidateProviderConfig, ConfigureProvider: no errors")
}

func (s *session) validateResource(typ string, cfg cty.Value) []*tfplugin6.Diagnostic {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.p.rpc.ValidateResourceConfig(ctx, &tfplugin6.ValidateResourceConfig_Request{
		TypeName:           typ,
		Config:             s.cfgDV(cfg, impliedType(s.h.resource(typ).GetBlock())),
		ClientCapabilities: clientCaps,
	})
	s.rpcErr("ValidateResourceConfig "+typ, err)
	return s.diags("ValidateResourceConfig "+typ, resp.GetDiagnostics())
}

func (s *session) validateData(typ string, cfg cty.Value) []*tfplugin6.Diagnostic {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.p.rpc.ValidateDataResourceConfig(ctx, &tfplugin6.ValidateDataResourceConfig_Request{
		TypeName: typ,
		Config:   s.cfgDV(cfg, impliedType(s.h.dataSource(typ).GetBlock())),
	})
	s.rpcErr("ValidateDataResourceConfig "+typ, err)
	return s.diags("ValidateDataResourceConfig "+typ, resp.GetDiagnostics())
}

// expectPathError checks that validation failed with an error diagnostic pointing at want (a path that exists
// in cfg), the way Terraform needs it to underline the offending line.
func (s *session) expectPathError(what string, errs []*tfplugin6.Diagnostic, cfg cty.Value, want cty.Path) {
	if len(errs) == 0 {
		s.fail("%s: no error diagnostic (expected one at %s)", what, fmtPath(want))
	}
	var seen []string
	for _, d := range errs {
		if d.GetAttribute() == nil {
			seen = append(seen, fmtDiag(d)+" [no attribute path]")
			continue
		}
		got := protoPath(d.GetAttribute())
		if _, err := getPath(cfg, got); err != nil {
			s.fail("%s: diagnostic %s has an attribute path that does not exist in the config: %v", what, fmtDiag(d), err)
		}
		if got.Equals(want) {
			s.pass("%s: error diagnostic at %s: %q", what, fmtPath(got), d.GetSummary())
			return
		}
		seen = append(seen, fmtDiag(d))
	}
	s.fail("%s: no error diagnostic at %s; got: %s", what, fmtPath(want), strings.Join(seen, "; "))
}

// plan is PlanResourceChange as Terraform calls it: proposed_new_state built from prior and config; the answer
// decoded and held to the plan validity rules.
func (s *session) plan(typ string, prior instance, config cty.Value) planned {
	b := s.h.resource(typ).GetBlock()
	ty := impliedType(b)
	proposed := proposedNew(b, prior.val, config)
	ctx, cancel := s.ctx()
	defer cancel()
	rpc := "PlanResourceChange " + typ
	resp, err := s.p.rpc.PlanResourceChange(ctx, &tfplugin6.PlanResourceChange_Request{
		TypeName:           typ,
		PriorState:         encodeDV(prior.val, ty),
		ProposedNewState:   s.cfgDV(proposed, ty),
		Config:             s.cfgDV(config, ty),
		PriorPrivate:       prior.private,
		ClientCapabilities: clientCaps,
	})
	s.rpcErr(rpc, err)
	s.noErrors(rpc, resp.GetDiagnostics())
	if resp.GetDeferred() != nil {
		s.fail("%s: deferred is set although client_capabilities.deferral_allowed is false", rpc)
	}
	if resp.GetLegacyTypeSystem() {
		s.fail("%s: legacy_type_system is set (reserved for the legacy Go SDK)", rpc)
	}
	v := s.decode(rpc+" planned_state", b, resp.GetPlannedState())
	if err := checkPlanValid(b, prior.val, config, v); err != nil {
		s.fail("%s: Provider produced invalid plan: %v\n  prior:    %s\n  config:   %s\n  proposed: %s\n  planned:  %s",
			rpc, err, fmtVal(prior.val), fmtVal(config), fmtVal(proposed), fmtVal(v))
	}
	var rr []cty.Path
	for _, ap := range resp.GetRequiresReplace() {
		p := protoPath(ap)
		_, e1 := getPath(prior.val, p)
		_, e2 := getPath(v, p)
		if len(p) == 0 || (e1 != nil && e2 != nil) {
			s.fail("%s: requires_replace path %s exists neither in prior nor in planned state", rpc, fmtPath(p))
		}
		rr = append(rr, p)
	}
	return planned{val: v, private: resp.GetPlannedPrivate(), requiresReplace: rr}
}

// apply is ApplyResourceChange; the answer is held to the "inconsistent result after apply" rules.
func (s *session) apply(typ string, prior instance, pl planned, config cty.Value) instance {
	b := s.h.resource(typ).GetBlock()
	ty := impliedType(b)
	ctx, cancel := s.ctx()
	defer cancel()
	rpc := "ApplyResourceChange " + typ
	resp, err := s.p.rpc.ApplyResourceChange(ctx, &tfplugin6.ApplyResourceChange_Request{
		TypeName:       typ,
		PriorState:     encodeDV(prior.val, ty),
		PlannedState:   encodeDV(pl.val, ty),
		Config:         encodeDV(config, ty),
		PlannedPrivate: pl.private,
	})
	s.rpcErr(rpc, err)
	s.noErrors(rpc, resp.GetDiagnostics())
	if resp.GetLegacyTypeSystem() {
		s.fail("%s: legacy_type_system is set (reserved for the legacy Go SDK)", rpc)
	}
	v := s.decode(rpc+" new_state", b, resp.GetNewState())
	if pl.val.IsNull() {
		if !v.IsNull() {
			s.fail("%s: delete returned a non-null new_state %s (Terraform: \"Provider returned invalid result object after apply\")", rpc, fmtVal(v))
		}
		return instance{val: v, private: resp.GetPrivate()}
	}
	if v.IsNull() {
		s.fail("%s: returned a null new_state for a create/update", rpc)
	}
	s.wholeKnown(rpc+" new_state", v)
	if err := checkCompatible(b, pl.val, v, nil); err != nil {
		s.fail("%s: Provider produced inconsistent result after apply: %v\n  planned: %s\n  result:  %s", rpc, err, fmtVal(pl.val), fmtVal(v))
	}
	if len(pl.private) > 0 && len(resp.GetPrivate()) == 0 {
		s.fail("%s: planned_private (%d bytes) was dropped: the response's private is empty", rpc, len(pl.private))
	}
	return instance{val: v, private: resp.GetPrivate()}
}

// read is ReadResource (refresh). The private bytes sent must come back verbatim.
func (s *session) read(typ string, cur instance) instance {
	b := s.h.resource(typ).GetBlock()
	ty := impliedType(b)
	ctx, cancel := s.ctx()
	defer cancel()
	rpc := "ReadResource " + typ
	resp, err := s.p.rpc.ReadResource(ctx, &tfplugin6.ReadResource_Request{
		TypeName:           typ,
		CurrentState:       encodeDV(cur.val, ty),
		Private:            cur.private,
		ClientCapabilities: clientCaps,
	})
	s.rpcErr(rpc, err)
	s.noErrors(rpc, resp.GetDiagnostics())
	if resp.GetDeferred() != nil {
		s.fail("%s: deferred is set although deferral is not allowed", rpc)
	}
	v := s.decode(rpc+" new_state", b, resp.GetNewState())
	s.wholeKnown(rpc+" new_state", v)
	if !bytes.Equal(resp.GetPrivate(), cur.private) {
		s.fail("%s: private not echoed: sent %q, got %q (Terraform stores what is returned)", rpc, cur.private, resp.GetPrivate())
	}
	return instance{val: v, private: resp.GetPrivate()}
}

func (s *session) upgrade(typ string, version int64, raw []byte) cty.Value {
	b := s.h.resource(typ).GetBlock()
	ctx, cancel := s.ctx()
	defer cancel()
	rpc := "UpgradeResourceState " + typ
	resp, err := s.p.rpc.UpgradeResourceState(ctx, &tfplugin6.UpgradeResourceState_Request{
		TypeName: typ,
		Version:  version,
		RawState: &tfplugin6.RawState{Json: raw},
	})
	s.rpcErr(rpc, err)
	s.noErrors(rpc, resp.GetDiagnostics())
	v := s.decode(rpc+" upgraded_state", b, resp.GetUpgradedState())
	if v.IsNull() {
		s.fail("%s: upgraded_state is null for a stored object", rpc)
	}
	s.wholeKnown(rpc+" upgraded_state", v)
	return v
}

func (s *session) importState(typ, id string) ([]*tfplugin6.ImportResourceState_ImportedResource, []*tfplugin6.Diagnostic) {
	ctx, cancel := s.ctx()
	defer cancel()
	rpc := "ImportResourceState " + typ
	resp, err := s.p.rpc.ImportResourceState(ctx, &tfplugin6.ImportResourceState_Request{
		TypeName:           typ,
		Id:                 id,
		ClientCapabilities: clientCaps,
	})
	s.rpcErr(rpc, err)
	if resp.GetDeferred() != nil {
		s.fail("%s: deferred is set although deferral is not allowed", rpc)
	}
	return resp.GetImportedResources(), s.diags(rpc, resp.GetDiagnostics())
}

func (s *session) readData(typ string, cfg cty.Value) (cty.Value, []*tfplugin6.Diagnostic) {
	b := s.h.dataSource(typ).GetBlock()
	ctx, cancel := s.ctx()
	defer cancel()
	rpc := "ReadDataSource " + typ
	resp, err := s.p.rpc.ReadDataSource(ctx, &tfplugin6.ReadDataSource_Request{
		TypeName:           typ,
		Config:             s.cfgDV(cfg, impliedType(b)),
		ClientCapabilities: clientCaps,
	})
	s.rpcErr(rpc, err)
	if resp.GetDeferred() != nil {
		s.fail("%s: deferred is set although deferral is not allowed", rpc)
	}
	errs := s.diags(rpc, resp.GetDiagnostics())
	if len(errs) > 0 {
		return cty.NilVal, errs
	}
	v := s.decode(rpc+" state", b, resp.GetState())
	if v.IsNull() {
		s.fail("%s: Provider produced null object (state is null without an error)", rpc)
	}
	s.wholeKnown(rpc+" state", v)
	return v, nil
}

// parallel runs n copies of f at once, as Terraform does with parallelism 10 on one provider process.
func parallel(n int, f func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = f(i)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("call %d: %v", i, err)
		}
	}
	return nil
}
