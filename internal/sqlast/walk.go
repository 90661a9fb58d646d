package sqlast

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Walk calls fn for every *pg_query.Node below m, depth first. fn returns false to skip the
// node's children. It walks by protobuf reflection, so no node type of the parser is missed.
func Walk(m protoreflect.ProtoMessage, fn func(*pg_query.Node) bool) {
	if m == nil {
		return
	}
	walkMessage(m.ProtoReflect(), fn)
}

func walkMessage(msg protoreflect.Message, fn func(*pg_query.Node) bool) {
	if !msg.IsValid() {
		return
	}
	if n, ok := msg.Interface().(*pg_query.Node); ok {
		if !fn(n) {
			return
		}
	}
	msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walkMessage(l.Get(i).Message(), fn)
			}
		case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
			walkMessage(v.Message(), fn)
		}
		return true
	})
}
