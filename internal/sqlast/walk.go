package sqlast

import (
	"reflect"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// nodeType is the type fn is called for.
var nodeType = reflect.TypeFor[*pg_query.Node]()

// Walk calls fn for every *pg_query.Node below m (m included), depth first, in field order. fn
// returns false to skip the node's children; it may change the node it is given, and the
// children are read after it returns.
//
// It walks the generated Go structs by reflection, every exported field of every message, oneof
// and list: those are exactly a message's protobuf fields, so no node type of the parser is
// missed. Unexported fields are the protobuf runtime's own state. (Go reflection rather than
// protobuf reflection: same coverage, without the allocations that made walks a quarter of a
// plan's CPU.)
func Walk(m protoreflect.ProtoMessage, fn func(*pg_query.Node) bool) {
	if m == nil {
		return
	}
	walkValue(reflect.ValueOf(m), 0, func(n *pg_query.Node, _ int) bool { return fn(n) })
}

// WalkDepth is Walk telling fn how deep each node is: how many nodes are on the path from the
// top down to it, itself included.
func WalkDepth(m protoreflect.ProtoMessage, fn func(n *pg_query.Node, depth int) bool) {
	if m == nil {
		return
	}
	walkValue(reflect.ValueOf(m), 0, fn)
}

// walkValue walks v, which depth nodes enclose.
func walkValue(v reflect.Value, depth int, fn func(*pg_query.Node, int) bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type() == nodeType {
			depth++
			if !fn(v.Interface().(*pg_query.Node), depth) {
				return
			}
		}
		walkValue(v.Elem(), depth, fn)
	case reflect.Interface:
		if !v.IsNil() {
			walkValue(v.Elem(), depth, fn)
		}
	case reflect.Struct:
		for i, n := 0, v.NumField(); i < n; i++ {
			f := v.Field(i)
			switch f.Kind() {
			case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Struct:
				if f.CanInterface() {
					walkValue(f, depth, fn)
				}
			}
		}
	case reflect.Slice:
		switch v.Type().Elem().Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Struct:
			for i, n := 0, v.Len(); i < n; i++ {
				walkValue(v.Index(i), depth, fn)
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walkValue(it.Value(), depth, fn)
		}
	}
}
