package catalog

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"reflect"
)

// versionFormat changes when the encoding below changes, so old and new versions never collide.
const versionFormat = "setupranali/catalog/v1"

// computeVersion hashes a canonical encoding of the datasets: every exported field, in
// declaration order, found by reflection so that a field added to the model is covered without
// anyone remembering to add it here. Fields named Line are skipped: positions are not meaning.
// Values are typed and length-prefixed, so no two different models encode alike.
func computeVersion(datasets []*Dataset) string {
	h := sha256.New()
	e := encoder{h: h}
	e.str(versionFormat)
	e.value(reflect.ValueOf(datasets))
	return hex.EncodeToString(h.Sum(nil))
}

type encoder struct {
	h hash.Hash
}

func (e encoder) tag(b byte) { e.h.Write([]byte{b}) }

func (e encoder) uint(n uint64) { e.h.Write(binary.AppendUvarint(nil, n)) }

func (e encoder) str(s string) {
	e.tag('s')
	e.uint(uint64(len(s)))
	e.h.Write([]byte(s))
}

func (e encoder) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			e.tag('0')
			return
		}
		e.tag('p')
		e.value(v.Elem())
	case reflect.Slice:
		e.tag('l')
		e.uint(uint64(v.Len()))
		for i := range v.Len() {
			e.value(v.Index(i))
		}
	case reflect.Struct:
		e.tag('{')
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "Line" {
				continue
			}
			e.str(f.Name)
			e.value(v.Field(i))
		}
		e.tag('}')
	case reflect.String:
		e.str(v.String())
	case reflect.Bool:
		e.tag('b')
		if v.Bool() {
			e.tag(1)
		} else {
			e.tag(0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.tag('i')
		e.h.Write(binary.AppendVarint(nil, v.Int()))
	default:
		// A model field of a kind not encoded here would silently drop out of the version.
		panic(fmt.Sprintf("catalog: cannot version a %s", v.Type()))
	}
}
