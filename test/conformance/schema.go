package main

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"prewarmconformance/tfplugin6"
)

var nameRe = regexp.MustCompile(`^[a-z0-9_]+$`)

// blockSpec converts a tfplugin6 block into an hcldec spec, the way Terraform's configschema does, so that
// hcldec.ImpliedType gives the object type every DynamicValue for that block is encoded against.
// The schema must already have passed checkBlock (types parse, nesting modes are valid).
func blockSpec(b *tfplugin6.Schema_Block) hcldec.ObjectSpec {
	spec := hcldec.ObjectSpec{}
	for _, a := range b.GetAttributes() {
		spec[a.GetName()] = &hcldec.AttrSpec{Name: a.GetName(), Type: mustAttrType(a), Required: a.GetRequired()}
	}
	for _, nb := range b.GetBlockTypes() {
		child := blockSpec(nb.GetBlock())
		dyn := hasDynamic(nb.GetBlock())
		name := nb.GetTypeName()
		switch nb.GetNesting() {
		case tfplugin6.Schema_NestedBlock_SINGLE, tfplugin6.Schema_NestedBlock_GROUP:
			spec[name] = &hcldec.BlockSpec{TypeName: name, Nested: child, Required: nb.GetMinItems() > 0}
		case tfplugin6.Schema_NestedBlock_LIST:
			if dyn {
				spec[name] = &hcldec.BlockTupleSpec{TypeName: name, Nested: child, MinItems: int(nb.GetMinItems()), MaxItems: int(nb.GetMaxItems())}
			} else {
				spec[name] = &hcldec.BlockListSpec{TypeName: name, Nested: child, MinItems: int(nb.GetMinItems()), MaxItems: int(nb.GetMaxItems())}
			}
		case tfplugin6.Schema_NestedBlock_SET:
			spec[name] = &hcldec.BlockSetSpec{TypeName: name, Nested: child, MinItems: int(nb.GetMinItems()), MaxItems: int(nb.GetMaxItems())}
		case tfplugin6.Schema_NestedBlock_MAP:
			if dyn {
				spec[name] = &hcldec.BlockObjectSpec{TypeName: name, Nested: child, LabelNames: []string{"key"}}
			} else {
				spec[name] = &hcldec.BlockMapSpec{TypeName: name, Nested: child, LabelNames: []string{"key"}}
			}
		}
	}
	return spec
}

// impliedType is the cty type of objects conforming to block b.
func impliedType(b *tfplugin6.Schema_Block) cty.Type {
	return hcldec.ImpliedType(blockSpec(b))
}

func hasDynamic(b *tfplugin6.Schema_Block) bool {
	for _, a := range b.GetAttributes() {
		if mustAttrType(a).HasDynamicTypes() {
			return true
		}
	}
	for _, nb := range b.GetBlockTypes() {
		if hasDynamic(nb.GetBlock()) {
			return true
		}
	}
	return false
}

func attrType(a *tfplugin6.Schema_Attribute) (cty.Type, error) {
	if a.GetNestedType() != nil {
		return objectType(a.GetNestedType())
	}
	return ctyjson.UnmarshalType(a.GetType())
}

func mustAttrType(a *tfplugin6.Schema_Attribute) cty.Type {
	t, err := attrType(a)
	if err != nil {
		panic(fmt.Sprintf("attribute %q: %v", a.GetName(), err))
	}
	return t
}

// objectType is the type of a nested-attribute (nested_type) attribute.
func objectType(o *tfplugin6.Schema_Object) (cty.Type, error) {
	attrs := map[string]cty.Type{}
	for _, a := range o.GetAttributes() {
		t, err := attrType(a)
		if err != nil {
			return cty.NilType, fmt.Errorf("%s: %v", a.GetName(), err)
		}
		attrs[a.GetName()] = t
	}
	obj := cty.Object(attrs)
	switch o.GetNesting() {
	case tfplugin6.Schema_Object_SINGLE:
		return obj, nil
	case tfplugin6.Schema_Object_LIST:
		return cty.List(obj), nil
	case tfplugin6.Schema_Object_SET:
		return cty.Set(obj), nil
	case tfplugin6.Schema_Object_MAP:
		return cty.Map(obj), nil
	}
	return cty.NilType, fmt.Errorf("invalid nested_type nesting %v", o.GetNesting())
}

// checkSchema applies Terraform's load-time schema validation, plus this project's own rule that everything
// is described (the docs are generated from the schema).
func checkSchema(what string, s *tfplugin6.Schema) []string {
	if s == nil {
		return []string{what + ": schema is absent"}
	}
	if s.GetBlock() == nil {
		return []string{what + ": Schema has no block (Terraform dereferences it and panics)"}
	}
	var errs []string
	if s.GetVersion() < 0 {
		errs = append(errs, fmt.Sprintf("%s: negative schema version %d", what, s.GetVersion()))
	}
	return append(errs, checkBlock(what, s.GetBlock(), false)...)
}

func checkBlock(path string, b *tfplugin6.Schema_Block, inSet bool) []string {
	var errs []string
	add := func(format string, args ...interface{}) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if b.GetDescription() == "" && path != "provider_meta" {
		add("%s: block has no description", path)
	}
	if b.GetDeprecationMessage() != "" && !b.GetDeprecated() {
		add("%s: deprecation_message set on a block that is not deprecated", path)
	}
	seen := map[string]string{}
	for _, a := range b.GetAttributes() {
		p := path + "." + a.GetName()
		if !nameRe.MatchString(a.GetName()) {
			add("%s: attribute name %q does not match ^[a-z0-9_]+$", path, a.GetName())
		}
		if prev, dup := seen[a.GetName()]; dup {
			add("%s: name %q declared twice (%s and attribute)", path, a.GetName(), prev)
		}
		seen[a.GetName()] = "attribute"
		errs = append(errs, checkAttribute(p, a, inSet)...)
	}
	for _, nb := range b.GetBlockTypes() {
		p := path + "." + nb.GetTypeName()
		if !nameRe.MatchString(nb.GetTypeName()) {
			add("%s: block type name %q does not match ^[a-z0-9_]+$", path, nb.GetTypeName())
		}
		if prev, dup := seen[nb.GetTypeName()]; dup {
			add("%s: name %q declared twice (%s and block)", path, nb.GetTypeName(), prev)
		}
		seen[nb.GetTypeName()] = "block"
		if nb.GetBlock() == nil {
			add("%s: nested block has no block", p)
			continue
		}
		min, max := nb.GetMinItems(), nb.GetMaxItems()
		switch nb.GetNesting() {
		case tfplugin6.Schema_NestedBlock_SINGLE:
			if !(min == 0 && max == 0) && !(min == 1 && max == 1) {
				add("%s: SINGLE block must have min_items/max_items 0/0 or 1/1, has %d/%d", p, min, max)
			}
		case tfplugin6.Schema_NestedBlock_GROUP, tfplugin6.Schema_NestedBlock_MAP:
			if min != 0 || max != 0 {
				add("%s: %v block must have min_items/max_items 0/0, has %d/%d", p, nb.GetNesting(), min, max)
			}
		case tfplugin6.Schema_NestedBlock_LIST, tfplugin6.Schema_NestedBlock_SET:
			if min < 0 || max < 0 || (max != 0 && min > max) {
				add("%s: invalid min_items/max_items %d/%d", p, min, max)
			}
		default:
			add("%s: invalid nesting mode %v", p, nb.GetNesting())
			continue
		}
		errs = append(errs, checkBlock(p, nb.GetBlock(), inSet || nb.GetNesting() == tfplugin6.Schema_NestedBlock_SET)...)
	}
	return errs
}

func checkAttribute(p string, a *tfplugin6.Schema_Attribute, inSet bool) []string {
	var errs []string
	add := func(format string, args ...interface{}) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if a.GetDescription() == "" {
		add("%s: attribute has no description", p)
	}
	switch {
	case a.GetRequired() && (a.GetOptional() || a.GetComputed()):
		add("%s: required cannot be combined with optional or computed", p)
	case !a.GetRequired() && !a.GetOptional() && !a.GetComputed():
		add("%s: must be required, optional or computed", p)
	}
	if a.GetDeprecationMessage() != "" && !a.GetDeprecated() {
		add("%s: deprecation_message set on an attribute that is not deprecated", p)
	}
	hasType, hasNested := len(a.GetType()) > 0, a.GetNestedType() != nil
	switch {
	case hasType && hasNested:
		add("%s: both type and nested_type are set", p)
	case !hasType && !hasNested:
		add("%s: neither type nor nested_type is set", p)
	case hasType:
		t, err := ctyjson.UnmarshalType(a.GetType())
		if err != nil {
			add("%s: type %q is not valid cty type JSON (Terraform panics on this): %v", p, a.GetType(), err)
		} else if inSet && t.HasDynamicTypes() {
			add("%s: dynamic type inside a SET block", p)
		}
	case hasNested:
		o := a.GetNestedType()
		if o.GetNesting() < tfplugin6.Schema_Object_SINGLE || o.GetNesting() > tfplugin6.Schema_Object_MAP {
			add("%s: invalid nested_type nesting %v", p, o.GetNesting())
			return errs
		}
		for _, na := range o.GetAttributes() {
			if !nameRe.MatchString(na.GetName()) {
				add("%s: attribute name %q does not match ^[a-z0-9_]+$", p, na.GetName())
			}
			errs = append(errs, checkAttribute(p+"."+na.GetName(), na, inSet || o.GetNesting() == tfplugin6.Schema_Object_SET)...)
		}
	}
	if a.GetWriteOnly() && inSet {
		add("%s: write-only attribute inside a SET", p)
	}
	return errs
}

func sortedKeys(m map[string]*tfplugin6.Schema) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// attribute and nested block lookups by name
func findAttr(b *tfplugin6.Schema_Block, name string) *tfplugin6.Schema_Attribute {
	for _, a := range b.GetAttributes() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

func findBlock(b *tfplugin6.Schema_Block, name string) *tfplugin6.Schema_NestedBlock {
	for _, nb := range b.GetBlockTypes() {
		if nb.GetTypeName() == name {
			return nb
		}
	}
	return nil
}
