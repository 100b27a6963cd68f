// Command mutants runs a mutation pass over the root package and its
// internal packages: it changes one operator (or applies one hand-made
// change) at a time and runs the tests that cover the changed line. A
// mutant that no covering test fails on "lived": a promise no test checks.
//
// It is a faster gremlins (v0.6.0, whose operators it reproduces; a minus
// that gremlins mutates twice, as ARITHMETIC_BASE and INVERT_NEGATIVES, is
// one mutant here): instead of the whole package suite per mutant, it runs
// only the top-level tests whose coverage reaches the mutant's line
// (coverage recorded per test, across packages, so that a mutant of
// internal/retry is also tried against the root package's tests), and it
// never writes to the source tree: the mutated file goes to the compiler
// through go's -overlay. Comparisons and logical operators are first tried
// in test binaries built once with all of them (schemata.go).
//
// Verdicts: KILLED when a covering test fails, and fails again alone (a
// test that fails among the others but passes alone failed on timing, under
// the load of a shared machine, and is left out); NOT_VIABLE when the
// mutant does not compile; TIMED_OUT when the tests outlive their timeout
// (-timeout-factor times their normal time, plus 30 s), reported apart and
// not counted as killed; NOT_COVERED when no test runs the line; LIVED;
// EQUIVALENT when equivalent.txt sets it aside. The score is killed /
// (killed + lived + not covered + timed out). Tests run with -short and
// -count=1 (no cached result).
//
// It is not run in CI: it takes long. Run it from the module root, on one
// worker (-dir runs it on a copy of the tree, which can then be edited
// meanwhile):
//
//	go run ./.ci/mutants -out ../mutants                                 # the whole pass
//	go run ./.ci/mutants -files tickets.go -out ../mutants-tickets       # one file again
//	go run ./.ci/mutants -rerun ../mutants/results.tsv -out ../again   # the survivors, after new tests
//	go run ./.ci/mutants -only 'hand: a 401' -run TestNewTest -out ../one # a mutant against a new test
//
// -alone=false and -timeout-factor 3 make a first pass faster (a mutant
// that lives or hangs in the schemata binaries is reported so, not
// confirmed by a build of its own): the -rerun of its survivors then
// confirms them alone.
//
// Files of its own, beside this one:
//   - hand.txt: hand-made mutants (removed calls, changed constants, swapped
//     branches), which no operator makes; they run first;
//   - equivalent.txt: the mutants set aside as equivalent, each with why it
//     cannot change behaviour;
//   - summary.txt: the latest measured result.
//
// The report (summary.txt, and results.tsv with one line per mutant) goes to
// -out, with the coverage per test (cov/), reused by later runs of the same
// tree when -reuse-coverage is given. -show prints the mutants' changes and
// the keys equivalent.txt names them by.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

const module = "github.com/apizee-go/apizee"

// packages are the packages whose tests run, and whose code is measured.
var packages = []string{".", "./internal/retry", "./internal/redact"}

// defaultFiles are issue 10 point 9's files and those their logic lives in.
var defaultFiles = "client.go,auth.go,errors.go,tickets.go,idempotency.go,conferences.go," +
	"conferences_create_once.go,media_download.go,do.go,response.go,budget.go,types.go," +
	"stats.go,bounds.go,internal/retry/retry.go,internal/redact/redact.go"

// operators maps a token to the gremlins mutator types that change it, and
// what each changes it to (gremlins v0.6.0 internal/engine/mappings.go).
var operators = map[string]map[token.Token]token.Token{
	"ARITHMETIC_BASE":         {token.ADD: token.SUB, token.MUL: token.QUO, token.QUO: token.MUL, token.REM: token.MUL, token.SUB: token.ADD},
	"CONDITIONALS_BOUNDARY":   {token.GEQ: token.GTR, token.GTR: token.GEQ, token.LEQ: token.LSS, token.LSS: token.LEQ},
	"CONDITIONALS_NEGATION":   {token.EQL: token.NEQ, token.GEQ: token.LSS, token.GTR: token.LEQ, token.LEQ: token.GTR, token.LSS: token.GEQ, token.NEQ: token.EQL},
	"INCREMENT_DECREMENT":     {token.DEC: token.INC, token.INC: token.DEC},
	"INVERT_NEGATIVES":        {token.SUB: token.ADD},
	"INVERT_LOGICAL":          {token.LAND: token.LOR, token.LOR: token.LAND},
	"INVERT_LOOPCTRL":         {token.BREAK: token.CONTINUE, token.CONTINUE: token.BREAK},
	"INVERT_ASSIGNMENTS":      {token.ADD_ASSIGN: token.SUB_ASSIGN, token.MUL_ASSIGN: token.QUO_ASSIGN, token.QUO_ASSIGN: token.MUL_ASSIGN, token.SUB_ASSIGN: token.ADD_ASSIGN},
	"REMOVE_SELF_ASSIGNMENTS": {token.ADD_ASSIGN: token.ASSIGN, token.SUB_ASSIGN: token.ASSIGN, token.MUL_ASSIGN: token.ASSIGN, token.QUO_ASSIGN: token.ASSIGN, token.OR_ASSIGN: token.ASSIGN, token.AND_ASSIGN: token.ASSIGN},
	"INVERT_BITWISE":          {token.AND: token.OR, token.OR: token.AND, token.XOR: token.AND, token.AND_NOT: token.AND, token.SHL: token.SHR, token.SHR: token.SHL},
}

// defaultOps are gremlins' default operators; the others are opt-in there.
const defaultOps = "ARITHMETIC_BASE,CONDITIONALS_BOUNDARY,CONDITIONALS_NEGATION,INCREMENT_DECREMENT,INVERT_NEGATIVES"

type mutant struct {
	ID     string // file:line:col:OP, or file:line:HAND
	Key    string // what equivalent.txt names: file: trimmed line :: op change #n
	File   string // relative to the module root
	Line   int
	Col    int // of the operator, or of the hand-made change's first non-blank byte
	Op     string
	Change string // "<= -> <" or the hand-made replacement
	Func   string
	// from and to are the lines of the function around the mutant (0 at
	// the top level): a line that coverage does not instrument (a case
	// expression, a package-level initialiser) counts as covered by every
	// test that runs its function (by every test, at the top level).
	from, to int
	src      []byte // the mutated file
	// offset is where the operator token is; tok what it was, repl what
	// the mutant makes it (both zero for a hand-made mutant).
	offset    int
	tok, repl token.Token
	schemaID  int // the mutant's number in the schemata binaries, 0: not in them
}

type result struct {
	mutant
	Status   string // KILLED, LIVED, TIMED_OUT, NOT_COVERED, NOT_VIABLE, EQUIVALENT
	Tests    int
	Seconds  float64
	KilledBy string
	Reason   string // for EQUIVALENT
}

func main() {
	var (
		dir         = flag.String("dir", ".", "module root")
		files       = flag.String("files", defaultFiles, "comma-separated files to mutate")
		ops         = flag.String("ops", defaultOps+",INVERT_LOGICAL,INVERT_LOOPCTRL,INVERT_ASSIGNMENTS,REMOVE_SELF_ASSIGNMENTS", "comma-separated operators (\"default\" for gremlins' defaults)")
		hand        = flag.String("hand", ".ci/mutants/hand.txt", "hand-made mutants (empty: none)")
		equiv       = flag.String("equivalent", ".ci/mutants/equivalent.txt", "mutants set aside as equivalent")
		out         = flag.String("out", filepath.Join(os.TempDir(), "apizee-mutants"), "work and report directory")
		workers     = flag.Int("workers", 1, "mutants tried at once")
		reuseCov    = flag.Bool("reuse-coverage", false, "reuse the coverage per test already in -out")
		only        = flag.String("only", "", "only the mutants whose ID or Key matches this regexp")
		show        = flag.Bool("show", false, "print the mutants' changes instead of running them")
		dryRun      = flag.Bool("dry-run", false, "list the mutants and their coverage, run nothing")
		timeoutX    = flag.Float64("timeout-factor", 10, "a mutant's tests time out after this many times their normal time (plus 30 s)")
		listTests   = flag.Bool("tests", false, "with -only: print the tests that cover each mutant")
		runTests    = flag.String("run", "", "run the top-level tests this regexp matches, in every package, instead of those that cover the mutant (for tests newer than the coverage)")
		useSchemata = flag.Bool("schemata", true, "try the operator mutants first in binaries built once with all of them (see schemata.go)")
		rerun       = flag.String("rerun", "", "comma-separated results.tsv of earlier runs: a mutant they report KILLED, NOT_VIABLE or TIMED_OUT (matched by key) is carried over, the others run again")
		alone       = flag.Bool("alone", true, "compile alone, to confirm it, a mutant that lived or timed out in the schemata binaries (false: report it as it did there)")
	)
	flag.Parse()
	log.SetFlags(log.Ltime)
	root, err := filepath.Abs(*dir)
	check(err)
	check(os.MkdirAll(*out, 0o755))
	if *ops == "default" {
		*ops = defaultOps
	}

	var ms []mutant // the hand-made first: they name the promises known to be at risk
	if *hand != "" {
		ms = handMutants(root, *hand, strings.Split(*files, ","))
	}
	for _, f := range strings.Split(*files, ",") {
		ms = append(ms, operatorMutants(root, f, strings.Split(*ops, ","))...)
	}
	equivalent := readEquivalent(filepath.Join(root, *equiv))
	if *only != "" {
		re := regexp.MustCompile(*only)
		var kept []mutant
		for _, m := range ms {
			if re.MatchString(m.ID) || re.MatchString(m.Key) {
				kept = append(kept, m)
			}
		}
		ms = kept
	}
	if *show {
		for _, m := range ms {
			fmt.Printf("%s  [%s]  %s\n    key: %s\n", m.ID, m.Func, m.Change, m.Key)
		}
		return
	}

	// The mutants an earlier run decided are carried over; the rest run.
	results := make([]result, len(ms))
	var torun []mutant
	var at []int // torun[j] is ms[at[j]]
	prev := readResults(*rerun)
	for i, m := range ms {
		if r, ok := prev[m.Key]; ok && (r.Status == "KILLED" || r.Status == "NOT_VIABLE" || r.Status == "TIMED_OUT") {
			r.mutant = m
			results[i] = r
			continue
		}
		torun = append(torun, m)
		at = append(at, i)
	}
	if *rerun != "" {
		log.Printf("%d mutants carried over from %s, %d to run", len(ms)-len(torun), *rerun, len(torun))
	}

	p := &pass{root: root, out: *out, equivalent: equivalent, dryRun: *dryRun, timeoutX: *timeoutX, listTests: *listTests, runTests: *runTests, alone: *alone}
	if *runTests == "" {
		p.cov = coverage(root, *out, *reuseCov)
	}
	if *useSchemata && !*dryRun && *runTests == "" {
		p.schem = buildSchemata(root, *out, torun, p.cov)
	}
	var mu sync.Mutex
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	done := 0
	for range *workers {
		wg.Go(func() {
			for j := range jobs {
				r := p.try(torun[j])
				mu.Lock()
				results[at[j]] = r
				done++
				if r.Status != "NOT_COVERED" && r.Status != "EQUIVALENT" || *dryRun {
					log.Printf("[%d/%d] %-10s %s %s (%d tests, %.1fs)", done, len(torun), r.Status, r.ID, r.Change, r.Tests, r.Seconds)
				}
				mu.Unlock()
			}
		})
	}
	// An interrupt (a timebox) stops the pass after the mutants being
	// tried, and reports those tried so far.
	stop, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
feed:
	for j := range torun {
		select {
		case jobs <- j:
		case <-stop.Done():
			log.Printf("interrupted: reporting the %d mutants tried", done)
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	tried := results[:0:0]
	for _, r := range results {
		if r.Status != "" {
			tried = append(tried, r)
		}
	}
	results = tried
	if *only == "" && *files == defaultFiles {
		var unused []string
		for k := range equivalent {
			if !slicesContainsKey(ms, k) {
				unused = append(unused, k)
			}
		}
		sort.Strings(unused)
		for _, k := range unused {
			log.Printf("equivalent.txt names no mutant of this tree: %s", k)
		}
	}
	report(*out, results, time.Since(start), !*dryRun)
}

// readResults reads the results.tsv files of earlier runs, by key (a
// later file wins).
func readResults(paths string) map[string]result {
	rs := map[string]result{}
	for _, path := range strings.Split(paths, ",") {
		if path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		check(err)
		for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n")[1:] {
			f := strings.Split(l, "\t")
			if len(f) != 9 {
				log.Fatalf("%s: %q is not a results line", path, l)
			}
			rs[f[7]] = result{Status: f[1], KilledBy: strings.TrimSuffix(f[6], " (earlier run)") + " (earlier run)"}
		}
	}
	return rs
}

func slicesContainsKey(ms []mutant, key string) bool {
	for _, m := range ms {
		if m.Key == key {
			return true
		}
	}
	return false
}

// operatorMutants are gremlins' mutants of one file: every operator token
// of an assignment, binary or unary expression, branch or ++/-- statement.
// A token two operators change the same way (gremlins' INVERT_NEGATIVES and
// ARITHMETIC_BASE both turn a minus into a plus) is one mutant, not two.
func operatorMutants(root, file string, ops []string) []mutant {
	src, err := os.ReadFile(filepath.Join(root, file))
	check(err)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	check(err)
	lines := bytes.Split(src, []byte("\n"))
	funcs := funcRanges(fset, f)
	seen := map[string]int{} // per line key, for the #n of Key
	var ms []mutant
	ast.Inspect(f, func(n ast.Node) bool {
		var tok token.Token
		var pos token.Pos
		switch n := n.(type) {
		case *ast.AssignStmt:
			tok, pos = n.Tok, n.TokPos
		case *ast.BinaryExpr:
			tok, pos = n.Op, n.OpPos
		case *ast.BranchStmt:
			tok, pos = n.Tok, n.TokPos
		case *ast.IncDecStmt:
			tok, pos = n.Tok, n.TokPos
		case *ast.UnaryExpr:
			if n.Op != token.SUB { // &x and ^x are no arithmetic to mutate
				return true
			}
			tok, pos = n.Op, n.OpPos
		default:
			return true
		}
		done := map[token.Token]bool{}
		for _, op := range ops {
			to, ok := operators[op][tok]
			if !ok || done[to] {
				continue
			}
			if _, unary := n.(*ast.UnaryExpr); unary != (op == "INVERT_NEGATIVES") {
				continue // INVERT_NEGATIVES is for -x; ARITHMETIC_BASE for a - b
			}
			done[to] = true
			p := fset.Position(pos)
			off := p.Offset
			mutated := append(append(append([]byte{}, src[:off]...), to.String()...), src[off+len(tok.String()):]...)
			line := strings.TrimSpace(string(lines[p.Line-1]))
			fn := funcAt(funcs, p.Line)
			change := tok.String() + " -> " + to.String()
			base := fmt.Sprintf("%s: %s :: %s %s", file, line, op, change)
			seen[base]++
			ms = append(ms, mutant{
				ID:     fmt.Sprintf("%s:%d:%d:%s", file, p.Line, p.Column, op),
				Key:    fmt.Sprintf("%s #%d", base, seen[base]),
				File:   file,
				Line:   p.Line,
				Col:    p.Column,
				Op:     op,
				Change: change,
				Func:   fn.name,
				from:   fn.from,
				to:     fn.to,
				src:    mutated,
				offset: off,
				tok:    tok,
				repl:   to,
			})
		}
		return true
	})
	return ms
}

type funcRange struct {
	name     string
	from, to int
}

func funcRanges(fset *token.FileSet, f *ast.File) []funcRange {
	var rs []funcRange
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := fd.Name.Name
		if fd.Recv != nil && len(fd.Recv.List) == 1 {
			t := fd.Recv.List[0].Type
			if s, ok := t.(*ast.StarExpr); ok {
				t = s.X
			}
			if ix, ok := t.(*ast.IndexExpr); ok {
				t = ix.X
			}
			if id, ok := t.(*ast.Ident); ok {
				name = id.Name + "." + name
			}
		}
		rs = append(rs, funcRange{name, fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line})
	}
	return rs
}

func funcAt(rs []funcRange, line int) funcRange {
	for _, r := range rs {
		if r.from <= line && line <= r.to {
			return r
		}
	}
	return funcRange{name: "(top level)"}
}

// handMutants reads hand.txt: blocks of
//
//	# what the mutant breaks (the name of the mutant)
//	file.go
//	- the exact text to replace (once in the file; \n and \t escaped)
//	+ what replaces it
//
// separated by blank lines.
//
// Only the blocks of the given files are read.
func handMutants(root, path string, files []string) []mutant {
	data, err := os.ReadFile(filepath.Join(root, path))
	check(err)
	var ms []mutant
	for i, block := range strings.Split(strings.TrimSpace(string(data)), "\n\n") {
		if strings.TrimSpace(block) == "" {
			continue
		}
		var name, file, old, repl string
		var haveOld, haveNew bool
		for _, l := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(l, "#"):
				name = strings.TrimSpace(strings.TrimPrefix(l, "#"))
			case strings.HasPrefix(l, "- "):
				old, haveOld = unescape(l[2:]), true
			case l == "+" || strings.HasPrefix(l, "+ "):
				repl, haveNew = unescape(strings.TrimPrefix(strings.TrimPrefix(l, "+"), " ")), true
			case strings.TrimSpace(l) != "":
				file = strings.TrimSpace(l)
			}
		}
		if name == "" || file == "" || !haveOld || !haveNew {
			log.Fatalf("%s: block %d is not '# name', 'file', '- old', '+ new'", path, i+1)
		}
		if !slices.Contains(files, file) {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, file))
		check(err)
		if n := strings.Count(string(src), old); n != 1 {
			log.Fatalf("%s: %q: %q occurs %d times in %s, not once", path, name, old, n, file)
		}
		off := strings.Index(string(src), old)
		off += len(old) - len(strings.TrimLeft(old, " \t\n"))
		line := 1 + strings.Count(string(src[:off]), "\n")
		col := off - strings.LastIndex(string(src[:off]), "\n")
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, src, 0)
		check(err)
		fn := funcAt(funcRanges(fset, f), line)
		ms = append(ms, mutant{
			ID:     fmt.Sprintf("%s:%d:HAND", file, line),
			Key:    "hand: " + name,
			File:   file,
			Line:   line,
			Col:    col,
			Op:     "HAND",
			Change: name,
			Func:   fn.name,
			from:   fn.from,
			to:     fn.to,
			src:    []byte(strings.Replace(string(src), old, repl, 1)),
		})
	}
	return ms
}

func unescape(s string) string {
	return strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(s)
}

// readEquivalent reads equivalent.txt: "key :: reason" lines, # comments.
func readEquivalent(path string) map[string]string {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	check(err)
	eq := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndex(l, " :: ")
		if i < 0 {
			log.Fatalf("%s: %q has no ' :: reason'", path, l)
		}
		eq[strings.TrimSpace(l[:i])] = strings.TrimSpace(l[i+4:])
	}
	return eq
}

// testCov is what one top-level test of one package covers.
type testCov struct {
	pkg     string // "." or "./internal/retry"
	name    string
	seconds float64
	ran     map[string][]block // file (relative) -> the blocks it ran
	// all are the blocks coverage counts, run or not.
	all map[string][]block
}

// block is a coverage block: from line.col to line.col.
type block struct{ sl, sc, el, ec int }

func (b block) contains(line, col int) bool {
	return (line > b.sl || line == b.sl && col >= b.sc) && (line < b.el || line == b.el && col <= b.ec)
}

func (b block) overlaps(from, to int) bool { return b.sl <= to && b.el >= from }

func anyBlock(bs []block, f func(block) bool) bool {
	for _, b := range bs {
		if f(b) {
			return true
		}
	}
	return false
}

// coverage runs every top-level test, example and fuzz seed corpus of each
// package alone with -short, recording what it covers in all packages.
func coverage(root, out string, reuse bool) []testCov {
	dir := filepath.Join(out, "cov")
	index := filepath.Join(dir, "index.json")
	if reuse {
		if data, err := os.ReadFile(index); err == nil {
			var saved []struct {
				Pkg, Name string
				Seconds   float64
			}
			check(json.Unmarshal(data, &saved))
			var cs []testCov
			for _, s := range saved {
				ran, all := readProfile(profilePath(dir, s.Pkg, s.Name))
				cs = append(cs, testCov{s.Pkg, s.Name, s.Seconds, ran, all})
			}
			log.Printf("coverage of %d tests reused from %s", len(cs), dir)
			return cs
		}
	}
	check(os.RemoveAll(dir))
	check(os.MkdirAll(dir, 0o755))
	var cs []testCov
	type saved struct {
		Pkg, Name string
		Seconds   float64
	}
	var index2 []saved
	for _, p := range packages {
		bin := filepath.Join(dir, strings.NewReplacer("/", "_", ".", "root").Replace(p)+".test")
		run(root, "go", "test", "-c", "-cover", "-covermode=set", "-coverpkg="+strings.Join(packages, ","), "-o", bin, p)
		names := strings.Fields(run(filepath.Join(root, p), bin, "-test.list", "."))
		log.Printf("coverage: %d tests of %s", len(names), p)
		for _, name := range names {
			if !testName.MatchString(name) {
				continue // benchmarks, and the binary's own lines
			}
			prof := profilePath(dir, p, name)
			t0 := time.Now()
			var outb []byte
			var err error
			for try := range 2 { // once more: a timing test may fail under load
				cmd := exec.Command(bin, "-test.run", "^"+name+"$", "-test.short", "-test.count=1", "-test.timeout=10m", "-test.coverprofile="+prof)
				cmd.Dir = filepath.Join(root, p)
				if outb, err = cmd.CombinedOutput(); err == nil {
					break
				} else if try == 1 {
					log.Fatalf("coverage: %s %s fails on the unmutated tree: %v\n%s", p, name, err, outb)
				}
			}
			sec := time.Since(t0).Seconds()
			ran, all := readProfile(prof)
			cs = append(cs, testCov{p, name, sec, ran, all})
			index2 = append(index2, saved{p, name, sec})
		}
	}
	data, err := json.Marshal(index2)
	check(err)
	check(os.WriteFile(index, data, 0o644))
	return cs
}

var testName = regexp.MustCompile(`^(Test|Example|Fuzz)`)

func profilePath(dir, pkg, name string) string {
	return filepath.Join(dir, strings.NewReplacer("/", "_", ".", "root").Replace(pkg)+"."+name+".out")
}

// readProfile reads a coverage profile into the blocks each file ran, and
// all those it counts.
func readProfile(path string) (ran, all map[string][]block) {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	ran, all = map[string][]block{}, map[string][]block{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "mode:") {
			continue
		}
		// module/file.go:12.3,14.5 2 1
		colon := strings.LastIndex(l, ":")
		fields := strings.Fields(l[colon+1:])
		if len(fields) != 3 {
			continue
		}
		file := strings.TrimPrefix(strings.TrimPrefix(l[:colon], module), "/")
		var b block
		if _, err := fmt.Sscanf(fields[0], "%d.%d,%d.%d", &b.sl, &b.sc, &b.el, &b.ec); err != nil {
			log.Fatalf("%s: %q: %v", path, l, err)
		}
		all[file] = append(all[file], b)
		if fields[2] != "0" {
			ran[file] = append(ran[file], b)
		}
	}
	check(sc.Err())
	return ran, all
}

// pass is one mutation pass: the coverage it selects tests by, and where it
// runs them.
type pass struct {
	root, out  string
	cov        []testCov
	equivalent map[string]string
	schem      *schemata // nil: every mutant is compiled alone
	dryRun     bool
	timeoutX   float64
	listTests  bool
	runTests   string
	alone      bool
}

// covering returns the top-level tests that run a mutant's line, by
// package, and how long they took together.
func (p *pass) covering(m mutant) (map[string][]string, map[string]float64, int) {
	if p.runTests != "" {
		byPkg := map[string][]string{}
		for _, pkg := range packages {
			byPkg[pkg] = []string{p.runTests}
		}
		return byPkg, map[string]float64{}, len(packages)
	}
	// A test covers the mutant when it ran a block that holds the
	// mutant's position. A position in no block (a case expression, the
	// condition of an else if, a package-level initialiser) is run by every
	// test that runs its function, or by every test at the top level.
	at := func(b block) bool { return b.contains(m.Line, m.Col) }
	covers := func(c testCov) bool { return anyBlock(c.ran[m.File], at) }
	if len(p.cov) > 0 && !anyBlock(p.cov[0].all[m.File], at) {
		inFunc := func(b block) bool { return b.overlaps(m.from, m.to) }
		covers = func(c testCov) bool { return m.from == 0 || anyBlock(c.ran[m.File], inFunc) }
	}
	byPkg := map[string][]string{}
	secs := map[string]float64{}
	n := 0
	for _, c := range p.cov {
		if covers(c) {
			byPkg[c.pkg] = append(byPkg[c.pkg], c.name)
			secs[c.pkg] += c.seconds
			n++
		}
	}
	return byPkg, secs, n
}

// order is the packages whose tests try a mutant: its own first.
func order(m mutant) []string {
	own := "./" + filepath.Dir(m.File)
	if own == "./." {
		own = "."
	}
	pkgs := []string{own}
	for _, p := range packages {
		if p != own {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

// try runs the tests that cover a mutant: in the schemata binaries when the
// mutant is one of theirs, and, unless they kill it, against the mutated
// file compiled alone (which alone decides that a mutant lives, unless
// -alone=false).
func (p *pass) try(m mutant) result {
	r := result{mutant: m}
	if reason, ok := p.equivalent[m.Key]; ok {
		r.Status, r.Reason = "EQUIVALENT", reason
		return r
	}
	byPkg, secs, n := p.covering(m)
	r.Tests = n
	if p.listTests {
		log.Printf("%s is covered by %v", m.ID, byPkg)
	}
	if n == 0 {
		r.Status = "NOT_COVERED"
		return r
	}
	if p.dryRun {
		r.Status = "RUNNABLE"
		return r
	}
	t0 := time.Now()
	if p.schem != nil && m.schemaID > 0 {
		status, by := p.schem.run(m, byPkg, secs, p.timeoutX)
		if status == "KILLED" || status != "" && !p.alone {
			r.Status, r.KilledBy, r.Seconds = status, strings.TrimSpace(by+" (schemata)"), time.Since(t0).Seconds()
			return r
		}
	}
	r.Status, r.KilledBy = p.overlay(m, byPkg, secs)
	r.Seconds = time.Since(t0).Seconds()
	return r
}

// overlay compiles the mutated file alone (go test -overlay) and runs the
// covering tests, package by package.
func (p *pass) overlay(m mutant, byPkg map[string][]string, secs map[string]float64) (status, killedBy string) {
	mdir := filepath.Join(p.out, "m")
	check(os.MkdirAll(mdir, 0o755))
	base := strings.NewReplacer("/", "_", ":", "_").Replace(m.ID)
	mfile := filepath.Join(mdir, base+".go")
	check(os.WriteFile(mfile, m.src, 0o644))
	overlay := filepath.Join(mdir, base+".json")
	o, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(p.root, m.File): mfile}})
	check(err)
	check(os.WriteFile(overlay, o, 0o644))
	defer os.Remove(mfile)
	defer os.Remove(overlay)

	for _, pkg := range order(m) {
		timeout := time.Duration((30 + p.timeoutX*secs[pkg]) * float64(time.Second))
		status, by := firstKill(byPkg[pkg], func(names []string) (string, string) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout+3*time.Minute) // + the build
			defer cancel()
			cmd := exec.CommandContext(ctx, "go", "test", "-vet=off", "-overlay", overlay, "-count=1", "-short", "-failfast",
				"-timeout", timeout.String(), "-run", "^("+strings.Join(names, "|")+")$", pkg)
			cmd.Dir = p.root
			outb, err := cmd.CombinedOutput()
			if err == nil {
				return "", ""
			}
			p.keepLog(base, outb)
			text := string(outb)
			switch {
			case strings.Contains(text, "[build failed]") || strings.Contains(text, "[setup failed]"):
				return "NOT_VIABLE", ""
			case strings.Contains(text, "panic: test timed out") || ctx.Err() != nil:
				return "TIMED_OUT", ""
			}
			return "KILLED", failedTest(text)
		})
		if status != "" {
			return status, strings.TrimSpace(pkg + " " + by)
		}
	}
	return "LIVED", ""
}

// firstKill runs the tests (run returns KILLED and the top-level test
// that failed, NOT_VIABLE, TIMED_OUT, or "" when they pass) and returns
// the first failure that repeats when the failing test runs alone: a test
// that fails among the others (under the load of the whole run, on a
// machine shared with others) but passes alone failed on timing, not on
// the mutant, and is left out. A failure that names no test (a panic
// outside a test, a leak found after them) counts as it is.
func firstKill(names []string, run func([]string) (status, test string)) (string, string) {
	for len(names) > 0 {
		status, test := run(names)
		if status != "KILLED" || test == "" || len(names) == 1 {
			return status, test
		}
		if again, _ := run([]string{test}); again == "KILLED" {
			return status, test
		}
		log.Printf("%s failed among the others but not alone: a flake, left out", test)
		names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == test })
	}
	return "", ""
}

func (p *pass) keepLog(base string, out []byte) {
	logs := filepath.Join(p.out, "logs")
	check(os.MkdirAll(logs, 0o755))
	check(os.WriteFile(filepath.Join(logs, base+".txt"), out, 0o644))
}

var failRE = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

func failedTest(out string) string {
	if m := failRE.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

func report(out string, rs []result, took time.Duration, writeAll bool) {
	type tally struct{ killed, lived, timedOut, notCovered, notViable, equivalent, total int }
	per := map[string]*tally{}
	all := &tally{}
	for _, r := range rs {
		t := per[r.File]
		if t == nil {
			t = &tally{}
			per[r.File] = t
		}
		for _, x := range []*tally{t, all} {
			x.total++
			switch r.Status {
			case "KILLED":
				x.killed++
			case "LIVED":
				x.lived++
			case "TIMED_OUT":
				x.timedOut++
			case "NOT_COVERED":
				x.notCovered++
			case "NOT_VIABLE":
				x.notViable++
			case "EQUIVALENT":
				x.equivalent++
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mutation pass: %d mutants in %s\n", len(rs), took.Round(time.Second))
	fmt.Fprintf(&b, "score: killed / (killed + lived + not covered + timed out), equivalent and not viable left out\n")
	line := func(name string, t *tally) {
		counted := t.killed + t.lived + t.notCovered + t.timedOut
		fmt.Fprintf(&b, "%-28s %4d/%-4d %6.1f%%   lived %d, not covered %d, timed out %d, equivalent %d, not viable %d\n",
			name, t.killed, counted, pct(t.killed, counted), t.lived, t.notCovered, t.timedOut, t.equivalent, t.notViable)
	}
	var files []string
	for f := range per {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		line(f, per[f])
	}
	line("overall", all)
	for _, status := range []string{"LIVED", "NOT_COVERED", "TIMED_OUT", "NOT_VIABLE"} {
		first := true
		for _, r := range rs {
			if r.Status != status {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n%s:\n", status)
				first = false
			}
			fmt.Fprintf(&b, "  %s [%s] %s\n      %s\n", r.ID, r.Func, r.Change, r.Key)
		}
	}
	fmt.Print(b.String())
	if !writeAll {
		return
	}
	check(os.WriteFile(filepath.Join(out, "summary.txt"), []byte(b.String()), 0o644))
	var tsv strings.Builder
	tsv.WriteString("id\tstatus\tfunc\tchange\ttests\tseconds\tkilled_by\tkey\treason\n")
	for _, r := range rs {
		fmt.Fprintf(&tsv, "%s\t%s\t%s\t%s\t%d\t%.1f\t%s\t%s\t%s\n", r.ID, r.Status, r.Func, r.Change, r.Tests, r.Seconds, r.KilledBy, r.Key, r.Reason)
	}
	check(os.WriteFile(filepath.Join(out, "results.tsv"), []byte(tsv.String()), 0o644))
}

func pct(a, b int) float64 {
	if b == 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}

func run(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		log.Fatalf("%s %v: %v", name, args, err)
	}
	return string(outb)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
