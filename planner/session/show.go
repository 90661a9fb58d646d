package session

import (
	"sort"
	"strings"
)

// Values are a session's current parameter values, as its front door keeps them.
type Values struct {
	// Settings are the values set, by lower-case name; a parameter not among them has its
	// default.
	Settings map[string]string
	// TimeZone is the session's TimeZone when the client named one; "" shows the default.
	TimeZone string
	// User answers session_authorization until it is set.
	User string
}

// Value is a parameter's value for the session: what it set, else the default. ok is false
// for a parameter that does not exist (a custom placeholder exists once set).
func (v Values) Value(name string) (value string, ok bool) {
	value, _, ok = v.lookup(name)
	return value, ok
}

// lookup is Value with the parameter's table entry; a custom placeholder gets an entry of its
// own name only.
func (v Values) lookup(name string) (string, *setting, bool) {
	def, ok := settings[strings.ToLower(name)]
	if !ok {
		if strings.Contains(name, ".") {
			// Custom placeholder parameters (myapp.tenant) exist once set, as in PostgreSQL.
			val, set := v.Settings[strings.ToLower(name)]
			return val, &setting{name: name}, set
		}
		return "", nil, false
	}
	if val, set := v.Settings[strings.ToLower(def.name)]; set {
		return val, def, true
	}
	switch strings.ToLower(def.name) {
	case "session_authorization":
		return v.User, def, true
	case "timezone":
		if v.TimeZone != "" {
			return v.TimeZone, def, true
		}
	}
	return def.def, def, true
}

// Show answers SHOW name: the result column's name (the parameter's canonical spelling) and the
// value. An unknown parameter is 42704.
func (v Values) Show(name string) (column, value string, err error) {
	value, def, ok := v.lookup(name)
	if !ok {
		return "", "", unrecognized(name)
	}
	column = def.name
	if column == "" {
		column = name
	}
	return column, value, nil
}

// ShowAll answers SHOW ALL: name, value and description of every known parameter, by name.
func (v Values) ShowAll() [][3]string {
	names := make([]string, 0, len(settings))
	for _, s := range settings {
		names = append(names, s.name)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	out := make([][3]string, 0, len(names))
	for _, n := range names {
		val, def, _ := v.lookup(n)
		out = append(out, [3]string{def.name, val, def.desc})
	}
	return out
}
