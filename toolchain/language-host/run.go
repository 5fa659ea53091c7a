package main

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/google/shlex"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// The SDK's run script exits with this code after it has already shown the user an actionable error, in which case
// the engine must stop without adding a message of its own.
const exitAfterReportedError = 32

// inspectGuard keeps the SDK's report of an uncaught error from hanging on Node's util.inspect (see the file).
//
//go:embed inspect-guard.mjs
var inspectGuard []byte

// guardedNodeOptions adds the guard to NODE_OPTIONS rather than to node's arguments: the SDK's run script only picks
// its automatic ESM mode when process.execArgv has no --import or --require, and NODE_OPTIONS is not in execArgv.
func guardedNodeOptions(existing string) string {
	guard := "--import=data:text/javascript;base64," + base64.StdEncoding.EncodeToString(inspectGuard)
	return strings.TrimSpace(existing + " " + guard)
}

// runtimeOptions are the `runtime.options` of a nodejs project in Pulumi.yaml.
type runtimeOptions struct {
	typescript bool     // run through ts-node (default true)
	tsconfig   string   // tsconfig path handed to ts-node
	nodeArgs   []string // extra arguments for node itself
}

func parseRuntimeOptions(raw map[string]any) (runtimeOptions, error) {
	opts := runtimeOptions{typescript: true}
	if v, ok := raw["typescript"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return opts, errors.New("runtime option 'typescript' must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := raw["tsconfig"]; ok {
		s, isString := v.(string)
		if !isString {
			return opts, errors.New("runtime option 'tsconfig' must be a string")
		}
		opts.tsconfig = s
	}
	if v, ok := raw["nodeargs"]; ok {
		s, isString := v.(string)
		if !isString {
			return opts, errors.New("runtime option 'nodeargs' must be a string")
		}
		args, err := shlex.Split(s)
		if err != nil {
			return opts, fmt.Errorf("runtime option 'nodeargs': %w", err)
		}
		opts.nodeArgs = args
	}
	return opts, nil
}

// Run executes the program with the SDK's `cmd/run` script, which connects back to the engine's resource monitor.
// A program failure is reported in the response, not as an RPC error, so the engine renders it as a program error.
func (h *languageHost) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	cmd, err := h.programCommand(req)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return runResponse(cmd.Run()), nil
}

func (h *languageHost) programCommand(req *pulumirpc.RunRequest) (*exec.Cmd, error) {
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	opts, err := parseRuntimeOptions(info.GetOptions().AsMap())
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the PATH: %w", err)
	}
	// Resolve the run script from the program directory so the program runs with the SDK it was installed with.
	runScript, err := resolveModule(node, dir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return nil, err
	}
	configVar, err := configJSON(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	if err != nil {
		return nil, err
	}

	args := append(append([]string{}, opts.nodeArgs...), runScript)
	addFlag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	addFlag("monitor", req.GetMonitorAddress())
	addFlag("engine", h.engine())
	addFlag("organization", req.GetOrganization())
	addFlag("project", req.GetProject())
	addFlag("stack", req.GetStack())
	addFlag("root-directory", info.GetRootDirectory())
	addFlag("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	addFlag("parallel", strconv.Itoa(int(req.GetParallel())))
	args = append(args, info.GetEntryPoint())
	args = append(args, req.GetArgs()...)

	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PULUMI_CONFIG="+configVar, "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
		"NODE_OPTIONS="+guardedNodeOptions(os.Getenv("NODE_OPTIONS")))
	if opts.typescript {
		cmd.Env = append(cmd.Env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		cmd.Env = append(cmd.Env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	// Hide the *os.File behind a plain writer: exec then copies through a pipe instead of sharing our descriptors,
	// whose blocking mode Node.js may change under us.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	return cmd, nil
}

// resolveModule asks node for the file a module specifier resolves to when required from dir.
func resolveModule(node, dir, specifier string) (string, error) {
	cmd := exec.Command(node, "-e", fmt.Sprintf("console.log(require.resolve(%q))", specifier))
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s from %s; is @pulumi/pulumi installed (npm install)? %w",
			specifier, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// configJSON encodes the stack config for the SDK, which reads PULUMI_CONFIG keyed `<namespace>:config:<name>`.
func configJSON(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func runResponse(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}
	}
	if exitErr.ExitCode() == exitAfterReportedError {
		return &pulumirpc.RunResponse{Bail: true}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with code %d", exitErr.ExitCode())}
}
