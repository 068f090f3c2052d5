// Command trigger-check evaluates notification trigger conditions the way the Argo
// Rollouts controller does, so that tests can ask what a `when` expression decides
// for a given Rollout without waiting for the controller to reach that moment.
//
// It is built by scripts/toolchain.sh inside the argo-rollouts module at
// ARGO_ROLLOUTS_VERSION, so the notifications-engine trigger types and the expr
// language version are exactly the controller's. A condition is compiled and run
// as the controller's two paths do, except that an error while running it is
// reported: the controller logs it and treats the condition as false, which would
// hide a broken expression as a notification never sent.
//
// Input (stdin), JSON:
//
//	{"triggers": {"<name>": "<the ConfigMap's trigger.<name> YAML>"},
//	 "cases": [{"trigger": "<name>", "rollout": {...}, "analysisRuns": [...] | null}]}
//
// Output (stdout), JSON: one entry per case, in order,
//
//	{"event": bool, "watch": bool}   or   {"error": "<why>"}
//
// and exits 2 on input it cannot read or a condition that does not compile.
//
// The controller evaluates a condition on two paths, with the Rollout decoded two
// ways: on an event it raises, from encoding/json (numbers are float64); on a
// change it watches, from the informer's unstructured object (integers are int64).
// Both are reported, as a condition could hold on one path and not the other. A
// trigger without a condition always sends on its event (utils/record's "empty
// condition") and never on a change (notifications-engine compiles it as "false").
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/argoproj/notifications-engine/pkg/triggers"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	kubejson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

type input struct {
	Triggers map[string]string `json:"triggers"`
	Cases    []testCase        `json:"cases"`
}

type testCase struct {
	Trigger      string          `json:"trigger"`
	Rollout      json.RawMessage `json:"rollout"`
	AnalysisRuns json.RawMessage `json:"analysisRuns"`
}

type result struct {
	Event *bool  `json:"event,omitempty"`
	Watch *bool  `json:"watch,omitempty"`
	Error string `json:"error,omitempty"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("reading the input: %v", err)
	}
	conditions := map[string][]triggers.Condition{}
	for name, text := range in.Triggers {
		var parsed []triggers.Condition
		if err := yaml.Unmarshal([]byte(text), &parsed); err != nil {
			fail("trigger %s: %v", name, err)
		}
		conditions[name] = parsed
	}
	programs := map[string][]*vm.Program{}
	for name, list := range conditions {
		for i, condition := range list {
			var program *vm.Program // nil: no condition
			if condition.When != "" {
				compiled, err := expr.Compile(condition.When)
				if err != nil {
					fail("trigger %s, condition %d: %v", name, i, err)
				}
				program = compiled
			}
			programs[name] = append(programs[name], program)
		}
	}
	results := make([]result, 0, len(in.Cases))
	for _, c := range in.Cases {
		results = append(results, evaluate(programs, c))
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fail("writing the results: %v", err)
	}
}

// evaluate runs one case on both decodings; any error is the case's result.
func evaluate(programs map[string][]*vm.Program, c testCase) result {
	var analysisRuns any
	if len(c.AnalysisRuns) > 0 {
		if err := json.Unmarshal(c.AnalysisRuns, &analysisRuns); err != nil {
			return result{Error: fmt.Sprintf("analysisRuns: %v", err)}
		}
	}
	var fromEvent, fromWatch map[string]any
	if err := json.Unmarshal(c.Rollout, &fromEvent); err != nil {
		return result{Error: fmt.Sprintf("rollout: %v", err)}
	}
	if err := kubejson.Unmarshal(c.Rollout, &fromWatch); err != nil {
		return result{Error: fmt.Sprintf("rollout: %v", err)}
	}
	if _, ok := programs[c.Trigger]; !ok {
		return result{Error: fmt.Sprintf("trigger %q is not in the input's triggers", c.Trigger)}
	}
	event, err := triggered(programs[c.Trigger], fromEvent, analysisRuns, true)
	if err != nil {
		return result{Error: err.Error()}
	}
	watch, err := triggered(programs[c.Trigger], fromWatch, analysisRuns, false)
	if err != nil {
		return result{Error: err.Error()}
	}
	return result{Event: &event, Watch: &watch}
}

// triggered is true when any condition of the trigger holds, with the variables the
// controller gives a condition (utils/record NewAPIFactorySettings); a missing
// condition counts as emptyHolds.
func triggered(programs []*vm.Program, rollout map[string]any, analysisRuns any, emptyHolds bool) (bool, error) {
	vars := map[string]any{"rollout": rollout, "analysisRuns": analysisRuns, "secrets": map[string][]byte{}}
	for i, program := range programs {
		if program == nil {
			if emptyHolds {
				return true, nil
			}
			continue
		}
		value, err := expr.Run(program, vars)
		if err != nil {
			return false, fmt.Errorf("condition %d: %v", i, err)
		}
		if holds, ok := value.(bool); ok && holds {
			return true, nil
		}
	}
	return false, nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "trigger-check: "+format+"\n", args...)
	os.Exit(2)
}
