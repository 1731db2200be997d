package main

// prewarm_workspace: validation at plan time, and the create (a claim from the harness's empty pool, so the
// controller builds one and the provider waits for it), refresh, in-place update, import and destroy walks.

import (
	"github.com/zclconf/go-cty/cty"

	"prewarmconformance/tfplugin6"
)

func (sc *scenario) wsCfg(extra M) M {
	m := M{"template": sc.tpl, "preset": sc.preset, "owner": "conformance"}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// validateWorkspace runs in the validate walk: good, unknown and bad configurations, each bad one with an error at
// the offending attribute.
func (sc *scenario) validateWorkspace(s *session) {
	good := sc.cfg(tWorkspace, sc.wsCfg(M{"auto_destroy_at": "2099-01-01T00:00:00+01:00", "auto_destroy_inactivity": "8h", "wait_ready": "10m"}))
	s.noErrors("ValidateResourceConfig prewarm_workspace", s.validateResource(tWorkspace, good))
	unk := sc.cfg(tWorkspace, M{
		"template": cty.UnknownVal(cty.String), "preset": cty.UnknownVal(cty.String), "owner": cty.UnknownVal(cty.String),
		"auto_destroy_at": cty.UnknownVal(cty.String), "auto_destroy_inactivity": cty.UnknownVal(cty.String), "wait_ready": cty.UnknownVal(cty.String),
	})
	s.noErrors("ValidateResourceConfig prewarm_workspace (unknown values)", s.validateResource(tWorkspace, unk))
	s.rewrite = refineUnknowns
	s.noErrors("ValidateResourceConfig prewarm_workspace (refined unknowns)", s.validateResource(tWorkspace, unk))
	s.rewrite = nil
	s.pass("ValidateResourceConfig prewarm_workspace: a full configuration and unknown values are valid")
	for _, c := range []struct {
		what string
		set  M
		attr string
	}{
		{"auto_destroy_at without a time zone", M{"auto_destroy_at": "2099-01-01T00:00:00"}, "auto_destroy_at"},
		{"auto_destroy_inactivity \"8\" (no unit)", M{"auto_destroy_inactivity": "8"}, "auto_destroy_inactivity"},
		{"auto_destroy_inactivity \"400d\"", M{"auto_destroy_inactivity": "400d"}, "auto_destroy_inactivity"},
		{"wait_ready \"0s\"", M{"wait_ready": "0s"}, "wait_ready"},
		{"blank owner", M{"owner": "  "}, "owner"},
		{"preset \"no/slashes\"", M{"preset": "no/slashes"}, "preset"},
	} {
		bad := sc.cfg(tWorkspace, sc.wsCfg(c.set))
		s.expectPathError("ValidateResourceConfig prewarm_workspace ("+c.what+")", s.validateResource(tWorkspace, bad), bad, path(c.attr))
	}
}

// workspaceWalk: plan, apply (claim and wait), refresh + no-op plan, in-place updates that survive refresh, a
// replace on owner, import by id, an instant in the past refused at apply, and destroy.
func (sc *scenario) workspaceWalk() {
	s := sc.h.open("workspace", "TF_LOG=trace")
	s.configured(sc.providerCfg())
	b := sc.blk(tWorkspace)
	ty := impliedType(b)
	null := instance{val: cty.NullVal(ty)}

	// The configured instant keeps its spelling (an offset) although the controller reports UTC.
	cfgM := sc.wsCfg(M{"auto_destroy_at": "2099-01-01T01:00:00+01:00", "auto_destroy_inactivity": "480m"})
	cfg := sc.cfg(tWorkspace, cfgM)
	s.noErrors("ValidateResourceConfig prewarm_workspace", s.validateResource(tWorkspace, cfg))
	initial := s.plan(tWorkspace, null, cfg)
	for _, name := range []string{"id", "name", "state", "attributes", "deadline"} {
		if initial.val.GetAttr(name).IsKnown() {
			s.fail("PlanResourceChange prewarm_workspace (create): computed %s planned known: %s", name, fmtVal(initial.val.GetAttr(name)))
		}
	}
	s.pass("PlanResourceChange prewarm_workspace (create): valid plan, computed attributes unknown")
	st := s.apply(tWorkspace, null, initial, cfg)
	if got := st.val.GetAttr("state").AsString(); got != "claimed" {
		s.fail("ApplyResourceChange prewarm_workspace (create): state %q, want claimed (create waits for the build)", got)
	}
	if st.val.GetAttr("deadline").IsNull() {
		s.fail("ApplyResourceChange prewarm_workspace (create): no deadline although the template has autostop_after")
	}
	s.pass("ApplyResourceChange prewarm_workspace (create from an empty pool, waited for the build): %s", fmtVal(st.val))

	read := s.read(tWorkspace, st)
	if !sameValue(read.val, st.val) {
		s.fail("ReadResource prewarm_workspace right after apply differs from the applied state\n  state: %s\n  read:  %s", fmtVal(st.val), fmtVal(read.val))
	}
	if pl := s.plan(tWorkspace, read, cfg); !sameValue(pl.val, read.val) {
		s.fail("PlanResourceChange prewarm_workspace (unchanged config) is not a no-op\n  prior:   %s\n  planned: %s", fmtVal(read.val), fmtVal(pl.val))
	}
	s.pass("ReadResource prewarm_workspace equals the applied state; the same configuration plans no change")

	// In place: inactivity changed, then removed (cleared), then wait_ready alone (nothing remote).
	for _, variant := range []struct {
		what string
		m    M
	}{
		{"auto_destroy_inactivity 2h", sc.wsCfg(M{"auto_destroy_at": "2099-01-01T01:00:00+01:00", "auto_destroy_inactivity": "2h"})},
		{"auto_destroy_inactivity removed", sc.wsCfg(M{"auto_destroy_at": "2099-01-01T01:00:00+01:00"})},
		{"auto_destroy_at removed, wait_ready set", sc.wsCfg(M{"wait_ready": "5m"})},
	} {
		pl := s.plan(tWorkspace, st, sc.cfg(tWorkspace, variant.m))
		if len(pl.requiresReplace) > 0 {
			s.fail("PlanResourceChange prewarm_workspace (%s): an in-place change asks to replace %s", variant.what, fmtPath(pl.requiresReplace[0]))
		}
		st = sc.updateTo(s, tWorkspace, st, variant.m)
		s.pass("prewarm_workspace %s: updated in place, and refresh returns exactly the applied state", variant.what)
	}
	if !st.val.GetAttr("auto_destroy_inactivity").IsNull() || !st.val.GetAttr("auto_destroy_at").IsNull() {
		s.fail("prewarm_workspace: removed destroy settings still in state: %s", fmtVal(st.val))
	}

	// owner, template and preset make a new workspace.
	other := sc.wsCfg(M{"owner": "someone-else", "wait_ready": "5m"})
	rp := s.plan(tWorkspace, st, sc.cfg(tWorkspace, other))
	found := false
	for _, p := range rp.requiresReplace {
		found = found || p.Equals(path("owner"))
	}
	if !found {
		s.fail("PlanResourceChange prewarm_workspace: a new owner does not return requires_replace [owner]")
	}
	s.pass("PlanResourceChange prewarm_workspace (owner changed): requires_replace includes owner")

	// Import by id: the read of the stub is the applied state (wait_ready lives only in configuration and state).
	id := st.val.GetAttr("id").AsString()
	res, errs := s.importState(tWorkspace, id)
	if len(errs) > 0 || len(res) != 1 || res[0].GetTypeName() != tWorkspace {
		s.fail("ImportResourceState prewarm_workspace %q: %d resources, errors %v", id, len(res), errs)
	}
	stub := s.decode("ImportResourceState prewarm_workspace state", b, res[0].GetState())
	s.wholeKnown("ImportResourceState prewarm_workspace state", stub)
	imported := s.read(tWorkspace, instance{val: stub, private: res[0].GetPrivate()})
	if want := setAttr(st.val, "wait_ready", cty.NullVal(cty.String)); !sameValue(imported.val, want) {
		s.fail("ReadResource prewarm_workspace after import differs from the applied state\n  applied:  %s\n  imported: %s", fmtVal(want), fmtVal(imported.val))
	}
	if pl := s.plan(tWorkspace, imported, sc.cfg(tWorkspace, sc.wsCfg(nil))); !sameValue(pl.val, imported.val) {
		s.fail("PlanResourceChange prewarm_workspace after import is not a no-op: %s", fmtVal(pl.val))
	}
	s.pass("ImportResourceState prewarm_workspace %q: the read equals the applied state, and the configuration plans no change", id)

	sc.pastInstant(s)

	// Destroy: delete, wait for the archive; the record reads as gone afterwards.
	gone := s.apply(tWorkspace, st, planned{val: cty.NullVal(ty), private: st.private}, cty.NullVal(ty))
	if !gone.val.IsNull() {
		s.fail("ApplyResourceChange prewarm_workspace (delete): new_state not null")
	}
	if after := s.read(tWorkspace, st); !after.val.IsNull() {
		s.fail("ReadResource prewarm_workspace after delete: %s; an archived workspace must read as gone", fmtVal(after.val))
	}
	s.pass("ApplyResourceChange prewarm_workspace (delete): null, and the archived workspace reads as gone (planned for re-creation)")
	s.close()
}

// pastInstant: an auto_destroy_at that has passed is valid at plan time, and refused at apply with an error at
// auto_destroy_at; nothing is claimed, so the new state is null.
func (sc *scenario) pastInstant(s *session) {
	b := sc.blk(tWorkspace)
	ty := impliedType(b)
	cfg := sc.cfg(tWorkspace, sc.wsCfg(M{"auto_destroy_at": "2001-01-01T00:00:00Z"}))
	s.noErrors("ValidateResourceConfig prewarm_workspace (auto_destroy_at in the past)", s.validateResource(tWorkspace, cfg))
	pl := s.plan(tWorkspace, instance{val: cty.NullVal(ty)}, cfg)
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.p.rpc.ApplyResourceChange(ctx, &tfplugin6.ApplyResourceChange_Request{
		TypeName:       tWorkspace,
		PriorState:     encodeDV(cty.NullVal(ty), ty),
		PlannedState:   encodeDV(pl.val, ty),
		Config:         encodeDV(cfg, ty),
		PlannedPrivate: pl.private,
	})
	s.rpcErr("ApplyResourceChange prewarm_workspace (auto_destroy_at in the past)", err)
	errs := s.diags("ApplyResourceChange prewarm_workspace (auto_destroy_at in the past)", resp.GetDiagnostics())
	s.expectPathError("ApplyResourceChange prewarm_workspace (auto_destroy_at in the past)", errs, cfg, path("auto_destroy_at"))
	if v := s.decode("ApplyResourceChange prewarm_workspace (auto_destroy_at in the past) new_state", b, resp.GetNewState()); !v.IsNull() {
		s.fail("ApplyResourceChange prewarm_workspace (auto_destroy_at in the past): refused, but new_state is %s", fmtVal(v))
	}
}
