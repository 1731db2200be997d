package main

// prewarm_notification_target: the schema flags (a sensitive secret, optional+computed defaults), validation at
// plan time with errors at the offending attribute, and the walk: create with the defaults planned, refresh, in-place
// updates, a default restored, rename, a create refused for a name that exists, drift, import by name (the secret
// null until the next apply), destroy.

import (
	"strings"

	"github.com/zclconf/go-cty/cty"

	"prewarmconformance/tfplugin6"
)

const tTarget = "prewarm_notification_target"

// ntSecret and ntSecret2 are test secrets; no diagnostic may ever quote them.
const (
	ntSecret  = "conformance-secret-0123456789"
	ntSecret2 = "conformance-secret-rotated-9876"
)

func (sc *scenario) ntCfg(extra M) M {
	// Port 9 (discard) on loopback: nothing listens there, and it is not the controller's own port, so deliveries
	// that happen during the harness are refused and retried, never sent anywhere.
	m := M{"name": sc.target, "url": "http://127.0.0.1:9/conformance", "secret": ntSecret, "events": []string{"workspace_deleted", "workspace_autostopped"}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// checkTargetSchema: the secret is sensitive, format and enabled are optional+computed, id computed.
func (sc *scenario) checkTargetSchema(s *session) {
	want := map[string][4]bool{ // required, optional, computed, sensitive
		"id":      {false, false, true, false},
		"name":    {true, false, false, false},
		"url":     {true, false, false, false},
		"secret":  {true, false, false, true},
		"events":  {true, false, false, false},
		"format":  {false, true, true, false},
		"enabled": {false, true, true, false},
	}
	attrs := sc.blk(tTarget).GetAttributes()
	if len(attrs) != len(want) {
		s.fail("GetProviderSchema %s: %d attributes, want %d", tTarget, len(attrs), len(want))
	}
	for _, a := range attrs {
		got := [4]bool{a.GetRequired(), a.GetOptional(), a.GetComputed(), a.GetSensitive()}
		if w, ok := want[a.GetName()]; !ok || got != w {
			s.fail("GetProviderSchema %s.%s: required/optional/computed/sensitive = %v, want %v", tTarget, a.GetName(), got, w)
		}
	}
	s.pass("GetProviderSchema %s: secret required and sensitive, format and enabled optional+computed, id computed", tTarget)
}

// noSecretIn fails when a diagnostic quotes a secret.
func (s *session) noSecretIn(what string, ds []*tfplugin6.Diagnostic, secrets ...string) {
	for _, d := range ds {
		for _, sec := range secrets {
			if strings.Contains(d.GetSummary(), sec) || strings.Contains(d.GetDetail(), sec) {
				s.fail("%s: a diagnostic quotes the secret: %s", what, fmtDiag(d))
			}
		}
	}
}

// validateNotificationTarget runs in the validate walk: good, unknown and bad configurations, each bad one with an
// error at the offending attribute.
func (sc *scenario) validateNotificationTarget(s *session) {
	sc.checkTargetSchema(s)
	good := sc.cfg(tTarget, sc.ntCfg(M{"format": "slack", "enabled": false}))
	s.noErrors("ValidateResourceConfig "+tTarget, s.validateResource(tTarget, good))
	s.noErrors("ValidateResourceConfig "+tTarget+" (events [\"*\"])", s.validateResource(tTarget, sc.cfg(tTarget, sc.ntCfg(M{"events": []string{"*"}}))))
	unk := sc.cfg(tTarget, M{
		"name": cty.UnknownVal(cty.String), "url": cty.UnknownVal(cty.String), "secret": cty.UnknownVal(cty.String),
		"events": cty.UnknownVal(cty.List(cty.String)), "format": cty.UnknownVal(cty.String), "enabled": cty.UnknownVal(cty.Bool),
	})
	s.noErrors("ValidateResourceConfig "+tTarget+" (unknown values)", s.validateResource(tTarget, unk))
	unkElem := sc.cfg(tTarget, sc.ntCfg(M{"events": cty.ListVal([]cty.Value{cty.StringVal("workspace_deleted"), cty.UnknownVal(cty.String)})}))
	s.noErrors("ValidateResourceConfig "+tTarget+" (an unknown event)", s.validateResource(tTarget, unkElem))
	s.rewrite = refineUnknowns
	s.noErrors("ValidateResourceConfig "+tTarget+" (refined unknowns)", s.validateResource(tTarget, unk))
	s.rewrite = nil
	s.pass("ValidateResourceConfig %s: full configurations, unknown values and an unknown list element are valid", tTarget)

	short := "short-secret" // under 16 characters
	for _, c := range []struct {
		what string
		set  M
		at   cty.Path
	}{
		{"url ftp://", M{"url": "ftp://hooks.example.com/x"}, path("url")},
		{"url with credentials", M{"url": "https://user:pw@hooks.example.com/"}, path("url")},
		{"unknown event type", M{"events": []string{"workspace_deleted", "workspace_exploded"}}, path("events", 1)},
		{"\"*\" with another event", M{"events": []string{"*", "workspace_deleted"}}, path("events")},
		{"no events", M{"events": []string{}}, path("events")},
		{"short secret", M{"secret": short}, path("secret")},
		{"format \"xml\"", M{"format": "xml"}, path("format")},
		{"name \"no/slashes\"", M{"name": "no/slashes"}, path("name")},
	} {
		bad := sc.cfg(tTarget, sc.ntCfg(c.set))
		what := "ValidateResourceConfig " + tTarget + " (" + c.what + ")"
		errs := s.validateResource(tTarget, bad)
		s.expectPathError(what, errs, bad, c.at)
		s.noSecretIn(what, errs, short, ntSecret)
	}
}

// notificationWalk: the target's whole life against the controller, every plan and apply held to the rules.
func (sc *scenario) notificationWalk() {
	s := sc.h.open("notification target", "TF_LOG=trace")
	s.configured(sc.providerCfg())
	b := sc.blk(tTarget)
	ty := impliedType(b)
	null := instance{val: cty.NullVal(ty)}

	// Create: id known (the name), format and enabled planned as their defaults.
	cfgM := sc.ntCfg(nil)
	cfg := sc.cfg(tTarget, cfgM)
	s.noErrors("ValidateResourceConfig "+tTarget, s.validateResource(tTarget, cfg))
	// The plan walk may not know the secret or one event yet (from other resources); the final plan must agree.
	unkM := sc.ntCfg(M{
		"secret": cty.UnknownVal(cty.String),
		"events": cty.ListVal([]cty.Value{cty.StringVal("workspace_deleted"), cty.UnknownVal(cty.String)}),
	})
	s.rewrite = refineUnknowns
	initial := s.plan(tTarget, null, sc.cfg(tTarget, unkM))
	s.rewrite = nil
	pl := s.plan(tTarget, null, cfg)
	if err := checkCompatible(b, initial.val, pl.val, nil); err != nil {
		s.fail("PlanResourceChange %s: inconsistent final plan: %v\n  initial: %s\n  final:   %s", tTarget, err, fmtVal(initial.val), fmtVal(pl.val))
	}
	for name, want := range map[string]cty.Value{"id": cty.StringVal(sc.target), "format": cty.StringVal("json"), "enabled": cty.True} {
		if got := pl.val.GetAttr(name); !got.IsKnown() || !sameValue(got, want) {
			s.fail("PlanResourceChange %s (create): %s planned %s, want %s", tTarget, name, fmtVal(got), fmtVal(want))
		}
	}
	s.pass("PlanResourceChange %s (create): id is the name, format and enabled their defaults; a plan with unknowns is consistent with it", tTarget)
	st := s.apply(tTarget, null, pl, cfg)
	read := s.read(tTarget, st)
	if !sameValue(read.val, st.val) {
		s.fail("ReadResource %s right after apply differs\n  state: %s\n  read:  %s", tTarget, fmtVal(st.val), fmtVal(read.val))
	}
	if again := s.plan(tTarget, read, cfg); !sameValue(again.val, read.val) {
		s.fail("PlanResourceChange %s (unchanged config) is not a no-op: %s", tTarget, fmtVal(again.val))
	}
	s.pass("ApplyResourceChange %s (create) and ReadResource: the state (secret from the configuration) survives refresh; no-op plan", tTarget)

	// A second create of the same name (another configuration, or the CLI made it): refused at name, nothing saved.
	ctx, cancel := s.ctx()
	resp, err := s.p.rpc.ApplyResourceChange(ctx, &tfplugin6.ApplyResourceChange_Request{
		TypeName: tTarget, PriorState: encodeDV(cty.NullVal(ty), ty), PlannedState: encodeDV(pl.val, ty), Config: encodeDV(cfg, ty),
	})
	cancel()
	what := "ApplyResourceChange " + tTarget + " (create of a name that exists)"
	s.rpcErr(what, err)
	errs := s.diags(what, resp.GetDiagnostics())
	s.expectPathError(what, errs, cfg, path("name"))
	s.noSecretIn(what, errs, ntSecret)
	if len(errs) > 0 && !strings.Contains(errs[0].GetDetail(), "terraform import") {
		s.fail("%s: the error does not say to import it: %s", what, fmtDiag(errs[0]))
	}
	if v := s.decode(what+" new_state", b, resp.GetNewState()); !v.IsNull() {
		s.fail("%s: refused, but new_state is %s", what, fmtVal(v))
	}

	// In place: each change applied and refreshed exactly; removing format goes back to the default.
	prevState := st
	for _, v := range []struct {
		what string
		m    M
	}{
		{"url changed", sc.ntCfg(M{"url": "http://127.0.0.1:9/moved"})},
		{"events [\"*\"], format slack, enabled false", sc.ntCfg(M{"url": "http://127.0.0.1:9/moved", "events": []string{"*"}, "format": "slack", "enabled": false})},
		{"secret rotated", sc.ntCfg(M{"url": "http://127.0.0.1:9/moved", "events": []string{"*"}, "format": "slack", "enabled": false, "secret": ntSecret2})},
		{"format and enabled removed (defaults again)", sc.ntCfg(M{"url": "http://127.0.0.1:9/moved", "events": []string{"*"}, "secret": ntSecret2})},
	} {
		p := s.plan(tTarget, st, sc.cfg(tTarget, v.m))
		if len(p.requiresReplace) > 0 {
			s.fail("PlanResourceChange %s (%s): an in-place change asks to replace %s", tTarget, v.what, fmtPath(p.requiresReplace[0]))
		}
		st = sc.updateTo(s, tTarget, st, v.m)
		s.pass("%s %s: updated in place, and refresh returns exactly the applied state", tTarget, v.what)
	}
	if st.val.GetAttr("format").AsString() != "json" || st.val.GetAttr("enabled").False() {
		s.fail("%s: format and enabled removed from the configuration are not back to json and true: %s", tTarget, fmtVal(st.val))
	}
	finalM := sc.ntCfg(M{"url": "http://127.0.0.1:9/moved", "events": []string{"*"}, "secret": ntSecret2})

	// Drift: the state from before the updates, refreshed, reads the controller's values and keeps its own secret.
	drift := s.read(tTarget, prevState)
	if !sameValue(drift.val.GetAttr("url"), st.val.GetAttr("url")) || !sameValue(drift.val.GetAttr("events"), st.val.GetAttr("events")) {
		s.fail("ReadResource %s of an outdated state does not report the controller's values: %s", tTarget, fmtVal(drift.val))
	}
	if !sameValue(drift.val.GetAttr("secret"), prevState.val.GetAttr("secret")) {
		s.fail("ReadResource %s: the secret must come from the state (the controller never returns it), got %s", tTarget, fmtVal(drift.val.GetAttr("secret")))
	}
	s.pass("ReadResource %s of an outdated state: url and events drift reported, the secret kept from the state", tTarget)

	rp := s.plan(tTarget, st, sc.cfg(tTarget, sc.ntCfg(M{"name": sc.target + "-renamed"})))
	found := false
	for _, p := range rp.requiresReplace {
		found = found || p.Equals(path("name"))
	}
	if !found {
		s.fail("PlanResourceChange %s: a new name does not return requires_replace [name]", tTarget)
	}
	s.pass("PlanResourceChange %s (rename): requires_replace includes name", tTarget)

	// Import by name: everything but the secret; the configuration then plans the secret as an in-place update.
	res, ierrs := s.importState(tTarget, sc.target)
	if len(ierrs) > 0 || len(res) != 1 || res[0].GetTypeName() != tTarget {
		s.fail("ImportResourceState %s %q: %d resources, errors %v", tTarget, sc.target, len(res), ierrs)
	}
	stub := s.decode("ImportResourceState "+tTarget+" state", b, res[0].GetState())
	s.wholeKnown("ImportResourceState "+tTarget+" state", stub)
	imported := s.read(tTarget, instance{val: stub, private: res[0].GetPrivate()})
	if want := setAttr(st.val, "secret", cty.NullVal(cty.String)); !sameValue(imported.val, want) {
		s.fail("ReadResource %s after import: want the applied state with a null secret\n  want: %s\n  got:  %s", tTarget, fmtVal(want), fmtVal(imported.val))
	}
	ip := s.plan(tTarget, imported, sc.cfg(tTarget, finalM))
	if len(ip.requiresReplace) > 0 || !sameValue(ip.val.GetAttr("secret"), cty.StringVal(ntSecret2)) {
		s.fail("PlanResourceChange %s after import: want the secret set in place, got %s (replace %d paths)", tTarget, fmtVal(ip.val), len(ip.requiresReplace))
	}
	st = sc.updateTo(s, tTarget, imported, finalM)
	s.pass("ImportResourceState %s %q: the read has every value but the secret (null); the next apply sets it in place", tTarget, sc.target)

	// Destroy; a second delete (already gone) succeeds too, and the target reads as gone.
	for i := 0; i < 2; i++ {
		gone := s.apply(tTarget, st, planned{val: cty.NullVal(ty), private: st.private}, cty.NullVal(ty))
		if !gone.val.IsNull() {
			s.fail("ApplyResourceChange %s (delete #%d): new_state not null", tTarget, i+1)
		}
	}
	if after := s.read(tTarget, st); !after.val.IsNull() {
		s.fail("ReadResource %s after delete: %s; a deleted target must read as gone", tTarget, fmtVal(after.val))
	}
	s.pass("ApplyResourceChange %s (delete, twice): null; the deleted target reads as gone (planned for re-creation)", tTarget)
	s.close()
}
