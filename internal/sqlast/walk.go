package sqlast

import (
	"reflect"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

//go:generate go run ./walkgen

// nodeType is the type fn is called for.
var nodeType = reflect.TypeFor[*pg_query.Node]()

// Walk calls fn for every *pg_query.Node below m (m included), depth first, in field order. fn
// returns false to skip the node's children; it may change the node it is given, and the
// children are read after it returns.
//
// It follows every exported field of every message, oneof and list of the generated Go structs:
// those are exactly a message's protobuf fields, so no node type of the parser is missed.
// walk_gen.go does it in plain Go, one function per message type, written by walkgen from the
// structs themselves; a node type it does not know is walked by Go reflection. (Both instead of
// protobuf reflection: same coverage, without the allocations that made walks a quarter of a
// plan's CPU.)
func Walk(m protoreflect.ProtoMessage, fn func(*pg_query.Node) bool) {
	WalkDepth(m, func(n *pg_query.Node, _ int) bool { return fn(n) })
}

// WalkDepth is Walk telling fn how deep each node is: how many nodes are on the path from the
// top down to it, itself included.
func WalkDepth(m protoreflect.ProtoMessage, fn func(n *pg_query.Node, depth int) bool) {
	switch m := m.(type) {
	case nil:
	case *pg_query.Node:
		walkNode(m, 0, fn)
	case *pg_query.ParseResult:
		walkParseResult(m, 0, fn)
	default:
		walkValue(reflect.ValueOf(m), 0, fn)
	}
}

// walkValue walks v, which depth nodes enclose, by reflection, handing nodes to walkNode.
func walkValue(v reflect.Value, depth int, fn func(*pg_query.Node, int) bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type() == nodeType {
			walkNode(v.Interface().(*pg_query.Node), depth, fn)
			return
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
