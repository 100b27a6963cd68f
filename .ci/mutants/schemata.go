package main

// Mutant schemata: every comparison, && and ||, ++ and --, and op-assignment
// mutant of the files is compiled into one test binary per package, each
// behind a switch (zzMutantOn(id)) that the environment variable
// APIZEE_MUTANT turns on, so that trying one costs a run of the tests, not a
// build (a build of the root package and its tests takes 6 s of CPU, a run
// of the tests that cover a line a fraction of that).
//
// A comparison a < b with its two mutants becomes
//
//	(zzMutantOn(1) && (a <= b) || zzMutantOn(2) && (a >= b) || !zzMutantOn(1) && !zzMutantOn(2) && (a < b))
//
// which evaluates a and b once, whichever mutant is on; x++ becomes
// if zzMutantOn(3) { x-- } else { x++ }. Arithmetic (whose type the
// rewrite cannot know), break and continue (which would change what a
// loop's terminating analysis sees), constants and hand-made mutants are
// compiled alone. The rewritten code is not the original (more branches,
// other inlining), so a test that fails on it with no mutant on (an
// allocation count) is not used with it, and only a kill counts there: a
// mutant the schemata binaries do not kill is tried again compiled alone.

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type schemata struct {
	root string
	bins map[string]string // package -> test binary
	// broken are the tests ("pkg name") that fail in the schemata binary
	// with no mutant on.
	broken map[string]bool
}

// schemaOps are the operators the schemata hold.
var schemaOps = map[string]bool{
	"CONDITIONALS_BOUNDARY": true, "CONDITIONALS_NEGATION": true, "INVERT_LOGICAL": true,
	"INCREMENT_DECREMENT": true, "INVERT_ASSIGNMENTS": true, "REMOVE_SELF_ASSIGNMENTS": true,
}

func buildSchemata(root, out string, ms []mutant, cov []testCov) *schemata {
	dir := filepath.Join(out, "schemata")
	check(os.RemoveAll(dir))
	check(os.MkdirAll(dir, 0o755))
	// A site whose mutant does not compile (a string's += made -=) is left
	// out, with every site on its line, and the mutant compiled alone
	// (where it is NOT_VIABLE): the rewrite cannot see types.
	excluded := map[*mutant]bool{}
	byID := map[int]*mutant{}
	s := &schemata{root: root, bins: map[string]string{}, broken: map[string]bool{}}
	bin := func(p string) string {
		return filepath.Join(dir, strings.NewReplacer("/", "_", ".", "root").Replace(p)+".test")
	}
	// Every binary is built from the same rewrite: an exclusion renumbers
	// the mutants, and the binaries built before it are built again.
	for built := false; !built; {
		overlay, n := renderSchemata(root, dir, ms, excluded, byID)
		built = true
		for _, p := range packages {
			log.Printf("schemata: building %s (%d mutants in all)", p, n)
			cmd := exec.Command("go", "test", "-c", "-vet=off", "-overlay", overlay, "-o", bin(p), p)
			cmd.Dir = root
			outb, err := cmd.CombinedOutput()
			if err == nil {
				continue
			}
			errs := compileErrRE.FindAllStringSubmatch(string(outb), -1)
			if len(errs) == 0 {
				log.Fatalf("schemata: building %s: %v\n%s", p, err, outb)
			}
			before := len(excluded)
			for _, e := range errs {
				data, err := os.ReadFile(filepath.Join(dir, e[1]))
				check(err)
				line, _ := strconv.Atoi(e[2])
				text := strings.Split(string(data), "\n")[line-1]
				for _, id := range onRE.FindAllStringSubmatch(text, -1) {
					n, _ := strconv.Atoi(id[1])
					if m := byID[n]; m != nil && !excluded[m] {
						excluded[m] = true
						log.Printf("schemata: %s %s does not compile there: compiled alone", m.ID, m.Change)
					}
				}
			}
			if len(excluded) == before {
				log.Fatalf("schemata: building %s: no mutant to leave out for\n%s", p, outb)
			}
			built = false
			break
		}
	}
	for _, p := range packages {
		s.bins[p] = bin(p)
		// The baseline: every test that covers something, no mutant on.
		var names []string
		for _, c := range cov {
			if c.pkg == p {
				names = append(names, c.name)
			}
		}
		cmd := exec.Command(bin(p), "-test.short", "-test.count=1", "-test.timeout=10m", "-test.run", "^("+strings.Join(names, "|")+")$")
		cmd.Dir = filepath.Join(root, p)
		cmd.Env = append(os.Environ(), "APIZEE_MUTANT=0")
		outb, _ := cmd.CombinedOutput()
		for _, m := range failRE.FindAllStringSubmatch(string(outb), -1) {
			if !strings.Contains(m[1], "/") {
				s.broken[p+" "+m[1]] = true
				log.Printf("schemata: %s %s fails with no mutant on: not used in the schemata", p, m[1])
			}
		}
	}
	return s
}

var (
	compileErrRE = regexp.MustCompile(`(?m)schemata/([^/\s:]+\.go):(\d+):\d+: `)
	onRE         = regexp.MustCompile(`zzMutantOn\((\d+)\)`)
)

// renderSchemata writes the rewritten files and the overlay that puts them
// in place, numbering the mutants they hold (schemaID), and returns the
// overlay's path and how many there are.
func renderSchemata(root, dir string, ms []mutant, excluded map[*mutant]bool, byID map[int]*mutant) (string, int) {
	byFile := map[string][]*mutant{}
	for i := range ms {
		ms[i].schemaID = 0
		if schemaOps[ms[i].Op] && !excluded[&ms[i]] {
			byFile[ms[i].File] = append(byFile[ms[i].File], &ms[i])
		}
	}
	clear(byID)
	replace := map[string]string{}
	pkgNames := map[string]string{}
	id := 0
	for _, file := range slices.Sorted(maps.Keys(byFile)) {
		src, err := os.ReadFile(filepath.Join(root, file))
		check(err)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
		check(err)
		pkgNames[filepath.Dir(file)] = f.Name.Name
		r := &renderer{fset: fset, src: string(src), rw: map[ast.Node][]*mutant{}}
		at := map[int][]*mutant{}
		for _, m := range byFile[file] {
			at[m.offset] = append(at[m.offset], m)
		}
		r.find(f, at, &id)
		target := filepath.Join(dir, strings.ReplaceAll(file, "/", "_"))
		check(os.WriteFile(target, []byte(r.span(f, 0, len(src))), 0o644))
		replace[filepath.Join(root, file)] = target
	}
	for i := range ms {
		if ms[i].schemaID > 0 {
			byID[ms[i].schemaID] = &ms[i]
		}
	}
	for pkgDir, name := range pkgNames {
		helper := filepath.Join(dir, strings.ReplaceAll(pkgDir, "/", "_")+"_zz_mutant_schemata.go")
		check(os.WriteFile(helper, []byte(fmt.Sprintf(`package %s

import (
	"os"
	"strconv"
)

var zzMutantActive, _ = strconv.Atoi(os.Getenv("APIZEE_MUTANT"))

func zzMutantOn(id int) bool { return zzMutantActive == id }
`, name)), 0o644))
		replace[filepath.Join(root, pkgDir, "zz_mutant_schemata.go")] = helper
	}
	overlay := filepath.Join(dir, "overlay.json")
	o, err := json.Marshal(map[string]map[string]string{"Replace": replace})
	check(err)
	check(os.WriteFile(overlay, o, 0o644))
	return overlay, id
}

// run tries a mutant in the schemata binaries: KILLED, TIMED_OUT, LIVED
// when every covering test ran there and passed, or "" when they cannot
// tell (a test unusable there).
func (s *schemata) run(m mutant, byPkg map[string][]string, secs map[string]float64, timeoutX float64) (status, killedBy string) {
	status = "LIVED"
	timedOut := false
	for _, p := range order(m) {
		var names []string
		for _, n := range byPkg[p] {
			if s.broken[p+" "+n] {
				status = ""
			} else {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			continue
		}
		timeout := time.Duration((30 + timeoutX*secs[p]) * float64(time.Second))
		got, by := firstKill(names, func(names []string) (string, string) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, s.bins[p], "-test.short", "-test.count=1", "-test.failfast",
				"-test.timeout="+timeout.String(), "-test.run", "^("+strings.Join(names, "|")+")$")
			cmd.Dir = filepath.Join(s.root, p)
			cmd.Env = append(os.Environ(), fmt.Sprintf("APIZEE_MUTANT=%d", m.schemaID))
			outb, err := cmd.CombinedOutput()
			switch {
			case err == nil:
				return "", ""
			case ctx.Err() != nil || strings.Contains(string(outb), "panic: test timed out"):
				return "TIMED_OUT", ""
			}
			return "KILLED", failedTest(string(outb))
		})
		switch got {
		case "KILLED":
			return got, strings.TrimSpace(p + " " + by)
		case "TIMED_OUT":
			timedOut = true
		}
	}
	if timedOut {
		return "TIMED_OUT", ""
	}
	return status, ""
}

// renderer rewrites a file's mutant sites into their schemata.
type renderer struct {
	fset *token.FileSet
	src  string
	rw   map[ast.Node][]*mutant // the nodes rewritten, and their mutants
}

func (r *renderer) off(p token.Pos) int { return r.fset.Position(p).Offset }

// find marks the nodes to rewrite and numbers their mutants: comparisons
// and && or || outside constant declarations; ++, -- and op-assignments
// that are statements of a block or a case.
func (r *renderer) find(f *ast.File, at map[int][]*mutant, id *int) {
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		var parent ast.Node
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		stack = append(stack, n)
		var ms []*mutant
		switch n := n.(type) {
		case *ast.GenDecl:
			if n.Tok == token.CONST {
				stack = stack[:len(stack)-1]
				return false
			}
		case *ast.BinaryExpr:
			ms = at[r.off(n.OpPos)]
		case *ast.IncDecStmt:
			if inStatementList(parent, n) {
				ms = at[r.off(n.TokPos)]
			}
		case *ast.AssignStmt:
			if inStatementList(parent, n) {
				ms = at[r.off(n.TokPos)]
			}
		}
		if len(ms) > 0 {
			for _, m := range ms {
				*id++
				m.schemaID = *id
			}
			r.rw[n] = ms
		}
		return true
	})
}

func inStatementList(parent ast.Node, n ast.Stmt) bool {
	var list []ast.Stmt
	switch p := parent.(type) {
	case *ast.BlockStmt:
		list = p.List
	case *ast.CaseClause:
		list = p.Body
	case *ast.CommClause:
		list = p.Body
	}
	for _, s := range list {
		if s == n {
			return true
		}
	}
	return false
}

// text is n's source with its mutant sites rewritten.
func (r *renderer) text(n ast.Node) string {
	if ms, ok := r.rw[n]; ok {
		return r.rewrite(n, ms)
	}
	return r.span(n, r.off(n.Pos()), r.off(n.End()))
}

// span is src[from:to], inside n, with the outermost rewritten nodes below
// n rewritten.
func (r *renderer) span(n ast.Node, from, to int) string {
	var b strings.Builder
	at := from
	ast.Inspect(n, func(c ast.Node) bool {
		if c == nil || c == n {
			return true
		}
		if ms, ok := r.rw[c]; ok {
			b.WriteString(r.src[at:r.off(c.Pos())])
			b.WriteString(r.rewrite(c, ms))
			at = r.off(c.End())
			return false
		}
		return true
	})
	b.WriteString(r.src[at:to])
	return b.String()
}

func (r *renderer) rewrite(n ast.Node, ms []*mutant) string {
	on := func(m *mutant) string { return fmt.Sprintf("zzMutantOn(%d)", m.schemaID) }
	switch n := n.(type) {
	case *ast.BinaryExpr:
		x, y := r.text(n.X), r.text(n.Y)
		var b strings.Builder
		b.WriteString("(")
		for _, m := range ms {
			fmt.Fprintf(&b, "%s && (%s %s %s) || ", on(m), x, m.repl, y)
		}
		for _, m := range ms {
			fmt.Fprintf(&b, "!%s && ", on(m))
		}
		fmt.Fprintf(&b, "(%s %s %s))", x, n.Op, y)
		return b.String()
	case *ast.IncDecStmt:
		x := r.text(n.X)
		return fmt.Sprintf("if %s { %s%s } else { %s%s }", on(ms[0]), x, ms[0].repl, x, n.Tok)
	case *ast.AssignStmt:
		var lhs, rhs []string
		for _, e := range n.Lhs {
			lhs = append(lhs, r.text(e))
		}
		for _, e := range n.Rhs {
			rhs = append(rhs, r.text(e))
		}
		l, rr := strings.Join(lhs, ", "), strings.Join(rhs, ", ")
		var b strings.Builder
		for _, m := range ms {
			fmt.Fprintf(&b, "if %s { %s %s %s } else ", on(m), l, m.repl, rr)
		}
		fmt.Fprintf(&b, "{ %s %s %s }", l, n.Tok, rr)
		return b.String()
	}
	panic(fmt.Sprintf("cannot rewrite %T", n))
}
