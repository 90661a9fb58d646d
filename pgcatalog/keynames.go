package pgcatalog

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxNameBytes is PostgreSQL's identifier limit (NAMEDATALEN - 1): a name it makes for an index
// or a constraint is cut to fit, so a client that compares names with a real server's sees the
// same ones.
const maxNameBytes = 63

// chooseName is the name PostgreSQL gives a key it names itself (ChooseConstraintName,
// ChooseRelationName): name1_name2_label cut to 63 bytes, then label1, label2, ... while the name
// is taken. taken records the name chosen.
func chooseName(name1, name2, label string, taken map[string]bool) string {
	name := objectName(name1, name2, label)
	for pass := 1; taken[name]; pass++ {
		name = objectName(name1, name2, label+strconv.Itoa(pass))
	}
	taken[name] = true
	return name
}

// objectName is PostgreSQL's makeObjectName: the longer of name1 and name2 loses a byte at a
// time until name1_name2_label fits, each part then cut back to a whole character.
func objectName(name1, name2, label string) string {
	overhead := 0
	if label != "" {
		overhead += len(label) + 1
	}
	if name2 != "" {
		overhead++
	}
	avail := maxNameBytes - overhead
	n1, n2 := len(name1), len(name2)
	for n1+n2 > avail {
		if n1 > n2 {
			n1--
		} else {
			n2--
		}
	}
	parts := []string{clip(name1, n1)}
	if name2 != "" {
		parts = append(parts, clip(name2, n2))
	}
	if label != "" {
		parts = append(parts, label)
	}
	return strings.Join(parts, "_")
}

// clip cuts s to at most n bytes without splitting a character (pg_mbcliplen).
func clip(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// fkNameAddition is the middle part of a foreign key's default name, its columns joined by
// underscores (ChooseForeignKeyConstraintNameAddition), which stops once it reaches 64 bytes.
func fkNameAddition(columns []string) string {
	var b strings.Builder
	for _, c := range columns {
		if b.Len() > 0 {
			b.WriteByte('_')
		}
		b.WriteString(clip(c, maxNameBytes))
		if b.Len() > maxNameBytes {
			break
		}
	}
	return b.String()
}
