package main

// The RPC sequences of terraform validate, plan, apply, refresh, import and destroy, replayed against prewarm's
// resources. Every phase is its own provider process, as every Terraform graph walk is.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"

	"prewarmconformance/tfplugin6"
)

const (
	tTemplate  = "prewarm_template"
	tPreset    = "prewarm_preset"
	tWorkspace = "prewarm_workspace"
)

type scenario struct {
	h        *harness
	tpl      string // template name
	preset   string // preset name
	target   string // notification target name
	tplCfg1  M
	tplCfg2  M
	preCfg1  M
	preCfg2  M
	provider M

	// what the "plan" walk planned, compared with the apply walk's final plans
	initialTpl    planned
	initialPreset planned
	tplState      instance
	presetState   instance
}

func newScenario(h *harness) *scenario {
	sfx := randomSuffix()
	sc := &scenario{h: h, tpl: "conformance-" + sfx, preset: "pool-" + sfx, target: "hook-" + sfx}
	sc.provider = M{"endpoint": h.endpoint, "token": h.token}
	sc.tplCfg1 = M{
		"name": sc.tpl, "driver": h.driver, "config": map[string]string{"build_seconds": "0"},
		"lifecycle_policy": []M{{"autostop_after": "8h", "autostop_reminder": "30m", "auto_destroy_reminder": "1h"}},
	}
	sc.tplCfg2 = M{
		"name": sc.tpl, "driver": h.driver, "config": map[string]string{"build_seconds": "0", "label": "updated"},
		"lifecycle_policy": []M{{"autostop_after": "480m", "stopped_ttl": "7d", "dormant_after": "14d", "dormant_delete_after": "30d"}},
	}
	sc.preCfg1 = sc.presetCfg(nil)
	sc.preCfg2 = M{
		"template":    sc.tpl,
		"name":        sc.preset,
		"description": "conformance preset, updated",
		"parameters":  map[string]string{"editor": "emacs"},
		"prebuilds": []M{{
			"instances":         0,
			"expiration_policy": []M{{"ttl": 3600}},
			"scheduling": []M{{
				"timezone": "Europe/Berlin",
				"schedule": []M{
					{"cron": "* 8-18 * * 1-5", "instances": 0},
					{"cron": "* 8-14 * * 6", "instances": 0},
					{"cron": "* 20-21 * * 0", "instances": 0},
				},
			}},
		}},
	}
	return sc
}

// presetCfg is the first preset configuration; edit changes it before it is built (for the bad and unknown
// variants).
func (sc *scenario) presetCfg(edit func(root M, prebuilds M, scheduling M, schedules []M)) M {
	schedules := []M{
		{"cron": "* 8-18 * * 1-5", "instances": 0},
		{"cron": "* 8-14 * * 6", "instances": 0},
	}
	scheduling := M{"timezone": "America/New_York", "lead_time": "30m", "schedule": schedules}
	prebuilds := M{"instances": 0, "expiration_policy": []M{{"ttl": 86400}}, "scheduling": []M{scheduling}}
	root := M{
		"template":    sc.tpl,
		"name":        sc.preset,
		"description": "conformance preset – ünïcödé ✓ 🚀",
		"parameters":  map[string]string{"editor": "vim"},
		"prebuilds":   []M{prebuilds},
	}
	if edit != nil {
		edit(root, prebuilds, scheduling, schedules)
	}
	return root
}

func (sc *scenario) blk(typ string) *tfplugin6.Schema_Block { return sc.h.resource(typ).GetBlock() }
func (sc *scenario) dataBlk(typ string) *tfplugin6.Schema_Block {
	return sc.h.dataSource(typ).GetBlock()
}
func (sc *scenario) cfg(typ string, m M) cty.Value { return mustBuild(sc.blk(typ), m) }
func (sc *scenario) providerCfg() cty.Value {
	return mustBuild(sc.h.schema.GetProvider().GetBlock(), sc.provider)
}
func (sc *scenario) dataCfg() cty.Value {
	return mustBuild(sc.dataBlk(tPreset), M{"template": sc.tpl, "name": sc.preset})
}
func (sc *scenario) schemaVersion(typ string) int64 { return sc.h.resource(typ).GetVersion() }

// path builds a cty path from attribute names (string) and list indexes (int).
func path(steps ...interface{}) cty.Path {
	var p cty.Path
	for _, s := range steps {
		switch x := s.(type) {
		case string:
			p = append(p, cty.GetAttrStep{Name: x})
		case int:
			p = append(p, cty.IndexStep{Key: cty.NumberIntVal(int64(x))})
		}
	}
	return p
}

func run(h *harness) {
	sc := newScenario(h)
	h.info("provider %s, controller %s, template %q, preset %q", h.providerPath, h.endpoint, sc.tpl, sc.preset)
	sc.validateWalk()
	sc.unreachableWalks()
	sc.planWalk()
	sc.applyWalk()
	sc.refreshWalk()
	sc.updateWalk()
	sc.importWalk()
	sc.workspaceWalk()
	sc.notificationWalk()
	sc.destroyWalk()
	sc.recreateWalk()
}

// 1. terraform validate: schema, ValidateProviderConfig, Validate{Resource,DataResource}Config on an
// unconfigured provider; values may be unknown.
func (sc *scenario) validateWalk() {
	h := sc.h
	s := h.open("validate")

	// GetMetadata is never called by Terraform, but must not break anything; UNIMPLEMENTED is fine.
	ctx, cancel := s.ctx()
	md, err := s.p.rpc.GetMetadata(ctx, &tfplugin6.GetMetadata_Request{})
	cancel()
	switch {
	case isUnimplemented(err):
		s.pass("GetMetadata: UNIMPLEMENTED (Terraform never calls it)")
	case err != nil:
		s.fail("GetMetadata: gRPC error other than UNIMPLEMENTED: %v", err)
	default:
		s.noErrors("GetMetadata", md.GetDiagnostics())
		s.pass("GetMetadata: %d resources, %d data sources", len(md.GetResources()), len(md.GetDataSources()))
	}

	resp := s.getSchema()
	s.getSchema() // deterministic: a second call answers the same
	if md != nil {
		for _, r := range md.GetResources() {
			if resp.GetResourceSchemas()[r.GetTypeName()] == nil {
				s.fail("GetMetadata lists resource %q that GetProviderSchema does not have", r.GetTypeName())
			}
		}
		for _, d := range md.GetDataSources() {
			if resp.GetDataSourceSchemas()[d.GetTypeName()] == nil {
				s.fail("GetMetadata lists data source %q that GetProviderSchema does not have", d.GetTypeName())
			}
		}
	}

	pb := resp.GetProvider().GetBlock()
	s.noErrors("ValidateProviderConfig", s.validateProvider(sc.providerCfg()))
	s.pass("ValidateProviderConfig: endpoint and token accepted")
	unknownProvider := mustBuild(pb, M{"endpoint": cty.UnknownVal(cty.String), "token": cty.UnknownVal(cty.String)})
	s.noErrors("ValidateProviderConfig (unknown endpoint and token)", s.validateProvider(unknownProvider))
	s.pass("ValidateProviderConfig: unknown endpoint and token accepted")

	// good configurations
	s.noErrors("ValidateResourceConfig prewarm_template", s.validateResource(tTemplate, sc.cfg(tTemplate, sc.tplCfg1)))
	s.noErrors("ValidateResourceConfig prewarm_preset", s.validateResource(tPreset, sc.cfg(tPreset, sc.preCfg1)))
	s.noErrors("ValidateResourceConfig prewarm_preset (second configuration)", s.validateResource(tPreset, sc.cfg(tPreset, sc.preCfg2)))
	s.noErrors("ValidateDataResourceConfig prewarm_preset", s.validateData(tPreset, sc.dataCfg()))
	s.pass("ValidateResourceConfig / ValidateDataResourceConfig: the scenario's configurations are valid (provider not configured)")

	// unknown values: attributes from other resources, and a whole `dynamic` block collection
	unkTpl := sc.cfg(tTemplate, M{"name": cty.UnknownVal(cty.String), "driver": h.driver, "config": cty.UnknownVal(cty.Map(cty.String))})
	s.noErrors("ValidateResourceConfig prewarm_template (unknown name and config)", s.validateResource(tTemplate, unkTpl))
	unkPreset := sc.cfg(tPreset, sc.presetCfg(func(root, prebuilds, scheduling M, schedules []M) {
		root["template"] = cty.UnknownVal(cty.String)
		root["parameters"] = cty.UnknownVal(cty.Map(cty.String))
		prebuilds["instances"] = cty.UnknownVal(cty.Number)
		scheduling["timezone"] = cty.UnknownVal(cty.String)
		schedules[0]["cron"] = cty.UnknownVal(cty.String)
		schedules[1]["instances"] = cty.UnknownVal(cty.Number)
	}))
	s.noErrors("ValidateResourceConfig prewarm_preset (unknown attributes)", s.validateResource(tPreset, unkPreset))
	prebuildsTy := impliedType(sc.blk(tPreset)).AttributeType("prebuilds")
	dynPreset := sc.cfg(tPreset, M{"template": sc.tpl, "name": sc.preset, "prebuilds": cty.UnknownVal(prebuildsTy)})
	s.noErrors("ValidateResourceConfig prewarm_preset (whole prebuilds block collection unknown, as from a dynamic block)", s.validateResource(tPreset, dynPreset))
	schedTy := prebuildsTy.ElementType().AttributeType("scheduling").ElementType().AttributeType("schedule")
	dynSched := sc.cfg(tPreset, sc.presetCfg(func(_, _, scheduling M, _ []M) {
		scheduling["schedule"] = cty.UnknownVal(schedTy)
	}))
	s.noErrors("ValidateResourceConfig prewarm_preset (schedule blocks unknown)", s.validateResource(tPreset, dynSched))
	unkData := mustBuild(sc.dataBlk(tPreset), M{"template": cty.UnknownVal(cty.String), "name": sc.preset})
	s.noErrors("ValidateDataResourceConfig prewarm_preset (unknown template)", s.validateData(tPreset, unkData))
	s.pass("validation accepts unknown values: attributes, a map, whole nested block collections")
	s.rewrite = refineUnknowns
	s.noErrors("ValidateProviderConfig (refined unknowns)", s.validateProvider(unknownProvider))
	s.noErrors("ValidateResourceConfig prewarm_template (refined unknowns)", s.validateResource(tTemplate, unkTpl))
	s.noErrors("ValidateResourceConfig prewarm_preset (refined unknowns)", s.validateResource(tPreset, unkPreset))
	s.noErrors("ValidateResourceConfig prewarm_preset (refined unknown block list)", s.validateResource(tPreset, dynPreset))
	s.noErrors("ValidateDataResourceConfig prewarm_preset (refined unknown)", s.validateData(tPreset, unkData))
	s.rewrite = nil
	s.pass("validation accepts refined unknowns (msgpack ext 12, as Terraform 1.6+ sends them)")

	badName := sc.cfg(tTemplate, M{"name": "Bad Name!", "driver": h.driver})
	s.expectPathError("ValidateResourceConfig prewarm_template (name \"Bad Name!\")", s.validateResource(tTemplate, badName), badName, path("name"))
	for _, c := range []struct {
		what   string
		policy M
		attr   string
	}{
		{"autostop_after \"8\" (no unit)", M{"autostop_after": "8"}, "autostop_after"},
		{"stopped_ttl \"400d\" (over 365d)", M{"stopped_ttl": "400d"}, "stopped_ttl"},
		{"autostop_reminder as long as autostop_after", M{"autostop_after": "1h", "autostop_reminder": "1h"}, "autostop_reminder"},
	} {
		badPolicy := sc.cfg(tTemplate, M{"name": sc.tpl, "driver": h.driver, "lifecycle_policy": []M{c.policy}})
		s.expectPathError("ValidateResourceConfig prewarm_template (lifecycle_policy "+c.what+")", s.validateResource(tTemplate, badPolicy), badPolicy,
			path("lifecycle_policy", 0, c.attr))
	}
	emptyPolicy := sc.cfg(tTemplate, M{"name": sc.tpl, "driver": h.driver, "lifecycle_policy": []M{{}}})
	s.noErrors("ValidateResourceConfig prewarm_template (empty lifecycle_policy block)", s.validateResource(tTemplate, emptyPolicy))
	unkPolicy := sc.cfg(tTemplate, M{"name": sc.tpl, "driver": h.driver, "lifecycle_policy": cty.UnknownVal(impliedType(sc.blk(tTemplate)).AttributeType("lifecycle_policy"))})
	s.noErrors("ValidateResourceConfig prewarm_template (lifecycle_policy blocks unknown)", s.validateResource(tTemplate, unkPolicy))
	s.pass("ValidateResourceConfig prewarm_template: an empty and an unknown lifecycle_policy are valid")
	sc.validateWorkspace(s)
	sc.validateNotificationTarget(s)

	badData := mustBuild(sc.dataBlk(tPreset), M{"template": sc.tpl, "name": "no/slashes"})
	s.expectPathError("ValidateDataResourceConfig prewarm_preset (name \"no/slashes\")", s.validateData(tPreset, badData), badData, path("name"))

	// bad configurations: an error diagnostic with the attribute path of the offending value
	bad := sc.cfg(tPreset, sc.presetCfg(func(_, _, scheduling M, _ []M) { scheduling["timezone"] = "Mars/Olympus_Mons" }))
	s.expectPathError("ValidateResourceConfig prewarm_preset (time zone Mars/Olympus_Mons)", s.validateResource(tPreset, bad), bad,
		path("prebuilds", 0, "scheduling", 0, "timezone"))
	bad = sc.cfg(tPreset, sc.presetCfg(func(_, _, _ M, schedules []M) { schedules[1]["cron"] = "0 8-14 * * 6" }))
	s.expectPathError("ValidateResourceConfig prewarm_preset (second schedule's cron minute is not *)", s.validateResource(tPreset, bad), bad,
		path("prebuilds", 0, "scheduling", 0, "schedule", 1, "cron"))
	bad = sc.cfg(tPreset, sc.presetCfg(func(_, _, _ M, schedules []M) { schedules[1]["instances"] = -1 }))
	s.expectPathError("ValidateResourceConfig prewarm_preset (schedule instances -1)", s.validateResource(tPreset, bad), bad,
		path("prebuilds", 0, "scheduling", 0, "schedule", 1, "instances"))
	for _, big := range []string{"12345678901234567890", "9223372036854775808"} {
		n := cty.MustParseNumberVal(big)
		enc, _ := msgpack.Marshal(n, cty.Number)
		bad = sc.cfg(tPreset, sc.presetCfg(func(_, prebuilds, _ M, _ []M) { prebuilds["instances"] = n }))
		s.expectPathError(fmt.Sprintf("ValidateResourceConfig prewarm_preset (instances = %s, on the wire as %s)", big, msgpackKind(enc)),
			s.validateResource(tPreset, bad), bad, path("prebuilds", 0, "instances"))
	}

	// Terraform validates many blocks at once on one process
	cfgT, cfgP := sc.cfg(tTemplate, sc.tplCfg1), sc.cfg(tPreset, sc.preCfg1)
	if err := parallel(10, func(i int) error {
		var errs []*tfplugin6.Diagnostic
		if i%2 == 0 {
			errs = s.validateResource(tTemplate, cfgT)
		} else {
			errs = s.validateResource(tPreset, cfgP)
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s", fmtDiag(errs[0]))
		}
		return nil
	}); err != nil {
		s.fail("10 concurrent ValidateResourceConfig calls: %v", err)
	}
	s.pass("10 concurrent ValidateResourceConfig calls: all valid")

	// ConfigureProvider with unknowns happens in plan walks (provider config from other resources): the
	// provider may refuse with a diagnostic or degrade, but must answer.
	ds := s.configure(unknownProvider)
	if len(ds) > 0 {
		s.pass("ConfigureProvider with unknown endpoint/token: refused with a diagnostic: %s", fmtDiag(ds[0]))
	} else {
		s.pass("ConfigureProvider with unknown endpoint/token: accepted")
		// new resources are still planned in such a walk
		pl := s.plan(tTemplate, instance{val: cty.NullVal(impliedType(sc.blk(tTemplate)))}, sc.cfg(tTemplate, sc.tplCfg1))
		s.pass("PlanResourceChange prewarm_template (create) with an unknown provider configuration: valid plan %s", fmtVal(pl.val))
	}
	s.close()
}

func msgpackKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch c := b[0]; {
	case c>>5 == 0x5 || c == 0xd9 || c == 0xda || c == 0xdb:
		return "a msgpack string"
	case c == 0xcb:
		return "a msgpack float64"
	case c == 0xcf:
		return "a msgpack uint64"
	case c == 0xd3:
		return "a msgpack int64"
	}
	return fmt.Sprintf("msgpack 0x%02x", b[0])
}

// 2. terraform plan for a new template and a new preset whose template name is not known yet.
func (sc *scenario) planWalk() {
	s := sc.h.open("plan")
	s.configured(sc.providerCfg())
	null := func(typ string) instance { return instance{val: cty.NullVal(impliedType(sc.blk(typ)))} }

	cfgT := sc.cfg(tTemplate, sc.tplCfg1)
	s.noErrors("ValidateResourceConfig prewarm_template", s.validateResource(tTemplate, cfgT))
	sc.initialTpl = s.plan(tTemplate, null(tTemplate), cfgT)
	s.pass("PlanResourceChange prewarm_template (create): valid plan %s", fmtVal(sc.initialTpl.val))

	// Terraform runs up to 10 plans at once on one process: they must all succeed and agree.
	plans := make([]cty.Value, 10)
	if err := parallel(10, func(i int) error {
		plans[i] = s.plan(tTemplate, null(tTemplate), cfgT).val
		return nil
	}); err != nil {
		s.fail("concurrent PlanResourceChange: %v", err)
	}
	for i, v := range plans {
		if !sameValue(v, sc.initialTpl.val) {
			s.fail("concurrent PlanResourceChange prewarm_template #%d planned %s, the first plan was %s", i, fmtVal(v), fmtVal(sc.initialTpl.val))
		}
	}
	s.pass("10 concurrent PlanResourceChange prewarm_template: all valid and identical")

	// The template name comes from another resource and is not known yet; Terraform 1.6+ refines it
	// ("not null, starts with conformance-").
	cfgP := sc.cfg(tPreset, sc.presetCfg(func(root, _, _ M, _ []M) { root["template"] = cty.UnknownVal(cty.String) }))
	s.rewrite = func(b []byte) []byte {
		return bytes.Replace(b, []byte{0xd4, 0x00, 0x00}, refinedPrefixUnknown("conformance-"), -1)
	}
	s.noErrors("ValidateResourceConfig prewarm_preset", s.validateResource(tPreset, cfgP))
	sc.initialPreset = s.plan(tPreset, null(tPreset), cfgP)
	s.rewrite = nil
	if sc.initialPreset.val.GetAttr("template").IsKnown() {
		s.fail("PlanResourceChange prewarm_preset: template is unknown in config but planned known")
	}
	s.pass("PlanResourceChange prewarm_preset (create, template a refined unknown): valid plan %s", fmtVal(sc.initialPreset.val))

	// values from other resources inside nested blocks, and blocks generated by `dynamic` from unknown collections
	prebuildsTy := impliedType(sc.blk(tPreset)).AttributeType("prebuilds")
	schedTy := prebuildsTy.ElementType().AttributeType("scheduling").ElementType().AttributeType("schedule")
	for _, v := range []struct {
		what string
		cfg  cty.Value
	}{
		{"instances and a cron unknown", sc.cfg(tPreset, sc.presetCfg(func(_, prebuilds, _ M, schedules []M) {
			prebuilds["instances"] = cty.UnknownVal(cty.Number)
			schedules[1]["cron"] = cty.UnknownVal(cty.String)
		}))},
		{"schedule blocks from an unknown dynamic collection", sc.cfg(tPreset, sc.presetCfg(func(_, _, scheduling M, _ []M) {
			scheduling["schedule"] = cty.UnknownVal(schedTy)
		}))},
		{"all prebuilds blocks from an unknown dynamic collection", sc.cfg(tPreset, sc.presetCfg(func(root, _, _ M, _ []M) {
			root["prebuilds"] = cty.UnknownVal(prebuildsTy)
		}))},
	} {
		s.rewrite = refineUnknowns
		s.noErrors("ValidateResourceConfig prewarm_preset ("+v.what+")", s.validateResource(tPreset, v.cfg))
		pl := s.plan(tPreset, null(tPreset), v.cfg)
		s.rewrite = nil
		s.pass("PlanResourceChange prewarm_preset (create, %s): valid plan", v.what)
		final := s.plan(tPreset, null(tPreset), sc.cfg(tPreset, sc.preCfg1))
		if err := checkCompatible(sc.blk(tPreset), pl.val, final.val, nil); err != nil {
			s.fail("PlanResourceChange prewarm_preset: Provider produced inconsistent final plan (initial plan with %s): %v", v.what, err)
		}
	}
	s.pass("plans with unknown nested values stay consistent with the final plans")
	s.close()
}

// 3. terraform apply: final plans (compared with the initial ones), apply, then the data source.
func (sc *scenario) applyWalk() {
	s := sc.h.open("apply")
	s.configured(sc.providerCfg())
	null := func(typ string) instance { return instance{val: cty.NullVal(impliedType(sc.blk(typ)))} }

	for _, r := range []struct {
		typ     string
		cfg     M
		initial planned
		out     *instance
	}{
		{tTemplate, sc.tplCfg1, sc.initialTpl, &sc.tplState},
		{tPreset, sc.preCfg1, sc.initialPreset, &sc.presetState},
	} {
		cfg := sc.cfg(r.typ, r.cfg)
		s.noErrors("ValidateResourceConfig "+r.typ, s.validateResource(r.typ, cfg))
		final := s.plan(r.typ, null(r.typ), cfg)
		if err := checkCompatible(sc.blk(r.typ), r.initial.val, final.val, nil); err != nil {
			s.fail("PlanResourceChange %s: Provider produced inconsistent final plan: %v\n  initial: %s\n  final:   %s", r.typ, err, fmtVal(r.initial.val), fmtVal(final.val))
		}
		s.pass("PlanResourceChange %s (final plan): valid, and every value known in the initial plan is unchanged", r.typ)
		*r.out = s.apply(r.typ, null(r.typ), final, cfg)
		s.pass("ApplyResourceChange %s (create): wholly known, matches every known planned value: %s", r.typ, fmtVal(r.out.val))
	}

	s.noErrors("ValidateDataResourceConfig prewarm_preset", s.validateData(tPreset, sc.dataCfg()))
	sc.checkData(s)
	sc.failingCreate(s)
	s.close()
}

// failingCreate: a preset of a template that does not exist. The apply must fail with error diagnostics and a
// new_state that is null (nothing created) or a conforming, wholly known object (saved as tainted).
func (sc *scenario) failingCreate(s *session) {
	b := sc.blk(tPreset)
	ty := impliedType(b)
	cfg := sc.cfg(tPreset, M{"template": "no-such-template-" + randomSuffix(), "name": sc.preset})
	pl := s.plan(tPreset, instance{val: cty.NullVal(ty)}, cfg)
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.p.rpc.ApplyResourceChange(ctx, &tfplugin6.ApplyResourceChange_Request{
		TypeName:       tPreset,
		PriorState:     encodeDV(cty.NullVal(ty), ty),
		PlannedState:   encodeDV(pl.val, ty),
		Config:         encodeDV(cfg, ty),
		PlannedPrivate: pl.private,
	})
	s.rpcErr("ApplyResourceChange prewarm_preset (missing template)", err)
	errs := s.diags("ApplyResourceChange prewarm_preset (missing template)", resp.GetDiagnostics())
	if len(errs) == 0 {
		s.fail("ApplyResourceChange prewarm_preset for a template that does not exist: no error diagnostic")
	}
	v := s.decode("ApplyResourceChange prewarm_preset (missing template) new_state", b, resp.GetNewState())
	if !v.IsNull() {
		s.wholeKnown("ApplyResourceChange prewarm_preset (missing template) new_state", v)
	}
	s.pass("ApplyResourceChange prewarm_preset for a missing template: error diagnostic %q, new_state %s", errs[0].GetSummary(), nullness(v))
}

func (sc *scenario) checkData(s *session) {
	cfg := sc.dataCfg()
	v, errs := s.readData(tPreset, cfg)
	if len(errs) > 0 {
		s.fail("ReadDataSource prewarm_preset: %s", fmtDiag(errs[0]))
	}
	if err := checkPlanValid(sc.dataBlk(tPreset), cty.NullVal(cfg.Type()), cfg, v); err != nil {
		s.fail("ReadDataSource prewarm_preset: the result does not keep the configured values: %v", err)
	}
	s.pass("ReadDataSource prewarm_preset: wholly known, configured values kept: %s", fmtVal(v))
}

// stateJSON is the resource as Terraform's state file stores it (attributes as JSON against the schema).
func (sc *scenario) stateJSON(s *session, typ string, v cty.Value) []byte {
	b, err := ctyjson.Marshal(v, impliedType(sc.blk(typ)))
	if err != nil {
		s.fail("harness: cannot encode state as JSON: %v", err)
	}
	return b
}

// 4. terraform plan with both in state and no change: Upgrade, Read, Validate, Plan = no-op.
func (sc *scenario) refreshWalk() {
	s := sc.h.open("refresh+plan", "TF_LOG=trace")
	s.configured(sc.providerCfg())
	for _, r := range []struct {
		typ string
		cfg M
		st  *instance
	}{{tTemplate, sc.tplCfg1, &sc.tplState}, {tPreset, sc.preCfg1, &sc.presetState}} {
		sc.refreshAndNoop(s, r.typ, r.cfg, r.st)
	}

	// UpgradeResourceState details: attributes missing from an old state come back null, numbers keep their
	// exact JSON text.
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(sc.stateJSON(s, tPreset, sc.presetState.val), &obj); err != nil {
		s.fail("harness: %v", err)
	}
	delete(obj, "description")
	raw, _ := json.Marshal(obj)
	up := s.upgrade(tPreset, sc.schemaVersion(tPreset), raw)
	want := setAttr(sc.presetState.val, "description", cty.NullVal(cty.String))
	if !sameValue(up, want) {
		s.fail("UpgradeResourceState prewarm_preset: raw state without \"description\" should upgrade to the same object with description null\n  got:  %s\n  want: %s", fmtVal(up), fmtVal(want))
	}
	s.pass("UpgradeResourceState prewarm_preset: an attribute missing from the raw state comes back null")

	big := "12345678901234567890123"
	rawBig := []byte(fmt.Sprintf(`{"name":%q,"driver":%q,"config":{"build_seconds":"0"},"id":%q,"version":%s}`, sc.tpl, sc.h.driver, sc.tpl, big))
	up = s.upgrade(tTemplate, sc.schemaVersion(tTemplate), rawBig)
	if got := up.GetAttr("version"); got.IsNull() || !got.Equals(cty.MustParseNumberVal(big)).True() {
		s.fail("UpgradeResourceState prewarm_template: version %s in the raw JSON state came back as %s (JSON numbers must be parsed losslessly)", big, fmtVal(got))
	}
	s.pass("UpgradeResourceState prewarm_template: a 23-digit JSON number survives exactly")

	sc.checkData(s)
	sc.drift(s)
	s.close()
}

// drift: the preset is changed outside this configuration (here: by another apply through the provider). The
// refresh must report the remote value, and planning the configuration must plan it back.
func (sc *scenario) drift(s *session) {
	cfg := sc.cfg(tPreset, sc.preCfg1)
	other := M{}
	for k, v := range sc.preCfg1 {
		other[k] = v
	}
	other["description"] = "changed outside Terraform"
	otherCfg := sc.cfg(tPreset, other)
	changed := s.apply(tPreset, sc.presetState, s.plan(tPreset, sc.presetState, otherCfg), otherCfg)
	read := s.read(tPreset, sc.presetState)
	if !sameValue(read.val, changed.val) {
		s.fail("ReadResource prewarm_preset after a change outside Terraform does not report it\n  remote: %s\n  read:   %s", fmtVal(changed.val), fmtVal(read.val))
	}
	back := s.plan(tPreset, read, cfg)
	if sameValue(back.val, read.val) {
		s.fail("PlanResourceChange prewarm_preset: drift (description changed remotely) planned as a no-op")
	}
	sc.presetState = s.apply(tPreset, read, back, cfg)
	s.pass("drift: a description changed outside Terraform is read back and planned (and applied) back to the configuration")
}

func setAttr(obj cty.Value, name string, v cty.Value) cty.Value {
	m := obj.AsValueMap()
	m[name] = v
	return cty.ObjectVal(m)
}

// refreshAndNoop: Upgrade → Read (no drift) → Validate → Plan equal to the prior state.
func (sc *scenario) refreshAndNoop(s *session, typ string, cfgM M, st *instance) {
	up := s.upgrade(typ, sc.schemaVersion(typ), sc.stateJSON(s, typ, st.val))
	if !sameValue(up, st.val) {
		s.fail("UpgradeResourceState %s at the current schema version changed the state\n  state:    %s\n  upgraded: %s", typ, fmtVal(st.val), fmtVal(up))
	}
	s.pass("UpgradeResourceState %s: raw JSON state at version %d upgrades to the same object", typ, sc.schemaVersion(typ))
	read := s.read(typ, instance{val: up, private: st.private})
	if read.val.IsNull() {
		s.fail("ReadResource %s: returned null (gone) for an object that exists", typ)
	}
	if !sameValue(read.val, st.val) {
		s.fail("ReadResource %s right after apply differs from the applied state (perpetual diff or drift)\n  state: %s\n  read:  %s", typ, fmtVal(st.val), fmtVal(read.val))
	}
	s.pass("ReadResource %s: same object, private echoed (%d bytes)", typ, len(read.private))
	// A provider that keeps no private data must still echo what Terraform holds.
	if len(st.private) == 0 {
		marker := []byte(`{"conformance":"opaque private data is stored and echoed verbatim"}`)
		again := s.read(typ, instance{val: read.val, private: marker})
		if !sameValue(again.val, read.val) {
			s.fail("ReadResource %s with private data answered a different object", typ)
		}
		s.pass("ReadResource %s: opaque private bytes echoed verbatim", typ)
	}
	*st = read
	cfg := sc.cfg(typ, cfgM)
	s.noErrors("ValidateResourceConfig "+typ, s.validateResource(typ, cfg))
	pl := s.plan(typ, read, cfg)
	if !sameValue(pl.val, read.val) {
		s.fail("PlanResourceChange %s with an unchanged config is not a no-op (planned must equal prior)\n  prior:   %s\n  planned: %s", typ, fmtVal(read.val), fmtVal(pl.val))
	}
	s.pass("PlanResourceChange %s (unchanged config): planned equals prior, no diff", typ)
}

// 5. terraform apply with changed configurations: in-place updates; a rename must require replacement.
func (sc *scenario) updateWalk() {
	s := sc.h.open("update", "TF_LOG=trace")
	s.configured(sc.providerCfg())
	for _, r := range []struct {
		typ string
		cfg M
		st  *instance
	}{{tTemplate, sc.tplCfg2, &sc.tplState}, {tPreset, sc.preCfg2, &sc.presetState}} {
		up := s.upgrade(r.typ, sc.schemaVersion(r.typ), sc.stateJSON(s, r.typ, r.st.val))
		prior := instance{val: up, private: r.st.private}
		cfg := sc.cfg(r.typ, r.cfg)
		// the plan walk saw one value still unknown (from another resource); the apply walk's final plan has it
		unk := M{}
		for k, v := range r.cfg {
			unk[k] = v
		}
		unkAttr := map[string]string{tTemplate: "config", tPreset: "description"}[r.typ]
		unk[unkAttr] = cty.UnknownVal(impliedType(sc.blk(r.typ)).AttributeType(unkAttr))
		initial := s.plan(r.typ, prior, sc.cfg(r.typ, unk))
		if initial.val.GetAttr(unkAttr).IsKnown() {
			s.fail("PlanResourceChange %s: %s is unknown in config but planned known", r.typ, unkAttr)
		}
		s.noErrors("ValidateResourceConfig "+r.typ, s.validateResource(r.typ, cfg))
		pl := s.plan(r.typ, prior, cfg)
		if err := checkCompatible(sc.blk(r.typ), initial.val, pl.val, nil); err != nil {
			s.fail("PlanResourceChange %s (update): Provider produced inconsistent final plan: %v\n  initial (%s unknown): %s\n  final: %s", r.typ, err, unkAttr, fmtVal(initial.val), fmtVal(pl.val))
		}
		s.pass("PlanResourceChange %s (update): initial plan with %s unknown, final plan consistent with it", r.typ, unkAttr)
		if sameValue(pl.val, prior.val) {
			s.fail("PlanResourceChange %s: changed configuration planned as a no-op: %s", r.typ, fmtVal(pl.val))
		}
		for _, p := range pl.requiresReplace {
			a, _ := getPath(prior.val, p)
			b, _ := getPath(pl.val, p)
			if a != cty.NilVal && b != cty.NilVal && !sameValue(a, b) {
				s.fail("PlanResourceChange %s: in-place update asks to replace because of %s (%s → %s)", r.typ, fmtPath(p), fmtVal(a), fmtVal(b))
			}
		}
		s.pass("PlanResourceChange %s (update): valid plan %s", r.typ, fmtVal(pl.val))
		*r.st = s.apply(r.typ, prior, pl, cfg)
		s.pass("ApplyResourceChange %s (update): wholly known, matches every known planned value: %s", r.typ, fmtVal(r.st.val))
		// Renaming needs a new object: the plan must say so with requires_replace on name.
		renamed := M{}
		for k, v := range r.cfg {
			renamed[k] = v
		}
		renamed["name"] = fmt.Sprint(r.cfg["name"], "-renamed")
		rp := s.plan(r.typ, *r.st, sc.cfg(r.typ, renamed))
		found := false
		for _, p := range rp.requiresReplace {
			if p.Equals(path("name")) {
				found = true
			}
		}
		if !found {
			s.fail("PlanResourceChange %s: renaming does not return requires_replace [name] (got %d paths)", r.typ, len(rp.requiresReplace))
		}
		s.pass("PlanResourceChange %s (rename): requires_replace includes name", r.typ)

		// An empty lifecycle_policy block and an absent one are different configurations (the controller stores
		// neither); each must survive apply and refresh as written, and a policy-only change keeps the version.
		if r.typ == tTemplate {
			for _, variant := range []struct {
				what string
				val  interface{}
			}{{"an empty block", []M{{}}}, {"absent", nil}, {"restored", r.cfg["lifecycle_policy"]}} {
				m := M{}
				for k, v := range r.cfg {
					m[k] = v
				}
				if variant.val == nil {
					delete(m, "lifecycle_policy")
				} else {
					m["lifecycle_policy"] = variant.val
				}
				before := r.st.val.GetAttr("version")
				pl := s.plan(r.typ, *r.st, sc.cfg(r.typ, m))
				if v := pl.val.GetAttr("version"); !v.IsKnown() || !sameValue(v, before) {
					s.fail("PlanResourceChange prewarm_template: a lifecycle_policy-only change (%s) plans version %s; it does not change", variant.what, fmtVal(v))
				}
				*r.st = sc.updateTo(s, r.typ, *r.st, m)
				s.pass("prewarm_template with lifecycle_policy %s: applied with the version kept, and refresh returns exactly the applied state", variant.what)
			}
		}

		// null and empty maps are different values to Terraform: each must survive apply and refresh as written.
		mapAttr := map[string]string{tTemplate: "config", tPreset: "parameters"}[r.typ]
		for _, variant := range []struct {
			what string
			val  interface{}
		}{{"{}", map[string]string{}}, {"null", nil}, {"restored", r.cfg[mapAttr]}} {
			m := M{}
			for k, v := range r.cfg {
				m[k] = v
			}
			if variant.val == nil {
				delete(m, mapAttr)
			} else {
				m[mapAttr] = variant.val
			}
			*r.st = sc.updateTo(s, r.typ, *r.st, m)
			s.pass("%s with %s = %s: applied, and refresh returns exactly the applied state", r.typ, mapAttr, variant.what)
		}
	}
	sc.checkData(s)
	s.close()
}

// updateTo plans and applies cfgM over st (skipping the apply when the plan is a no-op, as Terraform does), then
// refreshes and requires the read to equal the applied state.
func (sc *scenario) updateTo(s *session, typ string, st instance, cfgM M) instance {
	cfg := sc.cfg(typ, cfgM)
	s.noErrors("ValidateResourceConfig "+typ, s.validateResource(typ, cfg))
	pl := s.plan(typ, st, cfg)
	next := st
	if !sameValue(pl.val, st.val) {
		next = s.apply(typ, st, pl, cfg)
	}
	read := s.read(typ, next)
	if !sameValue(read.val, next.val) {
		s.fail("ReadResource %s after apply differs from the applied state (perpetual diff)\n  applied: %s\n  read:    %s", typ, fmtVal(next.val), fmtVal(read.val))
	}
	again := s.plan(typ, read, cfg)
	if !sameValue(again.val, read.val) {
		s.fail("PlanResourceChange %s right after apply and refresh is not a no-op\n  state:   %s\n  planned: %s", typ, fmtVal(read.val), fmtVal(again.val))
	}
	return read
}

// 6. terraform import: ConfigureProvider → ImportResourceState → ReadResource, then a plan with the
// configuration shows no change.
func (sc *scenario) importWalk() {
	s := sc.h.open("import")
	s.configured(sc.providerCfg())
	for _, r := range []struct {
		typ string
		id  string
		cfg M
		st  instance
	}{{tTemplate, sc.tpl, sc.tplCfg2, sc.tplState}, {tPreset, sc.tpl + "/" + sc.preset, sc.preCfg2, sc.presetState}} {
		res, errs := s.importState(r.typ, r.id)
		if len(errs) > 0 {
			s.fail("ImportResourceState %s %q: %s", r.typ, r.id, fmtDiag(errs[0]))
		}
		if len(res) != 1 {
			s.fail("ImportResourceState %s: %d imported resources, Terraform needs exactly one", r.typ, len(res))
		}
		if res[0].GetTypeName() != r.typ {
			s.fail("ImportResourceState %s: imported resource type_name is %q", r.typ, res[0].GetTypeName())
		}
		stub := s.decode("ImportResourceState "+r.typ+" state", sc.blk(r.typ), res[0].GetState())
		if stub.IsNull() {
			s.fail("ImportResourceState %s: imported state is null", r.typ)
		}
		s.wholeKnown("ImportResourceState "+r.typ+" state", stub)
		s.pass("ImportResourceState %s %q: one %s, wholly known: %s", r.typ, r.id, r.typ, fmtVal(stub))
		read := s.read(r.typ, instance{val: stub, private: res[0].GetPrivate()})
		if read.val.IsNull() {
			s.fail("ReadResource %s after import: null (Terraform: \"Cannot import non-existent remote object\")", r.typ)
		}
		if !sameValue(read.val, r.st.val) {
			s.fail("ReadResource %s after import differs from the state Terraform got from apply\n  applied:  %s\n  imported: %s", r.typ, fmtVal(r.st.val), fmtVal(read.val))
		}
		cfg := sc.cfg(r.typ, r.cfg)
		s.noErrors("ValidateResourceConfig "+r.typ, s.validateResource(r.typ, cfg))
		pl := s.plan(r.typ, read, cfg)
		if !sameValue(pl.val, read.val) {
			s.fail("PlanResourceChange %s after import is not a no-op\n  imported: %s\n  planned:  %s", r.typ, fmtVal(read.val), fmtVal(pl.val))
		}
		s.pass("ReadResource %s after import equals the applied state; planning the same configuration is a no-op", r.typ)
	}
	// importing something that does not exist fails at import or at the read that follows it
	missing := sc.tpl + "/no-such-preset"
	res, errs := s.importState(tPreset, missing)
	switch {
	case len(errs) > 0:
		s.pass("ImportResourceState prewarm_preset %q (missing): error diagnostic %q", missing, errs[0].GetSummary())
	case len(res) == 1:
		stub := s.decode("ImportResourceState prewarm_preset state", sc.blk(tPreset), res[0].GetState())
		if read := s.read(tPreset, instance{val: stub, private: res[0].GetPrivate()}); !read.val.IsNull() {
			s.fail("ImportResourceState + ReadResource of missing preset %q produced an object: %s", missing, fmtVal(read.val))
		}
		s.pass("ImportResourceState prewarm_preset %q (missing): ReadResource returns null", missing)
	default:
		s.fail("ImportResourceState prewarm_preset %q (missing): no error and %d resources", missing, len(res))
	}
	s.close()
}

// 7. terraform destroy: refresh, (destroy plan when plan_destroy), delete; then the objects read as gone.
// Finally Ctrl-C behaviour: SIGINT is ignored, StopProvider answers.
func (sc *scenario) destroyWalk() {
	s := sc.h.open("destroy")
	s.configured(sc.providerCfg())
	planDestroy := sc.h.schema.GetServerCapabilities().GetPlanDestroy()
	for _, r := range []struct {
		typ string
		st  instance
	}{{tPreset, sc.presetState}, {tTemplate, sc.tplState}} {
		ty := impliedType(sc.blk(r.typ))
		up := s.upgrade(r.typ, sc.schemaVersion(r.typ), sc.stateJSON(s, r.typ, r.st.val))
		cur := s.read(r.typ, instance{val: up, private: r.st.private})
		if cur.val.IsNull() {
			s.fail("ReadResource %s before destroy: null for an existing object", r.typ)
		}
		// Terraform sends a destroy plan (null config and proposed state) only to providers that advertise
		// plan_destroy; otherwise it plans null itself and passes the prior private data on. Either way the
		// provider must plan null for it.
		dp := s.plan(r.typ, cur, cty.NullVal(ty))
		if !dp.val.IsNull() {
			s.fail("PlanResourceChange %s (destroy): planned_state must be null", r.typ)
		}
		pl := planned{val: cty.NullVal(ty), private: cur.private}
		if planDestroy {
			pl = dp
		}
		s.pass("PlanResourceChange %s (destroy, plan_destroy=%v): planned null", r.typ, planDestroy)
		gone := s.apply(r.typ, cur, pl, cty.NullVal(ty))
		if !gone.val.IsNull() {
			s.fail("ApplyResourceChange %s (delete): new_state not null", r.typ)
		}
		s.pass("ApplyResourceChange %s (delete): new_state null", r.typ)
		after := s.read(r.typ, cur)
		if !after.val.IsNull() {
			s.fail("ReadResource %s after delete: %s; a deleted object must read as null (drift → re-create)", r.typ, fmtVal(after.val))
		}
		s.pass("ReadResource %s after delete: null (a deleted object is planned for re-creation)", r.typ)
		if r.typ == tPreset {
			if v, errs := s.readData(tPreset, sc.dataCfg()); len(errs) == 0 {
				s.fail("ReadDataSource prewarm_preset for a deleted preset: no error, state %s", fmtVal(v))
			} else {
				s.pass("ReadDataSource prewarm_preset for a deleted preset: error diagnostic %q", errs[0].GetSummary())
			}
		}
	}

	// Ctrl-C: the terminal's SIGINT reaches the provider too; it must survive it and answer StopProvider.
	if err := s.p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		s.fail("send SIGINT: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if s.p.client.Exited() {
		s.fail("provider exited on SIGINT (go-plugin servers ignore it; Terraform then calls StopProvider)")
	}
	ctx, cancel := s.ctx()
	st, err := s.p.rpc.StopProvider(ctx, &tfplugin6.StopProvider_Request{})
	cancel()
	s.rpcErr("StopProvider", err)
	if st.GetError() != "" {
		s.fail("StopProvider: Error = %q", st.GetError())
	}
	s.pass("SIGINT ignored; StopProvider answered with an empty Error")
	s.close()
}

// 8. terraform apply again after the destroy (same configuration, a little later): everything must work as the
// first time, including the data source that reads the new preset's status right after it is created.
func (sc *scenario) recreateWalk() {
	// The time between two commands, during which the controller reconciles and does its housekeeping. With
	// -pause the caller decides when to go on (the integration test runs the controller's housekeeping then).
	if sc.h.pause {
		fmt.Println("PAUSE: destroy done; send a line on stdin to re-create")
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			sc.h.fail("re-create: waiting on stdin: %v", err)
		}
	} else {
		time.Sleep(sc.h.settle)
	}
	s := sc.h.open("re-create")
	s.configured(sc.providerCfg())
	states := map[string]instance{}
	for _, r := range []struct {
		typ string
		cfg M
	}{{tTemplate, sc.tplCfg1}, {tPreset, sc.preCfg1}} {
		null := instance{val: cty.NullVal(impliedType(sc.blk(r.typ)))}
		cfg := sc.cfg(r.typ, r.cfg)
		s.noErrors("ValidateResourceConfig "+r.typ, s.validateResource(r.typ, cfg))
		states[r.typ] = s.apply(r.typ, null, s.plan(r.typ, null, cfg), cfg)
		s.pass("%s created again after its destroy", r.typ)
	}
	s.noErrors("ValidateDataResourceConfig prewarm_preset", s.validateData(tPreset, sc.dataCfg()))
	v, errs := s.readData(tPreset, sc.dataCfg())
	if len(errs) > 0 {
		s.fail("ReadDataSource prewarm_preset right after re-creating the preset (after a destroy of the same preset and the controller's housekeeping): %s\n"+
			"  ReadResource of the same preset answers %s",
			fmtDiag(errs[0]), fmtVal(s.read(tPreset, states[tPreset]).val))
	}
	s.pass("ReadDataSource prewarm_preset after re-creation: %s", fmtVal(v))
	for _, typ := range []string{tPreset, tTemplate} {
		ty := impliedType(sc.blk(typ))
		st := states[typ]
		s.apply(typ, st, planned{val: cty.NullVal(ty), private: st.private}, cty.NullVal(ty))
	}
	s.pass("cleaned up: preset and template deleted")
	s.close()
}

// unreachableWalks: a wrong token, and a controller that is not there. Planning needs no controller; reads and
// applies must fail with error diagnostics (not gRPC errors, not hangs).
func (sc *scenario) unreachableWalks() {
	for _, w := range []struct {
		phase    string
		endpoint string
		token    string
	}{
		{"wrong token", sc.h.endpoint, "pwt_not-the-token"},
		{"no controller", "127.0.0.1:1", sc.h.token},
	} {
		s := sc.h.open(w.phase)
		s.getSchema()
		cfg := mustBuild(sc.h.schema.GetProvider().GetBlock(), M{"endpoint": w.endpoint, "token": w.token})
		s.noErrors("ValidateProviderConfig", s.validateProvider(cfg))
		if ds := s.configure(cfg); len(ds) > 0 {
			s.pass("ConfigureProvider refused at once: %s", fmtDiag(ds[0]))
			s.close()
			continue
		}
		saved := s.h.rpcTimeout
		s.h.rpcTimeout = 10 * time.Second
		ty := impliedType(sc.blk(tTemplate))
		cfgT := sc.cfg(tTemplate, sc.tplCfg1)
		pl := s.plan(tTemplate, instance{val: cty.NullVal(ty)}, cfgT)
		ctx, cancel := s.ctx()
		resp, err := s.p.rpc.ApplyResourceChange(ctx, &tfplugin6.ApplyResourceChange_Request{
			TypeName: tTemplate, PriorState: encodeDV(cty.NullVal(ty), ty), PlannedState: encodeDV(pl.val, ty), Config: encodeDV(cfgT, ty),
		})
		cancel()
		s.rpcErr("ApplyResourceChange prewarm_template", err)
		errs := s.diags("ApplyResourceChange prewarm_template", resp.GetDiagnostics())
		if len(errs) == 0 {
			s.fail("ApplyResourceChange prewarm_template: no error diagnostic")
		}
		if v := s.decode("ApplyResourceChange prewarm_template new_state", sc.blk(tTemplate), resp.GetNewState()); !v.IsNull() {
			s.fail("ApplyResourceChange prewarm_template: failed create returned an object %s", fmtVal(v))
		}
		if _, errs := s.readData(tPreset, sc.dataCfg()); len(errs) == 0 {
			s.fail("ReadDataSource prewarm_preset: no error diagnostic")
		}
		s.h.rpcTimeout = saved
		s.pass("planning works; apply and data source fail with error diagnostics: %q", errs[0].GetSummary())
		s.close()
	}
}
