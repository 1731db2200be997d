package main

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"

	"prewarmconformance/tfplugin6"
)

// encodeDV encodes a value the way Terraform does: msgpack against the block's implied type.
func encodeDV(v cty.Value, ty cty.Type) *tfplugin6.DynamicValue {
	b, err := msgpack.Marshal(v, ty)
	if err != nil {
		panic(fmt.Sprintf("harness bug: msgpack.Marshal: %v (value %s)", err, fmtVal(v)))
	}
	return &tfplugin6.DynamicValue{Msgpack: b}
}

// Terraform 1.6+ (go-cty 1.13+) sends refined unknowns as msgpack extension 12 with a map of refinements; the
// go-cty in Debian (1.12) only writes the plain unknown, fixext1 type 0 (d4 00 00). refineUnknowns rewrites every
// plain unknown in an encoding into "unknown, definitely not null" (ext8 of length 3: c7 03 0c, map {1: false}),
// the most common refinement Terraform sends. The configs used with it hold no string containing those bytes.
func refineUnknowns(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte{0xd4, 0x00, 0x00}, []byte{0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2})
}

// refinedPrefixUnknown is an unknown string refined as not null with the prefix p (map {1: false, 2: p}).
func refinedPrefixUnknown(p string) []byte {
	payload := append([]byte{0x82, 0x01, 0xc2, 0x02, byte(0xa0 | len(p))}, p...)
	return append([]byte{0xc7, byte(len(payload)), 0x0c}, payload...)
}

// decodeDV decodes a DynamicValue returned by the provider with go-cty, strictly against ty. Terraform reads an
// absent or empty DynamicValue as null and falls back to JSON when msgpack is empty; prewarm's provider always
// answers in msgpack, so a JSON-only answer is reported too.
func decodeDV(dv *tfplugin6.DynamicValue, ty cty.Type) (cty.Value, error) {
	if dv == nil || (len(dv.GetMsgpack()) == 0 && len(dv.GetJson()) == 0) {
		return cty.NullVal(ty), nil
	}
	if len(dv.GetMsgpack()) == 0 {
		v, err := ctyjson.Unmarshal(dv.GetJson(), ty)
		if err != nil {
			return cty.NilVal, fmt.Errorf("json DynamicValue does not decode against %s: %v", ty.FriendlyName(), err)
		}
		return v, fmt.Errorf("answered with a json DynamicValue (decodes to %s), the provider is meant to answer msgpack", fmtVal(v))
	}
	v, err := msgpack.Unmarshal(dv.GetMsgpack(), ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("msgpack % x does not decode against %s: %v", truncate(dv.GetMsgpack(), 200), ty.FriendlyName(), err)
	}
	return v, nil
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// M describes an object for a schema block: attribute values (string, int, int64, bool, map[string]string,
// []string, cty.Value) and nested blocks (M for SINGLE/GROUP, []M for LIST/SET, map[string]M for MAP). Everything
// the description leaves out is null, and leftover blocks are empty collections, exactly as Terraform builds a
// configuration object.
type M map[string]interface{}

func buildObject(b *tfplugin6.Schema_Block, m M) (cty.Value, error) {
	if m == nil {
		return cty.NullVal(impliedType(b)), nil
	}
	for k := range m {
		if findAttr(b, k) == nil && findBlock(b, k) == nil {
			return cty.NilVal, fmt.Errorf("%q is neither an attribute nor a block of this schema", k)
		}
	}
	vals := map[string]cty.Value{}
	for _, a := range b.GetAttributes() {
		ty := mustAttrType(a)
		raw, ok := m[a.GetName()]
		if !ok {
			vals[a.GetName()] = cty.NullVal(ty)
			continue
		}
		v, err := goToCty(raw, ty)
		if err != nil {
			return cty.NilVal, fmt.Errorf("%s: %v", a.GetName(), err)
		}
		vals[a.GetName()] = v
	}
	for _, nb := range b.GetBlockTypes() {
		ety := impliedType(nb.GetBlock())
		raw, ok := m[nb.GetTypeName()]
		if cv, isVal := raw.(cty.Value); isVal {
			vals[nb.GetTypeName()] = cv
			continue
		}
		var v cty.Value
		var err error
		switch nb.GetNesting() {
		case tfplugin6.Schema_NestedBlock_SINGLE, tfplugin6.Schema_NestedBlock_GROUP:
			var sub M
			if ok {
				sub, _ = raw.(M)
			}
			if sub == nil && nb.GetNesting() == tfplugin6.Schema_NestedBlock_GROUP {
				sub = M{}
			}
			v, err = buildObject(nb.GetBlock(), sub)
		case tfplugin6.Schema_NestedBlock_LIST, tfplugin6.Schema_NestedBlock_SET:
			list, _ := raw.([]M)
			elems := []cty.Value{}
			for i, e := range list {
				ev, e2 := buildObject(nb.GetBlock(), e)
				if e2 != nil {
					return cty.NilVal, fmt.Errorf("%s[%d]: %v", nb.GetTypeName(), i, e2)
				}
				elems = append(elems, ev)
			}
			if nb.GetNesting() == tfplugin6.Schema_NestedBlock_LIST {
				if len(elems) == 0 {
					v = cty.ListValEmpty(ety)
				} else {
					v = cty.ListVal(elems)
				}
			} else if len(elems) == 0 {
				v = cty.SetValEmpty(ety)
			} else {
				v = cty.SetVal(elems)
			}
		case tfplugin6.Schema_NestedBlock_MAP:
			mm, _ := raw.(map[string]M)
			elems := map[string]cty.Value{}
			for k, e := range mm {
				ev, e2 := buildObject(nb.GetBlock(), e)
				if e2 != nil {
					return cty.NilVal, fmt.Errorf("%s[%q]: %v", nb.GetTypeName(), k, e2)
				}
				elems[k] = ev
			}
			if len(elems) == 0 {
				v = cty.MapValEmpty(ety)
			} else {
				v = cty.MapVal(elems)
			}
		}
		if err != nil {
			return cty.NilVal, fmt.Errorf("%s: %v", nb.GetTypeName(), err)
		}
		vals[nb.GetTypeName()] = v
	}
	return cty.ObjectVal(vals), nil
}

func goToCty(raw interface{}, ty cty.Type) (cty.Value, error) {
	switch x := raw.(type) {
	case cty.Value:
		return x, nil
	case nil:
		return cty.NullVal(ty), nil
	case string:
		if ty == cty.Number {
			return cty.ParseNumberVal(x)
		}
		return cty.StringVal(x), nil
	case int:
		return cty.NumberIntVal(int64(x)), nil
	case int64:
		return cty.NumberIntVal(x), nil
	case bool:
		return cty.BoolVal(x), nil
	case map[string]string:
		if !ty.IsMapType() {
			return cty.NilVal, fmt.Errorf("map given for %s", ty.FriendlyName())
		}
		if len(x) == 0 {
			return cty.MapValEmpty(ty.ElementType()), nil
		}
		m := map[string]cty.Value{}
		for k, v := range x {
			m[k] = cty.StringVal(v)
		}
		return cty.MapVal(m), nil
	case []string:
		elems := []cty.Value{}
		for _, s := range x {
			elems = append(elems, cty.StringVal(s))
		}
		switch {
		case ty.IsListType() && len(elems) == 0:
			return cty.ListValEmpty(cty.String), nil
		case ty.IsListType():
			return cty.ListVal(elems), nil
		case ty.IsSetType() && len(elems) == 0:
			return cty.SetValEmpty(cty.String), nil
		case ty.IsSetType():
			return cty.SetVal(elems), nil
		}
	}
	return cty.NilVal, fmt.Errorf("cannot use %T for %s", raw, ty.FriendlyName())
}

// firstUnknown finds an unknown value anywhere in v.
func firstUnknown(v cty.Value) (cty.Path, bool) {
	var found cty.Path
	_ = cty.Walk(v, func(p cty.Path, x cty.Value) (bool, error) {
		if found != nil {
			return false, nil
		}
		if !x.IsKnown() {
			found = append(cty.Path{}, p...)
			return false, nil
		}
		return true, nil
	})
	return found, found != nil
}

// checkNoUnknowns is the "wholly known" rule for read, apply, import, upgrade and data source results.
func checkNoUnknowns(v cty.Value) error {
	if p, ok := firstUnknown(v); ok {
		return fmt.Errorf("value at %s is unknown (results must be wholly known)", fmtPath(p))
	}
	return nil
}

// checkBlockShape applies what conformance to the implied type does not already guarantee: nested LIST, SET and
// MAP blocks are empty collections rather than null, and block elements are not null. Unknown blocks are left to
// the plan rules (allowed exactly where the configuration has them) and to the wholly-known rule of results.
func checkBlockShape(b *tfplugin6.Schema_Block, v cty.Value, path cty.Path) error {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	for _, nb := range b.GetBlockTypes() {
		p := append(append(cty.Path{}, path...), cty.GetAttrStep{Name: nb.GetTypeName()})
		bv := v.GetAttr(nb.GetTypeName())
		if !bv.IsKnown() {
			continue
		}
		switch nb.GetNesting() {
		case tfplugin6.Schema_NestedBlock_SINGLE, tfplugin6.Schema_NestedBlock_GROUP:
			if nb.GetNesting() == tfplugin6.Schema_NestedBlock_GROUP && bv.IsNull() {
				return fmt.Errorf("%s: a GROUP block is null (it is always present)", fmtPath(p))
			}
			if err := checkBlockShape(nb.GetBlock(), bv, p); err != nil {
				return err
			}
		default:
			if bv.IsNull() {
				return fmt.Errorf("%s: nested %v block is null; no blocks must be an empty collection", fmtPath(p), nb.GetNesting())
			}
			it := bv.ElementIterator()
			for it.Next() {
				k, ev := it.Element()
				ep := p
				if nb.GetNesting() != tfplugin6.Schema_NestedBlock_SET {
					ep = append(append(cty.Path{}, p...), cty.IndexStep{Key: k})
				}
				if !ev.IsKnown() {
					continue
				}
				if ev.IsNull() {
					return fmt.Errorf("%s: a nested block element is null", fmtPath(ep))
				}
				if err := checkBlockShape(nb.GetBlock(), ev, ep); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sameValue is equality as the plan rules use it: type-equal, unknown only equals unknown (refinements ignored),
// numbers by value, recursively.
func sameValue(a, b cty.Value) bool {
	if !a.Type().Equals(b.Type()) {
		return false
	}
	if !a.IsKnown() || !b.IsKnown() {
		return !a.IsKnown() && !b.IsKnown()
	}
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	ty := a.Type()
	switch {
	case ty.IsPrimitiveType():
		return a.Equals(b).True()
	case ty.IsListType() || ty.IsTupleType():
		if a.LengthInt() != b.LengthInt() {
			return false
		}
		ai, bi := a.ElementIterator(), b.ElementIterator()
		for ai.Next() && bi.Next() {
			_, av := ai.Element()
			_, bv := bi.Element()
			if !sameValue(av, bv) {
				return false
			}
		}
		return true
	case ty.IsMapType() || ty.IsObjectType():
		if ty.IsMapType() && a.LengthInt() != b.LengthInt() {
			return false
		}
		am, bm := a.AsValueMap(), b.AsValueMap()
		for k, av := range am {
			bv, ok := bm[k]
			if !ok || !sameValue(av, bv) {
				return false
			}
		}
		return true
	case ty.IsSetType():
		if a.IsWhollyKnown() && b.IsWhollyKnown() {
			return a.RawEquals(b)
		}
		return a.LengthInt() == b.LengthInt()
	}
	return a.RawEquals(b)
}

// fmtVal renders a value (including unknowns) for failure messages.
func fmtVal(v cty.Value) string {
	if v == cty.NilVal {
		return "<nil>"
	}
	if !v.IsKnown() {
		return "(unknown " + v.Type().FriendlyName() + ")"
	}
	if v.IsNull() {
		return "null"
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return strconv.Quote(v.AsString())
	case ty == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case ty == cty.Bool:
		return strconv.FormatBool(v.True())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		var parts []string
		it := v.ElementIterator()
		for it.Next() {
			_, e := it.Element()
			parts = append(parts, fmtVal(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case ty.IsMapType() || ty.IsObjectType():
		m := v.AsValueMap()
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+"="+fmtVal(m[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.GoString()
}

func fmtPath(p cty.Path) string {
	var sb strings.Builder
	for _, s := range p {
		switch x := s.(type) {
		case cty.GetAttrStep:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(x.Name)
		case cty.IndexStep:
			if x.Key.Type() == cty.String {
				sb.WriteString("[" + strconv.Quote(x.Key.AsString()) + "]")
			} else {
				sb.WriteString("[" + fmtVal(x.Key) + "]")
			}
		}
	}
	if sb.Len() == 0 {
		return "(root)"
	}
	return sb.String()
}

// protoPath converts a diagnostic's AttributePath into a cty path.
func protoPath(ap *tfplugin6.AttributePath) cty.Path {
	var p cty.Path
	for _, s := range ap.GetSteps() {
		switch sel := s.GetSelector().(type) {
		case *tfplugin6.AttributePath_Step_AttributeName:
			p = append(p, cty.GetAttrStep{Name: sel.AttributeName})
		case *tfplugin6.AttributePath_Step_ElementKeyString:
			p = append(p, cty.IndexStep{Key: cty.StringVal(sel.ElementKeyString)})
		case *tfplugin6.AttributePath_Step_ElementKeyInt:
			p = append(p, cty.IndexStep{Key: cty.NumberIntVal(sel.ElementKeyInt)})
		}
	}
	return p
}

// getPath walks a path through a value, tolerating nothing: every step must exist.
func getPath(v cty.Value, p cty.Path) (cty.Value, error) {
	return p.Apply(v)
}
