package planner

// Setting is one run-time parameter as pg_settings shows it: its default value.
type Setting struct {
	Name        string
	Value       string
	Description string
	ReadOnly    bool
}

// Settings lists every run-time parameter the gateway knows, with its default, in a stable order.
func Settings() []Setting {
	out := make([]Setting, 0, len(settingList))
	for _, s := range settingList {
		out = append(out, Setting{Name: s.name, Value: s.def, Description: s.desc, ReadOnly: s.readOnly})
	}
	return out
}
