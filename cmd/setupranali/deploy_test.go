package main

// Cross-checks of the deployment kit (Dockerfile, docker-compose.yml, k8s/) with each other and
// with the binary: the same image, ports, health check, user and state path everywhere, and
// every setting they pass known to serve and valid. CI also builds and validates the kit itself
// (scripts/check-deploy.sh, scripts/docker-emulate.sh); these tests catch drift in seconds.

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/setupranali/setupranali/catalog"
)

const deployRoot = "../.."

// dockerfile is what the runtime stage of the Dockerfile declares.
type dockerfile struct {
	env         map[string]string
	expose      []string
	user        string
	volumes     []string
	healthcheck []string // the exec form of HEALTHCHECK CMD
	entrypoint  []string
	buildLine   string
	copies      []string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines, drop comments.
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || (l == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	df := dockerfile{env: map[string]string{}}
	stage := 0
	jsonArray := func(s string) []string {
		var a []string
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			t.Fatalf("Dockerfile: %q is not a JSON array: %v", s, err)
		}
		return a
	}
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			stage++
			df = dockerfile{env: map[string]string{}, buildLine: df.buildLine}
		case "RUN":
			if strings.Contains(rest, "go build") {
				df.buildLine = rest
			}
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				df.env[k] = v
			}
		case "EXPOSE":
			df.expose = strings.Fields(rest)
		case "USER":
			df.user = rest
		case "VOLUME":
			df.volumes = jsonArray(rest)
		case "ENTRYPOINT":
			df.entrypoint = jsonArray(rest)
		case "COPY":
			df.copies = append(df.copies, rest)
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(rest, " CMD ")
			if !ok {
				t.Fatalf("Dockerfile: HEALTHCHECK without CMD: %s", rest)
			}
			df.healthcheck = jsonArray(strings.TrimSpace(cmd))
		}
	}
	if stage < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build and a runtime stage", stage)
	}
	return df
}

func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		t.Fatalf("address %q has no port", addr)
	}
	return addr[i+1:]
}

func TestDockerfile(t *testing.T) {
	df := readDockerfile(t)
	for _, want := range []string{"CGO_ENABLED=1", "go build", "-o /out/setupranali", "./cmd/setupranali", "--mount=type=cache,target=/root/.cache/go-build"} {
		if !strings.Contains(df.buildLine, want) {
			t.Errorf("build step %q lacks %q", df.buildLine, want)
		}
	}
	if df.user == "" || strings.HasPrefix(df.user, "0") || df.user == "root" {
		t.Errorf("runtime USER %q, want a non-root uid", df.user)
	}
	if got := []string{portOf(t, df.env["SETU_PG_ADDR"]), portOf(t, df.env["SETU_HTTP_ADDR"])}; !slices.Equal(got, df.expose) {
		t.Errorf("EXPOSE %v, but the listen addresses use ports %v", df.expose, got)
	}
	if want := path.Dir(df.env["SETU_STATE_DB"]); !slices.Equal(df.volumes, []string{want}) {
		t.Errorf("VOLUME %v, want the state DB's directory %s", df.volumes, want)
	}
	if !slices.Equal(df.entrypoint, []string{"setupranali"}) {
		t.Errorf("ENTRYPOINT %v", df.entrypoint)
	}
	if len(df.healthcheck) < 2 || df.healthcheck[0] != "setupranali" || df.healthcheck[1] != "healthcheck" {
		t.Errorf("HEALTHCHECK %v, want the binary's healthcheck command", df.healthcheck)
	}
	if !slices.ContainsFunc(df.copies, func(c string) bool {
		return strings.HasPrefix(c, "catalog.yaml ") && strings.HasSuffix(c, df.env["SETU_CATALOG"])
	}) {
		t.Errorf("the demo catalog is not copied to SETU_CATALOG %s: %v", df.env["SETU_CATALOG"], df.copies)
	}
	if df.env["SETU_ENV"] != "production" {
		t.Errorf("image SETU_ENV %q, want production", df.env["SETU_ENV"])
	}
	// The healthcheck's arguments parse, and serve accepts the image's settings.
	if code := run(append(slices.Clone(df.healthcheck[1:]), "--help"), io.Discard, io.Discard); code != 0 {
		t.Errorf("healthcheck %v --help: exit %d", df.healthcheck[1:], code)
	}
	// The image leaves the secrets to the deployment (docker run -e, compose, Kubernetes).
	env := map[string]string{"UBI_SECRET_KEY": testFernetKey, "REDIS_URL": "redis://redis:6379/0"}
	for k, v := range df.env {
		env[k] = v
	}
	checkSettings(t, "Dockerfile ENV", env)
	// .dockerignore keeps what the build needs.
	ign, err := os.ReadFile(filepath.Join(deployRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(ign), "\n") {
		switch strings.TrimSpace(l) {
		case "catalog.yaml", "go.mod", "go.sum", "cmd", "**/*.go", "*.go":
			t.Errorf(".dockerignore excludes %s, which the build needs", l)
		}
	}
}

// compose is the part of docker-compose.yml the checks read.
type compose struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     any               `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		ReadOnly    bool              `yaml:"read_only"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func TestComposeMatchesDockerfile(t *testing.T) {
	df := readDockerfile(t)
	var c compose
	readYAML(t, "docker-compose.yml", &c)
	gw, ok := c.Services["gateway"]
	if !ok {
		t.Fatal("docker-compose.yml has no gateway service")
	}
	if gw.Build == nil || gw.Build.Dockerfile != "Dockerfile" || gw.Build.Context != "." {
		t.Errorf("gateway build %+v, want the repository's Dockerfile", gw.Build)
	}
	if init := c.Services["keys-init"]; init.Image != gw.Image || gw.Image == "" {
		t.Errorf("keys-init image %q, gateway image %q: want the same", init.Image, gw.Image)
	}
	// Published ports are the image's.
	var published []string
	for _, p := range gw.Ports {
		parts := strings.Split(p, ":")
		published = append(published, parts[len(parts)-1])
	}
	if !slices.Equal(published, df.expose) {
		t.Errorf("gateway publishes container ports %v, the image exposes %v", published, df.expose)
	}
	for _, env := range []string{"SETU_PG_ADDR", "SETU_HTTP_ADDR"} {
		if portOf(t, gw.Environment[env]) != portOf(t, df.env[env]) {
			t.Errorf("compose %s=%s, image %s", env, gw.Environment[env], df.env[env])
		}
	}
	if gw.Healthcheck == nil || !slices.Equal(gw.Healthcheck.Test, append([]string{"CMD"}, df.healthcheck...)) {
		t.Errorf("gateway healthcheck %+v, want the image's %v", gw.Healthcheck, df.healthcheck)
	}
	if gw.Environment["SETU_ENV"] != "production" {
		t.Errorf("compose gateway SETU_ENV %q, want production", gw.Environment["SETU_ENV"])
	}
	// The state volume is mounted where the image keeps the state DB, for both services.
	stateDir := path.Dir(gw.Environment["SETU_STATE_DB"])
	for _, svc := range []string{"gateway", "keys-init"} {
		if !slices.Contains(c.Services[svc].Volumes, "state:"+stateDir) || !c.Services[svc].ReadOnly {
			t.Errorf("%s: volumes %v read_only %v, want state:%s on a read-only root", svc, c.Services[svc].Volumes, c.Services[svc].ReadOnly, stateDir)
		}
	}
	if stateDir != df.volumes[0] {
		t.Errorf("compose state DB in %s, image volume %s", stateDir, df.volumes[0])
	}
	// Healthchecks everywhere and start order on them.
	for name, s := range c.Services {
		if name != "keys-init" && (s.Healthcheck == nil || len(s.Healthcheck.Test) == 0) {
			t.Errorf("service %s has no healthcheck", name)
		}
	}
	for dep, want := range map[string]string{"postgres": "service_healthy", "redis": "service_healthy", "keys-init": "service_completed_successfully"} {
		if got := gw.DependsOn[dep].Condition; got != want {
			t.Errorf("gateway depends_on %s: condition %q, want %q", dep, got, want)
		}
	}
	// Redis keeps an append-only file.
	if cmd, _ := json.Marshal(c.Services["redis"].Command); !strings.Contains(string(cmd), "--appendonly yes") {
		t.Errorf("redis command %s lacks --appendonly yes", cmd)
	}
	// The catalog mounted into the gateway is valid and the PostgreSQL init file exists.
	for _, v := range gw.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		if strings.HasPrefix(src, "./") && strings.HasSuffix(strings.TrimSuffix(dst, ":ro"), gw.Environment["SETU_CATALOG"]) {
			if _, err := catalog.LoadFile(filepath.Join(deployRoot, src)); err != nil {
				t.Errorf("compose catalog %s: %v", src, err)
			}
		}
	}
	for _, v := range c.Services["postgres"].Volumes {
		if src, _, _ := strings.Cut(v, ":"); strings.HasPrefix(src, "./") {
			if _, err := os.Stat(filepath.Join(deployRoot, src)); err != nil {
				t.Errorf("postgres mounts %s: %v", src, err)
			}
		}
	}
	// Compose interpolation: fill ${VAR...} with valid stand-ins, then serve must accept it all.
	env := map[string]string{}
	interp := regexp.MustCompile(`\$\{([A-Z_]+)[^}]*\}`)
	for k, v := range gw.Environment {
		env[k] = interp.ReplaceAllStringFunc(v, func(m string) string {
			switch interp.FindStringSubmatch(m)[1] {
			case "UBI_SECRET_KEY":
				return testFernetKey
			case "LOG_LEVEL":
				return "INFO"
			}
			return "stand-in"
		})
	}
	checkSettings(t, "docker-compose.yml gateway", env)
}

// checkSettings checks that every variable of a deployment file is a setting of serve (or a
// runtime variable of Go) and that serve accepts the values together.
func checkSettings(t *testing.T, where string, env map[string]string) {
	t.Helper()
	var c config
	known := map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true}
	for _, s := range c.Settings() {
		known[s.Env] = true
	}
	for _, s := range c.SecretSettings() {
		known[s.Env], known[s.Env+"_FILE"] = true, true
	}
	dir := t.TempDir()
	resolved := map[string]string{}
	for k, v := range env {
		if !known[k] {
			t.Errorf("%s sets %s, which serve does not read", where, k)
		}
		if strings.HasSuffix(k, "_FILE") {
			// The secret file exists only in the deployment: stand in a valid one.
			f := filepath.Join(dir, strings.TrimSuffix(k, "_FILE"))
			val := "stand-in"
			switch k {
			case "UBI_SECRET_KEY_FILE":
				val = testFernetKey
			case "SETU_STATE_DSN_FILE":
				val = "postgres://setu:stand-in@db.internal:5432/setu"
			}
			if err := os.WriteFile(f, []byte(val+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			v = f
		}
		resolved[k] = v
	}
	if _, err := loadConfig(nil, func(k string) string { return resolved[k] }, io.Discard); err != nil {
		t.Errorf("%s: serve refuses its settings: %v", where, err)
	}
}

// k8sObject is the part of a manifest the checks read.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec yaml.Node `yaml:"spec"`
}

func readManifests(t *testing.T, name string) []k8sObject {
	t.Helper()
	f, err := os.Open(filepath.Join(deployRoot, "k8s", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []k8sObject
	dec := yaml.NewDecoder(f)
	for {
		var o k8sObject
		if err := dec.Decode(&o); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("k8s/%s: %v", name, err)
		}
		out = append(out, o)
	}
}

type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	StartupProbe   *k8sProbe `yaml:"startupProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	Lifecycle      struct {
		PreStop struct {
			Exec struct {
				Command []string `yaml:"command"`
			} `yaml:"exec"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		ReadOnlyRootFilesystem   bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation bool `yaml:"allowPrivilegeEscalation"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
	} `yaml:"httpGet"`
}

func TestKubernetesKit(t *testing.T) {
	df := readDockerfile(t)
	// Settings: known to serve and valid together.
	settings := map[string]string{}
	b, err := os.ReadFile(filepath.Join(deployRoot, "k8s", "settings.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("k8s/settings.env: %q is not VAR=value", l)
		}
		settings[k] = v
	}
	checkSettings(t, "k8s/settings.env", settings)
	if settings["SETU_ENV"] != "production" {
		t.Errorf("k8s SETU_ENV %q, want production", settings["SETU_ENV"])
	}
	if _, err := catalog.LoadFile(filepath.Join(deployRoot, "k8s", "catalog.yaml")); err != nil {
		t.Errorf("k8s/catalog.yaml: %v", err)
	}

	var spec struct {
		Replicas int `yaml:"replicas"`
		Template struct {
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
					RunAsUser    int  `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				InitContainers []k8sContainer `yaml:"initContainers"`
				Containers     []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	}
	objs := readManifests(t, "deployment.yaml")
	if len(objs) != 1 || objs[0].Kind != "Deployment" {
		t.Fatalf("k8s/deployment.yaml: %d objects", len(objs))
	}
	if err := objs[0].Spec.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	pod := spec.Template.Spec
	if spec.Replicas != 3 {
		t.Errorf("replicas %d, want 3", spec.Replicas)
	}
	uid, _, _ := strings.Cut(df.user, ":")
	if !pod.SecurityContext.RunAsNonRoot || strconv.Itoa(pod.SecurityContext.RunAsUser) != uid {
		t.Errorf("pod securityContext %+v, want runAsNonRoot and the image's uid %s", pod.SecurityContext, uid)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	gw := pod.Containers[0]
	var ports []string
	for _, p := range gw.Ports {
		ports = append(ports, strconv.Itoa(p.ContainerPort))
	}
	if !slices.Equal(ports, df.expose) {
		t.Errorf("container ports %v, image exposes %v", ports, df.expose)
	}
	for env, port := range map[string]string{"SETU_PG_ADDR": ports[0], "SETU_HTTP_ADDR": ports[1]} {
		if portOf(t, settings[env]) != port {
			t.Errorf("k8s %s=%s, container port %s", env, settings[env], port)
		}
	}
	for name, p := range map[string]*k8sProbe{"startup": gw.StartupProbe, "liveness": gw.LivenessProbe, "readiness": gw.ReadinessProbe} {
		want := "/v1/health"
		if name == "readiness" {
			want = "/v1/ready"
		}
		if p == nil || p.HTTPGet.Path != want {
			t.Errorf("%s probe %+v, want GET %s", name, p, want)
		}
	}
	if !gw.SecurityContext.ReadOnlyRootFilesystem || gw.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("gateway securityContext %+v", gw.SecurityContext)
	}
	for _, r := range []string{"cpu", "memory"} {
		if gw.Resources.Requests[r] == "" || gw.Resources.Limits[r] == "" {
			t.Errorf("gateway resources %+v lack %s", gw.Resources, r)
		}
	}
	// preStop sleep + the drain must fit in the grace period.
	pre := gw.Lifecycle.PreStop.Exec.Command
	if len(pre) != 2 || pre[0] != "sleep" {
		t.Fatalf("preStop %v, want [sleep N]", pre)
	}
	sleep, _ := strconv.Atoi(pre[1])
	if need := sleep + int(shutdownGrace.Seconds()); pod.TerminationGracePeriodSeconds <= need {
		t.Errorf("terminationGracePeriodSeconds %d, want above preStop %ds + drain %s", pod.TerminationGracePeriodSeconds, sleep, shutdownGrace)
	}
	// The state DB and the catalog are where the settings say.
	mounts := map[string]string{}
	for _, m := range gw.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	if mounts[path.Dir(settings["SETU_STATE_DB"])] == "" || mounts[path.Dir(settings["SETU_CATALOG"])] == "" {
		t.Errorf("mounts %v lack the state DB or the catalog directory", mounts)
	}
	for _, k := range []string{"UBI_SECRET_KEY_FILE", "REDIS_URL_FILE", "SETU_STATE_DSN_FILE"} {
		if mounts[path.Dir(settings[k])] != "secrets" {
			t.Errorf("%s=%s is not on the secrets volume (mounts %v)", k, settings[k], mounts)
		}
	}
	// More than one replica share one PostgreSQL state store; a per-pod SQLite copy restored
	// at start would let replicas disagree about keys.
	if len(pod.InitContainers) != 0 || !strings.HasPrefix(settings["SETU_STATE_DSN_FILE"], "/run/secrets/") {
		t.Errorf("init containers %+v, SETU_STATE_DSN_FILE %q: want the shared state store of a secret, no per-pod restore", pod.InitContainers, settings["SETU_STATE_DSN_FILE"])
	}
}

// Every metric the alerts read is one the gateway (or the Redis exporter) exports.
func TestAlertMetricsExist(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployRoot, "k8s", "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	err = filepath.WalkDir(deployRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			src.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	code := src.String()
	names := regexp.MustCompile(`\b(setu|setupranali)_[a-z_]+\b`).FindAllString(string(b), -1)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		base := n
		for _, suf := range []string{"_bucket", "_count", "_sum"} {
			base = strings.TrimSuffix(base, suf)
		}
		short := strings.TrimPrefix(base, "setu_")
		// Registered either with the full name or as Name under metrics.Namespace ("setu").
		if !strings.Contains(code, `"`+base+`"`) && !(strings.HasPrefix(base, "setu_") && strings.Contains(code, `Name: "`+short+`"`)) {
			t.Errorf("k8s/prometheusrule.yaml reads %s, which no Go code registers", n)
		}
	}
	if len(seen) == 0 {
		t.Error("no gateway metric found in the rules")
	}
}

// k8sNetworkPolicy is the part of a NetworkPolicy's spec the checks read.
type k8sNetworkPolicy struct {
	PodSelector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"podSelector"`
	PolicyTypes []string `yaml:"policyTypes"`
	Ingress     []struct {
		From  []yaml.Node     `yaml:"from"`
		Ports []k8sPolicyPort `yaml:"ports"`
	} `yaml:"ingress"`
	Egress []struct {
		To []struct {
			PodSelector *struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"podSelector"`
			NamespaceSelector *struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"namespaceSelector"`
			IPBlock *yaml.Node `yaml:"ipBlock"`
		} `yaml:"to"`
		Ports []k8sPolicyPort `yaml:"ports"`
	} `yaml:"egress"`
}

type k8sPolicyPort struct {
	Protocol string `yaml:"protocol"`
	Port     int    `yaml:"port"`
}

// The gateway pods are fenced: every NetworkPolicy that selects them admits ingress only on the
// container's pg and HTTP ports, and egress only to Redis (its pods, its port), the cluster DNS
// (port 53) and PostgreSQL sources (5432); no rule allows every port, and one policy makes both
// directions default-deny.
func TestGatewayNetworkPolicy(t *testing.T) {
	var dep struct {
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				Containers []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	}
	if err := readManifests(t, "deployment.yaml")[0].Spec.Decode(&dep); err != nil {
		t.Fatal(err)
	}
	gwLabels := dep.Template.Metadata.Labels
	var containerPorts []int
	for _, p := range dep.Template.Spec.Containers[0].Ports {
		containerPorts = append(containerPorts, p.ContainerPort)
	}
	redisLabels := map[string]string{}
	for _, o := range readManifests(t, "redis.yaml") {
		if o.Kind != "StatefulSet" {
			continue
		}
		var ss struct {
			Template struct {
				Metadata struct {
					Labels map[string]string `yaml:"labels"`
				} `yaml:"metadata"`
			} `yaml:"template"`
		}
		if err := o.Spec.Decode(&ss); err != nil {
			t.Fatal(err)
		}
		redisLabels = ss.Template.Metadata.Labels
	}
	selects := func(sel, labels map[string]string) bool {
		if len(sel) == 0 {
			return false
		}
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return true
	}
	ingressTypes, egressTypes := 0, 0
	allowedIn := map[int]bool{}
	redis, dns := false, false
	for _, o := range readManifests(t, "networkpolicy.yaml") {
		if o.Kind != "NetworkPolicy" {
			t.Fatalf("networkpolicy.yaml has a %s", o.Kind)
		}
		var np k8sNetworkPolicy
		if err := o.Spec.Decode(&np); err != nil {
			t.Fatal(err)
		}
		if !selects(np.PodSelector.MatchLabels, gwLabels) {
			continue
		}
		for _, pt := range np.PolicyTypes {
			switch pt {
			case "Ingress":
				ingressTypes++
			case "Egress":
				egressTypes++
			}
		}
		for _, in := range np.Ingress {
			if len(in.Ports) == 0 {
				t.Errorf("%s: an ingress rule allows every port", o.Metadata.Name)
			}
			for _, p := range in.Ports {
				if p.Protocol != "TCP" || !slices.Contains(containerPorts, p.Port) {
					t.Errorf("%s: ingress to %s/%d, which is not a gateway port %v", o.Metadata.Name, p.Protocol, p.Port, containerPorts)
				}
				allowedIn[p.Port] = true
			}
		}
		for _, eg := range np.Egress {
			if len(eg.Ports) == 0 {
				t.Errorf("%s: an egress rule allows every port", o.Metadata.Name)
			}
			var ports []int
			for _, p := range eg.Ports {
				ports = append(ports, p.Port)
			}
			toRedis := len(eg.To) > 0 && eg.To[0].PodSelector != nil && selects(eg.To[0].PodSelector.MatchLabels, redisLabels)
			switch {
			case toRedis && slices.Equal(ports, []int{6379}):
				redis = true
			case slices.Equal(ports, []int{53, 53}) && len(eg.To) == 1 && eg.To[0].NamespaceSelector != nil &&
				eg.To[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "kube-system":
				dns = true
			case slices.Equal(ports, []int{5432}):
				// PostgreSQL sources: the one port; operators narrow "to" (docs/production.md).
			default:
				t.Errorf("%s: egress rule to %v on %v is neither Redis, DNS nor a PostgreSQL source", o.Metadata.Name, eg.To, ports)
			}
		}
	}
	if ingressTypes == 0 || egressTypes == 0 {
		t.Errorf("no NetworkPolicy makes the gateway pods default-deny both ways (Ingress %d, Egress %d)", ingressTypes, egressTypes)
	}
	for _, p := range containerPorts {
		if !allowedIn[p] {
			t.Errorf("gateway port %d is not reachable", p)
		}
	}
	if !redis || !dns {
		t.Errorf("egress to Redis %v, to DNS %v: the gateway needs both", redis, dns)
	}
}
