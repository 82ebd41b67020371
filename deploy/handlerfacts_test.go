package deploy

import (
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// What the template must agree with is read from the function's Go
// source rather than copied here, so that renaming a variable or changing
// a default in function/handler breaks these tests. The source is parsed,
// not imported: importing the handler would compile dlib (cgo) for a test
// that only reads a YAML file.

// Source directories, relative to this package.
const (
	handlerDir = "../function/handler"
	faceDir    = "../function/face"
)

// handlerFacts is what the function's source says.
type handlerFacts struct {
	// envNames are the variables ConfigFromEnv reads.
	envNames []string
	// consts evaluates a constant of package "handler" or "face".
	consts *constEval
}

var loadFacts = sync.OnceValues(func() (*handlerFacts, error) {
	ev := &constEval{specs: map[string]constSpec{}, memo: map[string]constant.Value{}}
	var configFn *ast.FuncDecl
	for _, dir := range []string{handlerDir, faceDir} {
		files, err := parseDir(dir)
		if err != nil {
			return nil, err
		}
		pkg := filepath.Base(dir)
		for _, f := range files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.GenDecl:
					if d.Tok != token.CONST {
						continue
					}
					for _, s := range d.Specs {
						vs := s.(*ast.ValueSpec)
						for i, n := range vs.Names {
							if i < len(vs.Values) {
								ev.specs[pkg+"."+n.Name] = constSpec{pkg: pkg, expr: vs.Values[i]}
							}
						}
					}
				case *ast.FuncDecl:
					if pkg == "handler" && d.Recv == nil && d.Name.Name == "ConfigFromEnv" {
						configFn = d
					}
				}
			}
		}
	}
	if configFn == nil {
		return nil, fmt.Errorf("%s: no func ConfigFromEnv: the environment the function reads cannot be checked", handlerDir)
	}
	return &handlerFacts{envNames: envNamesRead(configFn, ev), consts: ev}, nil
})

func facts(t *testing.T) *handlerFacts {
	t.Helper()
	f, err := loadFacts()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func parseDir(dir string) ([]*ast.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read function source: %w", err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no Go files", dir)
	}
	return files, nil
}

var envNameRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// envNamesRead collects the variable names ConfigFromEnv passes to its
// getenv and to the helpers around it: every call in the function whose
// first argument is a string literal, or a string constant, that looks
// like an environment variable name.
func envNamesRead(fn *ast.FuncDecl, ev *constEval) []string {
	var names []string
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		var v constant.Value
		switch a := call.Args[0].(type) {
		case *ast.BasicLit:
			if a.Kind == token.STRING {
				v = constant.MakeFromLiteral(a.Value, a.Kind, 0)
			}
		case *ast.Ident:
			v, _ = ev.value("handler", a.Name)
		}
		if v != nil && v.Kind() == constant.String {
			if s := constant.StringVal(v); envNameRE.MatchString(s) && !slices.Contains(names, s) {
				names = append(names, s)
			}
		}
		return true
	})
	slices.Sort(names)
	return names
}

type constSpec struct {
	pkg  string
	expr ast.Expr
}

// constEval evaluates the constant expressions the function's source
// uses: literals, other constants (of its own package or face.X) and
// arithmetic. Nothing else is needed; anything else is an error.
type constEval struct {
	specs map[string]constSpec
	memo  map[string]constant.Value
	busy  []string
}

func (ev *constEval) value(pkg, name string) (constant.Value, error) {
	key := pkg + "." + name
	if v, ok := ev.memo[key]; ok {
		return v, nil
	}
	spec, ok := ev.specs[key]
	if !ok {
		return nil, fmt.Errorf("constant %s not found in the function's source", key)
	}
	if slices.Contains(ev.busy, key) {
		return nil, fmt.Errorf("constant %s refers to itself", key)
	}
	ev.busy = append(ev.busy, key)
	defer func() { ev.busy = ev.busy[:len(ev.busy)-1] }()
	v, err := ev.eval(spec.pkg, spec.expr)
	if err != nil {
		return nil, fmt.Errorf("constant %s: %w", key, err)
	}
	ev.memo[key] = v
	return v, nil
}

func (ev *constEval) eval(pkg string, e ast.Expr) (constant.Value, error) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if v := constant.MakeFromLiteral(e.Value, e.Kind, 0); v.Kind() != constant.Unknown {
			return v, nil
		}
		return nil, fmt.Errorf("bad literal %s", e.Value)
	case *ast.ParenExpr:
		return ev.eval(pkg, e.X)
	case *ast.Ident:
		return ev.value(pkg, e.Name)
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			return ev.value(x.Name, e.Sel.Name)
		}
	case *ast.UnaryExpr:
		x, err := ev.eval(pkg, e.X)
		if err != nil {
			return nil, err
		}
		return constant.UnaryOp(e.Op, x, 0), nil
	case *ast.BinaryExpr:
		x, err := ev.eval(pkg, e.X)
		if err != nil {
			return nil, err
		}
		y, err := ev.eval(pkg, e.Y)
		if err != nil {
			return nil, err
		}
		if e.Op == token.SHL || e.Op == token.SHR {
			s, ok := constant.Uint64Val(y)
			if !ok {
				return nil, errors.New("shift count is not a small integer")
			}
			return constant.Shift(x, e.Op, uint(s)), nil
		}
		return constant.BinaryOp(x, e.Op, y), nil
	}
	return nil, fmt.Errorf("cannot evaluate %T", e)
}

// intConst and strConst read a constant for a check; a constant that is
// gone or of another kind is an error in the check's output.
func (ev *constEval) intConst(pkg, name string) (int64, error) {
	v, err := ev.value(pkg, name)
	if err != nil {
		return 0, err
	}
	n, ok := constant.Int64Val(v)
	if !ok {
		return 0, fmt.Errorf("constant %s.%s = %s is not an integer", pkg, name, v)
	}
	return n, nil
}

func (ev *constEval) strConst(pkg, name string) (string, error) {
	v, err := ev.value(pkg, name)
	if err != nil {
		return "", err
	}
	if v.Kind() != constant.String {
		return "", fmt.Errorf("constant %s.%s = %s is not a string", pkg, name, v)
	}
	return constant.StringVal(v), nil
}

// TestHandlerFacts: the parse must find what the function really reads,
// or every check built on it would pass vacuously.
func TestHandlerFacts(t *testing.T) {
	f := facts(t)
	t.Logf("ConfigFromEnv reads %v", f.envNames)
	if len(f.envNames) < 8 {
		t.Errorf("found only %d variable names in ConfigFromEnv: %v", len(f.envNames), f.envNames)
	}
	for _, c := range []struct {
		pkg, name string
		want      constant.Value
	}{
		{"handler", "DefaultMaxObjectBytes", constant.MakeInt64(25 << 20)},
		{"handler", "DefaultMaxPixels", constant.MakeInt64(50_000_000)},
		{"face", "DetectorHOG", constant.MakeString("hog")},
	} {
		got, err := f.consts.value(c.pkg, c.name)
		if err != nil {
			t.Errorf("%s.%s: %v", c.pkg, c.name, err)
			continue
		}
		if !constant.Compare(got, token.EQL, c.want) {
			t.Errorf("%s.%s = %s, want %s", c.pkg, c.name, got, c.want)
		}
	}
}

// TestEnvNamesRead runs the collector on source written here, so its
// rules are pinned independently of today's handler.
func TestEnvNamesRead(t *testing.T) {
	src := `package handler
const (
	EnvA = "ALPHA"
	envB = "BETA_2"
	notEnv = "hello world"
	num = 3
)
func ConfigFromEnv(getenv func(string) string) {
	get := func(name string) string { return getenv(name) }
	get(EnvA)
	integer(envB, nil)
	getenv("GAMMA")
	bad(notEnv)
	other(num)
	get(EnvA)
}`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	ev := &constEval{specs: map[string]constSpec{}, memo: map[string]constant.Value{}}
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				vs := s.(*ast.ValueSpec)
				ev.specs["handler."+vs.Names[0].Name] = constSpec{pkg: "handler", expr: vs.Values[0]}
			}
		case *ast.FuncDecl:
			fn = d
		}
	}
	got := envNamesRead(fn, ev)
	want := []string{"ALPHA", "BETA_2", "GAMMA"}
	if !slices.Equal(got, want) {
		t.Errorf("envNamesRead = %v, want %v", got, want)
	}
}
