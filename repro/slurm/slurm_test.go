package slurm

import (
	"os/exec"
	"strings"
	"testing"
)

func TestRanges(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{{[]int{1}, "1"}, {[]int{1, 2, 3}, "1-3"}, {[]int{9, 1, 2, 3, 7, 10}, "1-3,7,9-10"}} {
		if got := Ranges(c.in); got != c.want {
			t.Errorf("Ranges(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestQuote: what Quote gives the shell comes back as the same word.
func TestQuote(t *testing.T) {
	words := []string{"plain", "/a/b c", "it's", "$HOME", "", "a\"b", "x;y"}
	out, err := exec.Command("sh", "-c", "printf '%s\\n' "+QuoteAll(words)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); strings.Join(got, "|") != strings.Join(words, "|") {
		t.Errorf("the shell read %q, want %q", got, words)
	}
}

// TestArrayScript: the array's directives, the site's options and preamble
// after them, the task's slice of the cells, and the requeue on USR1.
func TestArrayScript(t *testing.T) {
	a := Array{Name: "untied-x-quick", Tasks: 5, Run: []int{1, 2, 4}, Limit: 2, CPUs: 4, LogDir: "/l", WorkDir: "/w d",
		Command: []string{"/bin/untied", "sweep", "-experiment", "x"},
		Options: Options{Partition: "gpu", Account: "lab", Time: "1:00:00", Mem: "8G", Preamble: "#SBATCH --qos=low\nmodule load go"}}
	s, err := a.Script()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#SBATCH --array=1-2,4%2\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --requeue\n",
		"#SBATCH --signal=B:USR1@300\n", "#SBATCH --partition=gpu\n", "#SBATCH --account=lab\n", "#SBATCH --time=1:00:00\n",
		"#SBATCH --mem=8G\n", "#SBATCH --output=/l/%x-%A_%a.out\n", "cd '/w d'\n",
		`/bin/untied sweep -experiment x -cells "$SLURM_ARRAY_TASK_ID/5" &`, "trap requeue USR1", `scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"`} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "#SBATCH --qos=low") < strings.Index(s, "#SBATCH --mem=8G") {
		t.Error("the preamble comes before the generated directives, which would override it")
	}
	if err := exec.Command("bash", "-n", "-c", s).Run(); err != nil {
		t.Errorf("bash -n: %v", err)
	}
	if _, err := (Array{Name: "x", Tasks: 2, Run: []int{3}}).Script(); err == nil {
		t.Error("a task outside 1..Tasks was accepted")
	}
}

func TestParseAccounting(t *testing.T) {
	got := parseAccounting("47_1|COMPLETED\n47_2|FAILED\n47_[3-4]|PENDING\n47_2|CANCELLED by 0\n48|COMPLETED\n")
	want := map[int]string{1: "COMPLETED", 2: "CANCELLED"}
	if len(got) != len(want) || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("parseAccounting = %v, want %v", got, want)
	}
}
