package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
)

// stat is one side of a pair: the median over rounds (throughput, time or rate, in the result's
// unit) and per-operation latency quantiles in milliseconds.
type stat struct {
	Median float64   `json:"median"`
	P50    float64   `json:"p50_ms,omitempty"`
	P99    float64   `json:"p99_ms,omitempty"`
	Rounds []float64 `json:"rounds,omitempty"`
}

func fromThroughput(t throughput) stat {
	return stat{Median: median(t.qps), P50: ms(t.lat.quantile(0.5)), P99: ms(t.lat.quantile(0.99)), Rounds: t.qps}
}

func fromTimes(s sample) stat {
	var rs []float64
	for _, d := range s.times {
		rs = append(rs, ms(d))
	}
	return stat{Median: median(rs), P50: ms(s.times.quantile(0.5)), P99: ms(s.times.quantile(0.99)), Rounds: rs}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// result is one line of the table. A pair compares the gateway with a reference (Ratio is
// gateway/reference; Higher says whether more is better, Target the ratio to reach); an
// absolute figure is the gateway's alone against Limit.
type result struct {
	Pair          string  `json:"pair"`
	Case          string  `json:"case"`
	Conns         int     `json:"conns,omitempty"`
	Mode          string  `json:"mode,omitempty"`
	Unit          string  `json:"unit"`
	Gateway       stat    `json:"gateway"`
	Reference     stat    `json:"reference,omitzero"`
	ReferenceName string  `json:"reference_name,omitempty"`
	Ratio         float64 `json:"ratio,omitempty"`
	Higher        bool    `json:"higher_is_better"`
	Target        float64 `json:"target_ratio,omitempty"`
	Absolute      bool    `json:"absolute,omitempty"`
	Limit         float64 `json:"limit,omitempty"`
	Met           bool    `json:"met"`
	Note          string  `json:"note,omitempty"`
}

func (r *result) finish() {
	if r.Absolute {
		r.Met = r.Gateway.Median <= r.Limit
		return
	}
	if r.Reference.Median > 0 {
		r.Ratio = r.Gateway.Median / r.Reference.Median
	}
	if r.Higher {
		r.Met = r.Ratio >= r.Target
	} else {
		r.Met = r.Ratio > 0 && r.Ratio <= r.Target
	}
}

func (r result) targetText() string {
	switch {
	case r.Absolute:
		return fmt.Sprintf("≤ %g %s", r.Limit, r.Unit)
	case r.Higher:
		return fmt.Sprintf("≥ %.2f×", r.Target)
	}
	return fmt.Sprintf("≤ %.2f×", r.Target)
}

func (r result) metText() string {
	if strings.HasPrefix(r.Note, "PENDING") {
		return "pending"
	}
	if r.Met {
		return "yes"
	}
	return "NO"
}

func num(v float64, unit string) string {
	switch {
	case v == 0:
		return "-"
	case unit == "rows/s" || unit == "q/s":
		return fmt.Sprintf("%.0f", v)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func (r result) cells() []string {
	ratio := "-"
	if r.Ratio > 0 {
		ratio = fmt.Sprintf("%.2f×", r.Ratio)
		if ratio == fmt.Sprintf("%.2f×", r.Target) {
			// Close to the target: enough digits to show on which side.
			ratio = fmt.Sprintf("%.3f×", r.Ratio)
		}
	}
	lat := func(s stat) string {
		if s.P50 == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f / %.2f", s.P50, s.P99)
	}
	return []string{r.Pair, r.Case, r.Unit, num(r.Gateway.Median, r.Unit), num(r.Reference.Median, r.Unit), ratio, lat(r.Gateway), lat(r.Reference), r.targetText(), r.metText()}
}

func (r result) line() string {
	c := r.cells()
	return fmt.Sprintf("%s %s: gateway %s %s, reference %s, ratio %s, target %s: %s", c[0], c[1], c[3], c[2], c[4], c[5], c[8], c[9])
}

// report is the JSON file.
type report struct {
	Size                size              `json:"size"`
	Started             time.Time         `json:"started"`
	Seconds             float64           `json:"seconds"`
	Machine             machine           `json:"machine"`
	CacheAvailable      bool              `json:"result_cache_available"`
	LoadDuckDBSeconds   float64           `json:"load_duckdb_seconds"`
	LoadPostgresSeconds float64           `json:"load_postgres_seconds"`
	Queries             map[string]string `json:"queries"`
	Plan                *planResult       `json:"planner,omitempty"`
	StarPlan            *starPlanResult   `json:"star_join_planner,omitempty"`
	Results             []result          `json:"results"`
}

func (rep report) print(w io.Writer) {
	fmt.Fprintf(w, "\nSetuPranali bench, size %s (%d rows), %s; %d cores (%s), load %s → %s\n\n",
		rep.Size.Name, rep.Size.Rows, rep.Started.Format(time.RFC3339), rep.Machine.Cores, rep.Machine.CPU, rep.Machine.LoadStart, rep.Machine.LoadEnd)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "pair\tcase\tunit\tgateway\treference\tratio\tgw p50/p99 ms\tref p50/p99 ms\ttarget\tmet")
	for _, r := range rep.Results {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range rep.Results {
		if r.Note != "" {
			fmt.Fprintf(w, "  %s %s: %s\n", r.Pair, r.Case, r.Note)
		}
	}
	fmt.Fprintln(w)
}

// machine is what the figures were taken on.
type machine struct {
	Cores     int    `json:"cores"`
	CPU       string `json:"cpu"`
	MemTotal  string `json:"mem_total"`
	Kernel    string `json:"kernel"`
	Go        string `json:"go"`
	Postgres  string `json:"postgres"`
	Commit    string `json:"commit"`
	LoadStart string `json:"loadavg_start"`
	LoadEnd   string `json:"loadavg_end"`
}

func machineFacts(ctx context.Context, pgDSN string) machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				m.CPU = strings.TrimSpace(l[strings.IndexByte(l, ':')+1:])
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		m.MemTotal = strings.Join(strings.Fields(strings.TrimPrefix(l, "MemTotal:")), " ")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if c, err := pgx.Connect(cctx, pgDSN); err == nil {
		_ = c.QueryRow(cctx, "SHOW server_version").Scan(&m.Postgres)
		c.Close(cctx)
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
