// Command passwordless-bench is the load generator of the server: it drives
// full WebAuthn ceremonies with real keys and signatures over HTTP and
// reports throughput, latency percentiles, errors, the server's CPU time
// per ceremony as a multiple of one signature verification, and the
// server's memory.
//
// Against a running server (its public rate limit disabled with
// PASSWORDLESS_PUBLIC_RATE_LIMIT=0):
//
//	passwordless-bench --url http://127.0.0.1:5701 --management-key KEY --server-pid PID
//
// Or let it build and start the server on a database of its own:
//
//	passwordless-bench --spawn --database /tmp/bench.db --seed 100000 --sweep 8,16,32 --half-peak
//
// Run with -h for every flag; docs/benchmarks.md has the recipes.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/passwordless-oss/server/internal/bench"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/store/storeopen"
)

type options struct {
	url, managementKey, appID    string
	alg                          string
	users                        int
	scenario, signinMode         string
	concurrency                  int
	sweep                        string
	halfPeak                     bool
	rate                         float64
	maxInFlight                  int
	requests                     int64
	duration, warmup, floorTime  time.Duration
	serverPID                    int
	jsonOut, label               string
	spawn                        bool
	serverBin, database, logFile string
	seed                         int64
	seedBatch                    int
	origin, rpID                 string
	soak, soakEvery              time.Duration
	soakRegisterEvery            int
	soakOut, soakTitle           string
	soakMaxWAL                   int
	soakReplay                   string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "passwordless-bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("passwordless-bench", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "", "server URL (loopback only), e.g. http://127.0.0.1:5701; not with --spawn")
	fs.StringVar(&o.managementKey, "management-key", os.Getenv("PASSWORDLESS_MANAGEMENT_KEY"), "ManagementKey of the server")
	fs.StringVar(&o.appID, "app", "", "app id to create (default: bench + random); an existing app gets fresh keys")
	fs.StringVar(&o.alg, "alg", "ES256", "credential algorithm: ES256 or EdDSA")
	fs.IntVar(&o.users, "users", 200, "users registered through full HTTP ceremonies before a sign-in run (at least the concurrency)")
	fs.StringVar(&o.scenario, "scenario", "signin", "register or signin")
	fs.StringVar(&o.signinMode, "signin-mode", "mix", "how sign-ins begin: id, alias, discoverable or mix (round robin)")
	fs.IntVar(&o.concurrency, "concurrency", 16, "concurrent ceremonies (closed loop)")
	fs.StringVar(&o.sweep, "sweep", "", "comma-separated concurrencies, one measured phase each (instead of --concurrency)")
	fs.BoolVar(&o.halfPeak, "half-peak", false, "after the phases, run one at a fixed rate of half the best throughput")
	fs.Float64Var(&o.rate, "rate", 0, "ceremonies started per second (open loop) instead of a fixed concurrency")
	fs.IntVar(&o.maxInFlight, "max-in-flight", 256, "with --rate: most ceremonies in flight at once")
	fs.Int64Var(&o.requests, "requests", 100000, "most ceremonies per measured phase")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "longest measured phase")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before the first phase")
	fs.DurationVar(&o.floorTime, "floor-time", time.Second, "time spent measuring one signature verification")
	fs.IntVar(&o.serverPID, "server-pid", 0, "pid of the server, for CPU time and RSS from /proc (automatic with --spawn)")
	fs.StringVar(&o.jsonOut, "json", "", "write the report as JSON to this file")
	fs.StringVar(&o.label, "label", "", "free text stored in the report")
	fs.BoolVar(&o.spawn, "spawn", false, "build (or take --server-bin) and start the server on --database")
	fs.StringVar(&o.serverBin, "server-bin", "", "with --spawn: server binary (default: go build ./cmd/passwordless in the current module)")
	fs.StringVar(&o.database, "database", "", "SQLite path or postgres:// URL: the server's database with --spawn, and where --seed writes")
	fs.StringVar(&o.logFile, "server-log", "", "with --spawn: file for the server's output (default: discarded)")
	fs.Int64Var(&o.seed, "seed", 0, "pre-load the app with this many credentials (filler users) through the store's bulk import")
	fs.IntVar(&o.seedBatch, "seed-batch", 5000, "credentials per import transaction")
	fs.StringVar(&o.origin, "origin", "https://bench.example.com", "origin the browser client reports")
	fs.StringVar(&o.rpID, "rpid", "bench.example.com", "relying party id")
	fs.DurationVar(&o.soak, "soak", 0, "soak instead of phases: run sign-ins (and registrations, see --soak-register-every) at --concurrency for this long, sampling memory, database and log sizes, throughput and p99; exits 1 when a series grows without bound")
	fs.DurationVar(&o.soakEvery, "soak-every", 5*time.Second, "with --soak: sampling interval")
	fs.IntVar(&o.soakRegisterEvery, "soak-register-every", 10, "with --soak: one ceremony in this many is a registration of a new user; 0 for sign-ins only")
	fs.StringVar(&o.soakOut, "soak-out", "soak", "with --soak: write the samples to this path plus .csv and the chart plus .svg")
	fs.IntVar(&o.soakMaxWAL, "soak-max-wal", 64, "with --soak on SQLite: MiB the log file must never pass (the server's PASSWORDLESS_SQLITE_MAX_WAL); 0 checks only that it levels off")
	fs.StringVar(&o.soakReplay, "soak-replay", "", "judge and draw again the samples of an earlier soak's CSV (with --soak-out, --soak-title, --soak-max-wal and --database for the store kind); runs no load")
	fs.StringVar(&o.soakTitle, "soak-title", "", "with --soak: the chart's title (default: the store and the duration)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.alg != "ES256" && o.alg != "EdDSA":
		return o, errors.New("--alg must be ES256 or EdDSA")
	case o.scenario != "signin" && o.scenario != "register":
		return o, errors.New("--scenario must be signin or register")
	case !slices.Contains([]string{"id", "alias", "discoverable", "mix"}, o.signinMode):
		return o, errors.New("--signin-mode must be id, alias, discoverable or mix")
	case o.spawn && o.database == "":
		return o, errors.New("--spawn needs --database")
	case o.spawn && o.url != "":
		return o, errors.New("--spawn starts its own server; leave out --url")
	case !o.spawn && o.url == "" && o.soakReplay == "":
		return o, errors.New("give --url (and --management-key) or --spawn --database")
	case o.seed > 0 && o.database == "":
		return o, errors.New("--seed needs --database")
	case o.requests <= 0 || o.duration <= 0:
		return o, errors.New("--requests and --duration must be positive")
	}
	if o.appID == "" {
		var b [3]byte
		rand.Read(b[:])
		o.appID = "bench" + hex.EncodeToString(b[:])
	}
	return o, nil
}

// Report is the JSON document of one run.
type Report struct {
	Label     string            `json:"label,omitempty"`
	StartedAt time.Time         `json:"startedAt"`
	Machine   Machine           `json:"machine"`
	Config    map[string]any    `json:"config"`
	Floor     bench.Floor       `json:"floor"`
	FloorP256 bench.Floor       `json:"floorP256"`
	Seed      *bench.SeedResult `json:"seed,omitempty"`
	Setup     *Setup            `json:"setup,omitempty"`
	Phases    []Phase           `json:"phases"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpuModel"`
	GoVersion string `json:"goVersion"`
	MemTotal  string `json:"memTotal"`
	// BackgroundBusy is the share of all CPUs busy during one second
	// before the load started (other processes; should be near 0).
	BackgroundBusy float64 `json:"backgroundBusy"`
}

// Setup is the registration of the measured users.
type Setup struct {
	Users    int             `json:"users"`
	TookSec  float64         `json:"tookSec"`
	PerSec   float64         `json:"perSec"`
	Failures int             `json:"failures"`
	Ops      []bench.OpStats `json:"ops"`
}

// Phase is one measured load phase.
type Phase struct {
	Name        string          `json:"name"`
	Concurrency int             `json:"concurrency,omitempty"`
	Rate        float64         `json:"rate,omitempty"`
	WallSec     float64         `json:"wallSec"`
	Ceremonies  int64           `json:"ceremonies"` // successful
	Failed      int64           `json:"failed"`
	PerSec      float64         `json:"ceremoniesPerSec"`
	Ops         []bench.OpStats `json:"ops"`
	FirstErrors []string        `json:"firstErrors,omitempty"`

	ServerCPUSec             float64 `json:"serverCpuSec,omitempty"`
	ServerCPUPerCeremonyUs   float64 `json:"serverCpuPerCeremonyUs,omitempty"`
	RatioToFloor             float64 `json:"ratioToFloor,omitempty"`
	RatioToP256              float64 `json:"ratioToP256,omitempty"`
	BenchCPUPerCeremonyUs    float64 `json:"benchCpuPerCeremonyUs"`
	PostgresCPUPerCeremonyUs float64 `json:"postgresCpuPerCeremonyUs,omitempty"`
	MachineCPUUtil           float64 `json:"machineCpuUtilization"` // 0..1 of all CPUs
	ServerRSSMaxBytes        int64   `json:"serverRssMaxBytes,omitempty"`
	ServerHWMBytes           int64   `json:"serverHwmBytes,omitempty"`
}

func run(ctx context.Context, args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if o.soakReplay != "" {
		return replaySoak(o)
	}
	rep := Report{Label: o.label, StartedAt: time.Now().UTC(), Machine: machine(), Config: configMap(o)}

	// The floor first, on a quiet machine.
	fmt.Fprintf(os.Stderr, "measuring one %s verification...\n", o.alg)
	rep.Floor = bench.MeasureFloor(o.alg, o.floorTime)
	rep.FloorP256 = rep.Floor
	if o.alg != "ES256" {
		rep.FloorP256 = bench.MeasureFloor("ES256", o.floorTime)
	}

	baseURL, mgmtKey, pid, stop, err := startServer(ctx, o)
	if err != nil {
		return err
	}
	defer stop()
	if err := bench.CheckLoopback(baseURL); err != nil {
		return err
	}
	rep.Machine.BackgroundBusy = measureBackground()
	baseURL = strings.TrimRight(baseURL, "/")

	sweep, maxConc, err := concurrencies(o)
	if err != nil {
		return err
	}
	hc := bench.NewHTTPClient(maxConc)
	app, err := bench.CreateApp(ctx, hc, baseURL, mgmtKey, o.appID)
	if err != nil {
		return fmt.Errorf("create app: %w", err)
	}
	fmt.Fprintf(os.Stderr, "app %s\n", app.ID)
	if o.seed > 0 {
		if rep.Seed, err = seedApp(ctx, o, app.ID); err != nil {
			return err
		}
	}

	alg := softauthn.ES256
	if o.alg == "EdDSA" {
		alg = softauthn.EdDSA
	}
	var tag [3]byte
	rand.Read(tag[:])
	runTag := hex.EncodeToString(tag[:])
	newClient := func(rec *bench.Recorder) *bench.Client {
		return &bench.Client{BaseURL: baseURL, APIKey: app.APIKey, APISecret: app.APISecret,
			Origin: o.origin, RPID: o.rpID, HTTP: hc, Rec: rec}
	}
	b := &benchRun{o: o, rep: &rep, pid: pid, newClient: newClient}
	if err := b.prepareCeremony(ctx, alg, runTag, maxConc); err != nil {
		return err
	}

	if o.soak > 0 {
		if o.scenario != "signin" {
			return errors.New("--soak runs sign-ins and registrations; leave --scenario at signin")
		}
		soakCeremony := func(ctx context.Context, n int64) error {
			if o.soakRegisterEvery > 0 && n%int64(o.soakRegisterEvery) == 0 {
				id := fmt.Sprintf("soak-%s-%d", runTag, n)
				_, err := clientFrom(ctx).Register(ctx, id, id+"@example.com", alg)
				return err
			}
			return b.ceremony(ctx, n)
		}
		return runSoak(withClient(ctx, newClient(bench.NewRecorder())), o, pid, soakCeremony)
	}

	b.runPhases(ctx, sweep)
	if o.jsonOut != "" {
		out, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(out, '\n'), 0o644); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// startServer spawns the server (--spawn) or names the one given, and
// returns how to reach it, its pid (0: unknown) and how to stop it.
func startServer(ctx context.Context, o options) (baseURL, mgmtKey string, pid int, stop func(), err error) {
	baseURL, mgmtKey, pid, stop = o.url, o.managementKey, o.serverPID, func() {}
	if !o.spawn {
		return baseURL, mgmtKey, pid, stop, nil
	}
	bin := o.serverBin
	if bin == "" {
		fmt.Fprintln(os.Stderr, "building the server...")
		if bin, err = bench.BuildServer(ctx, "."); err != nil {
			return "", "", 0, stop, err
		}
	}
	var logw io.Writer
	var logFile *os.File
	if o.logFile != "" {
		if logFile, err = os.Create(o.logFile); err != nil {
			return "", "", 0, stop, err
		}
		logw = logFile
	}
	srv, err := bench.Spawn(ctx, bench.SpawnConfig{Binary: bin, Database: o.database, LogFile: logw})
	if err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return "", "", 0, stop, err
	}
	stop = func() {
		srv.Stop()
		if logFile != nil {
			logFile.Close()
		}
	}
	fmt.Fprintf(os.Stderr, "server pid %d at %s\n", srv.PID(), srv.URL)
	return srv.URL, srv.ManagementKey, srv.PID(), stop, nil
}

// measureBackground returns the share of the machine's CPU busy with other
// work over a second: it skews every number.
func measureBackground() float64 {
	sys0, err := bench.SystemCPU()
	if err != nil {
		return 0
	}
	time.Sleep(time.Second)
	sys1, _ := bench.SystemCPU()
	busy := (sys1 - sys0).Seconds() / float64(runtime.NumCPU())
	fmt.Fprintf(os.Stderr, "machine busy before the run: %.0f%%\n", busy*100)
	return busy
}

// concurrencies returns the concurrency of each phase and the highest
// number of requests in flight at once.
func concurrencies(o options) (sweep []int, maxConc int, err error) {
	maxConc = o.concurrency
	sweep = []int{o.concurrency}
	if o.sweep != "" {
		sweep = nil
		for _, f := range strings.Split(o.sweep, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return nil, 0, fmt.Errorf("--sweep: bad concurrency %q", f)
			}
			sweep = append(sweep, n)
			maxConc = max(maxConc, n)
		}
	}
	if o.rate > 0 {
		maxConc = max(maxConc, o.maxInFlight)
	}
	return sweep, maxConc, nil
}

// seedApp fills the app with filler credentials (--seed) straight
// through the store.
func seedApp(ctx context.Context, o options, appID string) (*bench.SeedResult, error) {
	st, err := storeopen.Open(ctx, o.database, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("open store for seeding: %w", err)
	}
	sr, err := bench.Seed(ctx, st, appID, o.alg, o.rpID, o.origin, o.seed, o.seedBatch, os.Stderr)
	st.Close()
	if err != nil {
		return nil, err
	}
	if sr.Added > 0 {
		fmt.Fprintf(os.Stderr, "seeded %d credentials in %s (%.0f/s)\n", sr.Added, sr.Took.Round(time.Millisecond), sr.PerSec)
	} else {
		fmt.Fprintf(os.Stderr, "app already holds %d credentials; not seeding\n", sr.Existing)
	}
	return &sr, nil
}

// benchRun is one run's measured ceremony and what its phases record.
type benchRun struct {
	o         options
	rep       *Report
	pid       int
	newClient func(*bench.Recorder) *bench.Client
	// ceremony is what each phase repeats, counted as ceremonyOp.
	ceremony   bench.Ceremony
	ceremonyOp string
}

// prepareCeremony sets the ceremony each phase repeats: a sign-in of one
// of the users it registers first, or a registration of a new user.
func (b *benchRun) prepareCeremony(ctx context.Context, alg softauthn.Alg, runTag string, maxConc int) error {
	b.ceremonyOp = bench.OpCeremonyRegister
	if b.o.scenario == "signin" {
		b.ceremonyOp = bench.OpCeremonySignin
		nUsers := max(b.o.users, maxConc)
		fmt.Fprintf(os.Stderr, "registering %d users...\n", nUsers)
		rec := bench.NewRecorder()
		cl := b.newClient(rec)
		var mu sync.Mutex
		var all []*bench.User
		res := bench.Run(ctx, bench.Plan{Concurrency: min(maxConc, 32), Requests: int64(nUsers), Duration: 10 * time.Minute},
			rec, bench.OpCeremonyRegister, os.Stderr, func(ctx context.Context, n int64) error {
				id := fmt.Sprintf("user-%s-%d", runTag, n)
				u, err := cl.Register(ctx, id, id+"@example.com", alg)
				if err != nil {
					return err
				}
				mu.Lock()
				all = append(all, u)
				mu.Unlock()
				return nil
			})
		b.rep.Setup = &Setup{Users: len(all), TookSec: res.Wall.Seconds(), PerSec: float64(len(all)) / res.Wall.Seconds(),
			Failures: int(res.Failed), Ops: rec.Stats(res.Wall)}
		if len(all) < maxConc {
			return fmt.Errorf("only %d of %d users registered: %v", len(all), nUsers, res.FirstErrors)
		}
		pool := make(chan *bench.User, len(all))
		for _, u := range all {
			pool <- u
		}
		modes := []bench.SigninMode{bench.ByID, bench.ByAlias, bench.Discoverable}
		if b.o.signinMode != "mix" {
			modes = []bench.SigninMode{bench.SigninMode(b.o.signinMode)}
		}
		b.ceremony = func(ctx context.Context, n int64) error {
			// One ceremony per user at a time: counters stay in order.
			var u *bench.User
			select {
			case u = <-pool:
			case <-ctx.Done():
				return ctx.Err()
			}
			defer func() { pool <- u }()
			return clientFrom(ctx).Signin(ctx, u, modes[n%int64(len(modes))])
		}
	} else {
		b.ceremony = func(ctx context.Context, n int64) error {
			id := fmt.Sprintf("reg-%s-%d-%d", runTag, time.Now().UnixNano(), n)
			_, err := clientFrom(ctx).Register(ctx, id, id+"@example.com", alg)
			return err
		}
	}
	return nil
}

// runPhase runs one phase of the measured ceremony and prints it.
func (b *benchRun) runPhase(ctx context.Context, name string, plan bench.Plan) Phase {
	pid := b.pid
	rec := bench.NewRecorder()
	ctx = withClient(ctx, b.newClient(rec))
	var cpu0, sys0, self0 time.Duration
	if pid > 0 {
		cpu0, _ = bench.ProcCPU(pid)
	}
	pg0 := bench.ProcsCPU("postgres")
	sys0, _ = bench.SystemCPU()
	self0, _ = bench.ProcCPU(os.Getpid())
	var rssMax int64
	stopRSS := make(chan struct{})
	var rssWG sync.WaitGroup
	if pid > 0 {
		rssWG.Add(1)
		go func() {
			defer rssWG.Done()
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				if rss, _, err := bench.ProcMemory(pid); err == nil {
					rssMax = max(rssMax, rss)
				}
				select {
				case <-stopRSS:
					return
				case <-t.C:
				}
			}
		}()
	}
	fmt.Fprintf(os.Stderr, "phase %s\n", name)
	res := bench.Run(ctx, plan, rec, b.ceremonyOp, os.Stderr, b.ceremony)
	close(stopRSS)
	rssWG.Wait()
	ph := Phase{Name: name, Concurrency: plan.Concurrency, Rate: plan.Rate, WallSec: res.Wall.Seconds(),
		Ceremonies: res.Completed - res.Failed, Failed: res.Failed, Ops: rec.Stats(res.Wall), FirstErrors: res.FirstErrors}
	ph.PerSec = float64(ph.Ceremonies) / res.Wall.Seconds()
	okN := float64(max(ph.Ceremonies, 1))
	if pid > 0 {
		cpu1, err := bench.ProcCPU(pid)
		if err == nil {
			d := cpu1 - cpu0
			ph.ServerCPUSec = d.Seconds()
			ph.ServerCPUPerCeremonyUs = float64(d.Microseconds()) / okN
			ph.RatioToFloor = float64(d.Nanoseconds()) / okN / b.rep.Floor.NsPerVerify
			ph.RatioToP256 = float64(d.Nanoseconds()) / okN / b.rep.FloorP256.NsPerVerify
		}
		_, hwm, _ := bench.ProcMemory(pid)
		ph.ServerRSSMaxBytes, ph.ServerHWMBytes = rssMax, hwm
	}
	if pg1 := bench.ProcsCPU("postgres"); len(pg0) > 0 || len(pg1) > 0 {
		ph.PostgresCPUPerCeremonyUs = float64(bench.CPUSpent(pg0, pg1).Microseconds()) / okN
	}
	sys1, _ := bench.SystemCPU()
	ph.MachineCPUUtil = (sys1 - sys0).Seconds() / res.Wall.Seconds() / float64(runtime.NumCPU())
	self1, _ := bench.ProcCPU(os.Getpid())
	ph.BenchCPUPerCeremonyUs = float64((self1 - self0).Microseconds()) / okN
	printPhase(os.Stdout, ph, b.rep.Floor, b.rep.FloorP256)
	return ph
}

// runPhases runs the warm-up and the phases: one at the set rate, or one
// per concurrency of the sweep, and the half-peak phase if asked.
func (b *benchRun) runPhases(ctx context.Context, sweep []int) {
	if b.o.warmup > 0 {
		wrec := bench.NewRecorder()
		fmt.Fprintln(os.Stderr, "warm-up")
		bench.Run(withClient(ctx, b.newClient(wrec)), bench.Plan{Concurrency: sweep[0], Duration: b.o.warmup, Requests: b.o.requests},
			wrec, b.ceremonyOp, nil, b.ceremony)
	}
	if b.o.rate > 0 {
		b.rep.Phases = append(b.rep.Phases, b.runPhase(ctx, fmt.Sprintf("rate %.0f/s", b.o.rate),
			bench.Plan{Rate: b.o.rate, MaxInFlight: b.o.maxInFlight, Requests: b.o.requests, Duration: b.o.duration}))
	} else {
		for _, c := range sweep {
			if ctx.Err() != nil {
				break
			}
			b.rep.Phases = append(b.rep.Phases, b.runPhase(ctx, fmt.Sprintf("concurrency %d", c),
				bench.Plan{Concurrency: c, Requests: b.o.requests, Duration: b.o.duration}))
		}
	}
	if b.o.halfPeak && ctx.Err() == nil {
		var best float64
		for _, p := range b.rep.Phases {
			best = max(best, p.PerSec)
		}
		if best > 0 {
			rate := best / 2
			b.rep.Phases = append(b.rep.Phases, b.runPhase(ctx, fmt.Sprintf("half peak %.0f/s", rate),
				bench.Plan{Rate: rate, MaxInFlight: b.o.maxInFlight, Requests: b.o.requests, Duration: b.o.duration}))
		}
	}
}

// runSoak runs the soak, prints the verdicts, writes the CSV and the
// chart, and fails when a checked series grows.
func runSoak(ctx context.Context, o options, pid int, fn bench.Ceremony) error {
	var sizer bench.Sizer
	if o.database != "" {
		var err error
		if sizer, err = bench.NewSizer(ctx, o.database); err != nil {
			return err
		}
		defer sizer.Close()
	}
	fmt.Fprintf(os.Stderr, "soak for %s at concurrency %d, a sample every %s\n", o.soak, o.concurrency, o.soakEvery)
	samples := bench.Soak(ctx, bench.SoakPlan{Duration: o.soak, Concurrency: o.concurrency, Every: o.soakEvery,
		ServerPID: pid, Sizer: sizer, Progress: os.Stderr}, fn)
	return judgeSoak(o, samples)
}

// replaySoak judges and draws the samples of an earlier soak again.
func replaySoak(o options) error {
	f, err := os.Open(o.soakReplay)
	if err != nil {
		return err
	}
	defer f.Close()
	samples, err := bench.ReadSoakCSV(f)
	if err != nil {
		return fmt.Errorf("%s: %w", o.soakReplay, err)
	}
	return judgeSoak(o, samples)
}

// judgeSoak prints the verdicts, writes the CSV and the chart, and fails
// when a checked series grows.
func judgeSoak(o options, samples []bench.SoakSample) error {
	if len(samples) == 0 {
		return errors.New("the soak took no sample")
	}
	var limits map[string]float64
	if o.soakMaxWAL > 0 && !bench.IsPostgres(o.database) {
		limits = map[string]float64{"wal": float64(o.soakMaxWAL)}
	}
	verdicts := bench.Verdicts(samples, limits)
	title := o.soakTitle
	if title == "" {
		store := "SQLite"
		if bench.IsPostgres(o.database) {
			store = "PostgreSQL"
		}
		title = fmt.Sprintf("%s soak, %s at concurrency %d", store, o.soak, o.concurrency)
	}
	grows := false
	for _, v := range verdicts {
		fmt.Printf("%-12s %s\n", v.Name, v.Text)
		grows = grows || !v.Bounded
	}
	if err := writeFile(o.soakOut+".csv", func(w io.Writer) error { return bench.WriteSoakCSV(w, samples) }); err != nil {
		return err
	}
	if err := writeFile(o.soakOut+".svg", func(w io.Writer) error { return bench.WriteSoakSVG(w, title, samples, verdicts) }); err != nil {
		return err
	}
	if grows {
		return errors.New("a series grows without bound (see above)")
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type clientKey struct{}

func withClient(ctx context.Context, c *bench.Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

func clientFrom(ctx context.Context) *bench.Client { return ctx.Value(clientKey{}).(*bench.Client) }

func printPhase(w io.Writer, ph Phase, floor, p256 bench.Floor) {
	fmt.Fprintf(w, "\n== %s: %d ceremonies in %.1fs = %.1f/s, %d failed\n", ph.Name, ph.Ceremonies, ph.WallSec, ph.PerSec, ph.Failed)
	bench.WriteTable(w, ph.Ops)
	fmt.Fprintf(w, "floor: one %s verify = %.1f µs", floor.Alg, floor.NsPerVerify/1000)
	if p256.Alg != floor.Alg {
		fmt.Fprintf(w, "; one P-256 verify = %.1f µs", p256.NsPerVerify/1000)
	}
	fmt.Fprintln(w)
	if ph.ServerCPUSec > 0 {
		fmt.Fprintf(w, "server CPU: %.2fs, %.0f µs per ceremony = %.1f× the floor (%.1f× one P-256 verify)\n",
			ph.ServerCPUSec, ph.ServerCPUPerCeremonyUs, ph.RatioToFloor, ph.RatioToP256)
		fmt.Fprintf(w, "server memory: VmRSS max %.1f MB, VmHWM %.1f MB\n", float64(ph.ServerRSSMaxBytes)/1e6, float64(ph.ServerHWMBytes)/1e6)
	}
	if ph.PostgresCPUPerCeremonyUs > 0 {
		fmt.Fprintf(w, "postgres CPU: %.0f µs per ceremony\n", ph.PostgresCPUPerCeremonyUs)
	}
	fmt.Fprintf(w, "load generator CPU: %.0f µs per ceremony; machine CPU busy %.0f%%\n", ph.BenchCPUPerCeremonyUs, ph.MachineCPUUtil*100)
	for _, e := range ph.FirstErrors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		m.MemTotal = strings.Join(strings.Fields(strings.TrimPrefix(l, "MemTotal:")), " ")
	}
	return m
}

func configMap(o options) map[string]any {
	db := o.database
	if bench.IsPostgres(db) {
		db = "postgres"
	} else if db != "" {
		db = "sqlite"
	}
	return map[string]any{
		"alg": o.alg, "users": o.users, "scenario": o.scenario, "signinMode": o.signinMode,
		"concurrency": o.concurrency, "sweep": o.sweep, "rate": o.rate, "requests": o.requests,
		"durationSec": o.duration.Seconds(), "warmupSec": o.warmup.Seconds(), "spawn": o.spawn,
		"store": db, "seed": o.seed,
	}
}
