package main

// The plan and apply consistency rules Terraform enforces (its "Provider produced invalid plan", "inconsistent
// final plan" and "inconsistent result after apply" errors), written from their description for this harness (not
// derived from Terraform's implementation).

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"prewarmconformance/tfplugin6"
)

func child(p cty.Path, name string) cty.Path {
	return append(append(cty.Path{}, p...), cty.GetAttrStep{Name: name})
}

func index(p cty.Path, k cty.Value) cty.Path {
	return append(append(cty.Path{}, p...), cty.IndexStep{Key: k})
}

func attrOf(obj cty.Value, name string, ty cty.Type) cty.Value {
	if obj.IsNull() || !obj.IsKnown() {
		if !obj.IsKnown() {
			return cty.UnknownVal(ty)
		}
		return cty.NullVal(ty)
	}
	return obj.GetAttr(name)
}

// proposedNew builds what Terraform sends as proposed_new_state: the configuration, with the prior value for
// every computed attribute the configuration leaves null; nested blocks are matched by index (LIST), key (MAP),
// or as wholes (SINGLE/GROUP); SET blocks are taken from the configuration.
func proposedNew(b *tfplugin6.Schema_Block, prior, config cty.Value) cty.Value {
	if config.IsNull() || !config.IsKnown() {
		return config
	}
	vals := map[string]cty.Value{}
	for _, a := range b.GetAttributes() {
		ty := mustAttrType(a)
		cv := config.GetAttr(a.GetName())
		if a.GetComputed() && cv.IsNull() {
			vals[a.GetName()] = attrOf(prior, a.GetName(), ty)
		} else {
			vals[a.GetName()] = cv
		}
	}
	for _, nb := range b.GetBlockTypes() {
		name := nb.GetTypeName()
		ety := impliedType(nb.GetBlock())
		cv := config.GetAttr(name)
		if !cv.IsKnown() || cv.IsNull() {
			vals[name] = cv
			continue
		}
		var pv cty.Value
		switch nb.GetNesting() {
		case tfplugin6.Schema_NestedBlock_SINGLE, tfplugin6.Schema_NestedBlock_GROUP:
			pv = attrOf(prior, name, ety)
			if !pv.IsKnown() {
				pv = cty.NullVal(ety)
			}
			vals[name] = proposedNew(nb.GetBlock(), pv, cv)
		case tfplugin6.Schema_NestedBlock_LIST:
			pv = attrOf(prior, name, cty.List(ety))
			var elems []cty.Value
			i := 0
			for it := cv.ElementIterator(); it.Next(); i++ {
				_, ce := it.Element()
				pe := cty.NullVal(ety)
				if pv.IsKnown() && !pv.IsNull() && i < pv.LengthInt() {
					pe = pv.Index(cty.NumberIntVal(int64(i)))
				}
				elems = append(elems, proposedNew(nb.GetBlock(), pe, ce))
			}
			if len(elems) == 0 {
				vals[name] = cty.ListValEmpty(ety)
			} else {
				vals[name] = cty.ListVal(elems)
			}
		case tfplugin6.Schema_NestedBlock_MAP:
			pv = attrOf(prior, name, cty.Map(ety))
			elems := map[string]cty.Value{}
			for it := cv.ElementIterator(); it.Next(); {
				k, ce := it.Element()
				pe := cty.NullVal(ety)
				if pv.IsKnown() && !pv.IsNull() && pv.HasIndex(k).True() {
					pe = pv.Index(k)
				}
				elems[k.AsString()] = proposedNew(nb.GetBlock(), pe, ce)
			}
			if len(elems) == 0 {
				vals[name] = cty.MapValEmpty(ety)
			} else {
				vals[name] = cty.MapVal(elems)
			}
		default:
			vals[name] = cv
		}
	}
	return cty.ObjectVal(vals)
}

// checkPlanValid is the "Provider produced invalid plan" family: planned against config and prior.
func checkPlanValid(b *tfplugin6.Schema_Block, prior, config, planned cty.Value) error {
	if config.IsNull() {
		if !planned.IsNull() {
			return fmt.Errorf("planned for existence but config wants absence: planned %s for a null config", fmtVal(planned))
		}
		return nil
	}
	if planned.IsNull() {
		return fmt.Errorf("planned for absence but config wants existence")
	}
	if !planned.IsKnown() {
		return fmt.Errorf("planned object is unknown as a whole")
	}
	return checkPlannedObject(b, prior, config, planned, nil)
}

func checkPlannedObject(b *tfplugin6.Schema_Block, prior, config, planned cty.Value, path cty.Path) error {
	for _, a := range b.GetAttributes() {
		ty := mustAttrType(a)
		p := child(path, a.GetName())
		pv := planned.GetAttr(a.GetName())
		cv := attrOf(config, a.GetName(), ty)
		rv := attrOf(prior, a.GetName(), ty)
		if err := checkPlannedAttr(a, rv, cv, pv, p); err != nil {
			return err
		}
	}
	for _, nb := range b.GetBlockTypes() {
		name := nb.GetTypeName()
		p := child(path, name)
		ety := impliedType(nb.GetBlock())
		pv := planned.GetAttr(name)
		cv := config.GetAttr(name)
		if !cv.IsKnown() {
			if pv.IsKnown() {
				return fmt.Errorf("%s: config block is unknown (dynamic) but planned as %s; it must be planned exactly as the config", fmtPath(p), fmtVal(pv))
			}
			continue
		}
		if !pv.IsKnown() {
			return fmt.Errorf("%s: attribute representing nested block must not be unknown itself; set nested attribute values to unknown instead", fmtPath(p))
		}
		switch nb.GetNesting() {
		case tfplugin6.Schema_NestedBlock_SINGLE, tfplugin6.Schema_NestedBlock_GROUP:
			if cv.IsNull() != pv.IsNull() {
				return fmt.Errorf("%s: config block is %s but planned block is %s", fmtPath(p), nullness(cv), nullness(pv))
			}
			if pv.IsNull() {
				continue
			}
			rv := attrOf(prior, name, ety)
			if !rv.IsKnown() {
				rv = cty.NullVal(ety)
			}
			if err := checkPlannedObject(nb.GetBlock(), rv, cv, pv, p); err != nil {
				return err
			}
		case tfplugin6.Schema_NestedBlock_LIST, tfplugin6.Schema_NestedBlock_MAP:
			if pv.IsNull() {
				return fmt.Errorf("%s: nested block collection planned null (must be an empty collection)", fmtPath(p))
			}
			if cv.LengthInt() != pv.LengthInt() {
				return fmt.Errorf("%s: config has %d block(s), plan has %d: block counts must not change", fmtPath(p), cv.LengthInt(), pv.LengthInt())
			}
			rv := attrOf(prior, name, cv.Type())
			for it := pv.ElementIterator(); it.Next(); {
				k, pe := it.Element()
				ep := index(p, k)
				if !pe.IsKnown() {
					return fmt.Errorf("%s: nested block element planned unknown; set nested attribute values to unknown instead", fmtPath(ep))
				}
				if cv.HasIndex(k).False() {
					return fmt.Errorf("%s: planned block has no counterpart in the config", fmtPath(ep))
				}
				ce := cv.Index(k)
				re := cty.NullVal(ety)
				if rv.IsKnown() && !rv.IsNull() && rv.HasIndex(k).True() {
					re = rv.Index(k)
				}
				if err := checkPlannedObject(nb.GetBlock(), re, ce, pe, ep); err != nil {
					return err
				}
			}
		case tfplugin6.Schema_NestedBlock_SET:
			if pv.IsNull() {
				return fmt.Errorf("%s: nested block set planned null (must be an empty set)", fmtPath(p))
			}
			for it := pv.ElementIterator(); it.Next(); {
				_, pe := it.Element()
				if !pe.IsKnown() {
					return fmt.Errorf("%s: nested block element planned unknown", fmtPath(p))
				}
			}
		}
	}
	return nil
}

func nullness(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return "present"
}

func checkPlannedAttr(a *tfplugin6.Schema_Attribute, prior, config, planned cty.Value, p cty.Path) error {
	if a.GetWriteOnly() && !planned.IsNull() {
		return fmt.Errorf("%s: write-only attribute planned as %s, must be null", fmtPath(p), fmtVal(planned))
	}
	if sameValue(planned, config) {
		return nil
	}
	if !prior.IsNull() && !config.IsNull() && sameValue(planned, prior) {
		return nil
	}
	if a.GetComputed() && config.IsNull() {
		return nil // computed (or optional+computed left unset): any value, including unknown
	}
	if config.IsNull() {
		return fmt.Errorf("%s: planned value %s for a non-computed attribute whose config is null", fmtPath(p), fmtVal(planned))
	}
	if !prior.IsNull() {
		return fmt.Errorf("%s: planned value %s does not match config value %s nor prior value %s", fmtPath(p), fmtVal(planned), fmtVal(config), fmtVal(prior))
	}
	return fmt.Errorf("%s: planned value %s does not match config value %s", fmtPath(p), fmtVal(planned), fmtVal(config))
}

// checkCompatible is "inconsistent result after apply" (planned vs new state) and "inconsistent final plan"
// (initial plan vs final plan): every value known in `before` must be identical in `after`; unknowns in `before`
// may become anything of the right type; nested block counts and presence stay.
func checkCompatible(b *tfplugin6.Schema_Block, before, after cty.Value, path cty.Path) error {
	if before.IsNull() != after.IsNull() {
		if before.IsNull() {
			return fmt.Errorf("%s: was absent, but now present", fmtPathRoot(path))
		}
		return fmt.Errorf("%s: was present, but now absent", fmtPathRoot(path))
	}
	if before.IsNull() || !before.IsKnown() {
		return nil
	}
	if !after.IsKnown() {
		return fmt.Errorf("%s: was known, but now unknown", fmtPathRoot(path))
	}
	for _, a := range b.GetAttributes() {
		p := child(path, a.GetName())
		if err := compatibleValue(before.GetAttr(a.GetName()), after.GetAttr(a.GetName()), p); err != nil {
			return err
		}
	}
	for _, nb := range b.GetBlockTypes() {
		name := nb.GetTypeName()
		p := child(path, name)
		bv, av := before.GetAttr(name), after.GetAttr(name)
		if !bv.IsKnown() {
			continue
		}
		if !av.IsKnown() {
			return fmt.Errorf("%s: block was known, but now unknown", fmtPath(p))
		}
		switch nb.GetNesting() {
		case tfplugin6.Schema_NestedBlock_SINGLE, tfplugin6.Schema_NestedBlock_GROUP:
			if err := checkCompatible(nb.GetBlock(), bv, av, p); err != nil {
				return err
			}
		case tfplugin6.Schema_NestedBlock_LIST, tfplugin6.Schema_NestedBlock_MAP:
			if bv.IsNull() != av.IsNull() {
				return fmt.Errorf("%s: block collection was %s, now %s", fmtPath(p), nullness(bv), nullness(av))
			}
			if bv.IsNull() {
				continue
			}
			if bv.LengthInt() != av.LengthInt() {
				return fmt.Errorf("%s: block count changed from %d to %d", fmtPath(p), bv.LengthInt(), av.LengthInt())
			}
			for it := bv.ElementIterator(); it.Next(); {
				k, be := it.Element()
				if av.HasIndex(k).False() {
					return fmt.Errorf("%s: block disappeared", fmtPath(index(p, k)))
				}
				if err := checkCompatible(nb.GetBlock(), be, av.Index(k), index(p, k)); err != nil {
					return err
				}
			}
		case tfplugin6.Schema_NestedBlock_SET:
			if bv.IsWhollyKnown() && !sameValue(bv, av) {
				return fmt.Errorf("%s: block set was %s, now %s", fmtPath(p), fmtVal(bv), fmtVal(av))
			}
		}
	}
	return nil
}

func compatibleValue(before, after cty.Value, p cty.Path) error {
	if !before.IsKnown() {
		return nil
	}
	if !after.IsKnown() {
		return fmt.Errorf("%s: was %s, but now unknown", fmtPath(p), fmtVal(before))
	}
	if before.IsNull() || after.IsNull() {
		if before.IsNull() != after.IsNull() {
			return fmt.Errorf("%s: was %s, but now %s", fmtPath(p), fmtVal(before), fmtVal(after))
		}
		return nil
	}
	ty := before.Type()
	switch {
	case ty.IsListType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		if (ty.IsListType() || ty.IsMapType()) && before.LengthInt() != after.LengthInt() {
			return fmt.Errorf("%s: was %s, but now %s", fmtPath(p), fmtVal(before), fmtVal(after))
		}
		for it := before.ElementIterator(); it.Next(); {
			k, be := it.Element()
			var ae cty.Value
			if ty.IsObjectType() {
				ae = after.GetAttr(k.AsString())
				if err := compatibleValue(be, ae, child(p, k.AsString())); err != nil {
					return err
				}
				continue
			}
			if after.HasIndex(k).False() {
				return fmt.Errorf("%s: was %s, but now %s", fmtPath(p), fmtVal(before), fmtVal(after))
			}
			if err := compatibleValue(be, after.Index(k), index(p, k)); err != nil {
				return err
			}
		}
		return nil
	case ty.IsSetType():
		if before.IsWhollyKnown() && !sameValue(before, after) {
			return fmt.Errorf("%s: was %s, but now %s", fmtPath(p), fmtVal(before), fmtVal(after))
		}
		return nil
	}
	if !sameValue(before, after) {
		return fmt.Errorf("%s: was %s, but now %s", fmtPath(p), fmtVal(before), fmtVal(after))
	}
	return nil
}

func fmtPathRoot(p cty.Path) string {
	if len(p) == 0 {
		return "root object"
	}
	return fmtPath(p)
}
