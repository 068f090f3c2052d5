// Command pulumi-language-nodejs fronts an older Node.js language host so that a
// newer Pulumi CLI can also start Node.js policy packs with it.
//
// The Go module proxy does not serve the current language host module, so the
// toolchain builds the last one that lived inside sdk/v3 (see versions.env). That
// host runs programs fine but predates the RunPlugin RPC, which CLIs since
// v3.222 use to start policy packs ("could not read plugin ...: not supported").
// This shim starts the old host (libexec/pulumi-language-nodejs beside it),
// forwards every gRPC call to it unchanged, and answers RunPlugin for policy
// packs itself, the way the current host does: run
// @pulumi/pulumi/cmd/run-policy-pack with node behind the SDK's PolicyProxy.
//
// The old host also took Pulumi.yaml's runtime options (typescript, tsconfig,
// nodeargs) as command-line flags, which newer CLIs no longer pass: they send
// them in each call's ProgramInfo. Without them the old host would register
// ts-node for every program, `typescript: false` or not, and drop nodeargs. So
// a Run whose options differ from the defaults goes to an old host started
// with those options as flags.
//
// It is built by scripts/toolchain.sh against sdk/v3 at PULUMI_VERSION.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// maxMessageSize matches the 400 MiB limit Pulumi's own gRPC servers and clients use.
const maxMessageSize = 400 << 20

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (shim): %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	legacy := &legacyHosts{path: filepath.Join(filepath.Dir(self), "libexec", "pulumi-language-nodejs")}
	defaultHost, backend, err := legacy.start(nil)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.MaxRecvMsgSize(maxMessageSize),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			method, _ := grpc.MethodFromServerStream(stream)
			switch method {
			case pulumirpc.LanguageRuntime_RunPlugin_FullMethodName:
				return runPlugin(stream)
			case pulumirpc.LanguageRuntime_Run_FullMethodName:
				return runProgram(legacy, stream)
			}
			return forward(backend, method, stream, nil)
		}))
	// Like every plugin, announce the port on stdout; the CLI reads that line.
	fmt.Println(listener.Addr().(*net.TCPAddr).Port)

	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	exited := make(chan error, 1)
	go func() { exited <- defaultHost.Wait() }()
	select {
	case err := <-served:
		return err
	case err := <-exited:
		return fmt.Errorf("legacy host exited: %v", err)
	}
}

// legacyHosts starts old hosts, one per set of flags, and keeps them for the
// life of this process (one CLI operation).
type legacyHosts struct {
	path string

	mu      sync.Mutex
	byFlags map[string]*grpc.ClientConn
}

// start runs an old host with flags, connects to it and keeps the connection
// for later calls with the same flags. The caller holds h.mu, or runs before
// the server starts.
func (h *legacyHosts) start(flags []string) (*exec.Cmd, *grpc.ClientConn, error) {
	cmd, port, err := startLegacyHost(h.path, flags)
	if err != nil {
		return nil, nil, err
	}
	conn, err := grpc.NewClient("127.0.0.1:"+port,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(maxMessageSize)))
	if err != nil {
		return nil, nil, err
	}
	if h.byFlags == nil {
		h.byFlags = map[string]*grpc.ClientConn{}
	}
	h.byFlags[strings.Join(flags, " ")] = conn
	return cmd, conn, nil
}

// forFlags returns a connection to the old host started with flags, starting
// it on first use. Only the first host's exit ends the shim; a Run on a host
// that exited fails on its own.
func (h *legacyHosts) forFlags(flags []string) (*grpc.ClientConn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if conn, ok := h.byFlags[strings.Join(flags, " ")]; ok {
		return conn, nil
	}
	cmd, conn, err := h.start(flags)
	if err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait() }()
	return conn, nil
}

// runProgram forwards a Run to an old host started with the program's runtime
// options as flags.
func runProgram(legacy *legacyHosts, stream grpc.ServerStream) error {
	var frame []byte
	if err := stream.RecvMsg(&frame); err != nil {
		return err
	}
	req := &pulumirpc.RunRequest{}
	if err := proto.Unmarshal(frame, req); err != nil {
		return err
	}
	backend, err := legacy.forFlags(runtimeFlags(req.GetInfo().GetOptions().AsMap()))
	if err != nil {
		return err
	}
	return forward(backend, pulumirpc.LanguageRuntime_Run_FullMethodName, stream, frame)
}

// runtimeFlags turns Pulumi.yaml's runtime options into the old host's flags;
// options the old host does not know (packagemanager) are left out.
func runtimeFlags(options map[string]any) []string {
	var flags []string
	if typescript, set := options["typescript"].(bool); set && !typescript {
		flags = append(flags, "-typescript=false")
	}
	if tsconfig, _ := options["tsconfig"].(string); tsconfig != "" {
		flags = append(flags, "-tsconfig="+tsconfig)
	}
	if nodeargs, _ := options["nodeargs"].(string); nodeargs != "" {
		flags = append(flags, "-nodeargs="+nodeargs)
	}
	return flags
}

// startLegacyHost runs the old host with flags and our arguments and returns it
// and the port it announced. It dies with us (Pdeathsig), as the CLI only knows
// our pid.
func startLegacyHost(path string, flags []string) (*exec.Cmd, string, error) {
	cmd := exec.Command(path, append(append([]string{}, flags...), os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	reader := bufio.NewReader(stdout)
	line, err := reader.ReadString('\n')
	if err != nil {
		return nil, "", fmt.Errorf("reading the port of %s: %w", path, err)
	}
	go func() { _, _ = io.Copy(os.Stderr, reader) }()
	return cmd, strings.TrimSpace(line), nil
}

// rawCodec passes messages through as bytes, so forwarding needs no knowledge of
// the (newer or older) message types.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// forward relays one call, of any shape, to the legacy host; first is a request
// frame already read from in, if any.
func forward(backend *grpc.ClientConn, method string, in grpc.ServerStream, first []byte) error {
	ctx, cancel := context.WithCancel(in.Context())
	defer cancel()
	md, _ := metadata.FromIncomingContext(ctx)
	out, err := backend.NewStream(metadata.NewOutgoingContext(ctx, md),
		&grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return err
	}
	if first != nil {
		if err := out.SendMsg(&first); err != nil {
			return err
		}
	}
	go func() {
		for {
			var frame []byte
			if in.RecvMsg(&frame) != nil || out.SendMsg(&frame) != nil {
				_ = out.CloseSend()
				return
			}
		}
	}()
	for firstReply := true; ; firstReply = false {
		var frame []byte
		if err := out.RecvMsg(&frame); err != nil {
			in.SetTrailer(out.Trailer())
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if firstReply {
			if header, err := out.Header(); err == nil {
				_ = in.SendHeader(header)
			}
		}
		if err := in.SendMsg(&frame); err != nil {
			return err
		}
	}
}

// runPluginStream adapts a raw server stream to the typed RunPlugin stream the
// SDK's helpers write to.
type runPluginStream struct{ grpc.ServerStream }

func (s runPluginStream) Send(response *pulumirpc.RunPluginResponse) error {
	frame, err := proto.Marshal(response)
	if err != nil {
		return err
	}
	return s.SendMsg(&frame)
}

// runPlugin starts a policy pack: node runs @pulumi/pulumi/cmd/run-policy-pack
// from the pack's own node_modules with the engine address and the pack
// directory, behind the SDK's PolicyProxy, which first collects the stack
// configuration the engine sends and passes it on as environment variables.
func runPlugin(stream grpc.ServerStream) error {
	var frame []byte
	if err := stream.RecvMsg(&frame); err != nil {
		return err
	}
	req := &pulumirpc.RunPluginRequest{}
	if err := proto.Unmarshal(frame, req); err != nil {
		return err
	}
	if req.Kind != string(apitype.AnalyzerPlugin) {
		return status.Errorf(codes.Unimplemented, "this language host runs only policy packs as plugins, not %q", req.Kind)
	}
	ctx := stream.Context()
	dir := req.GetInfo().GetProgramDirectory()

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(runPluginStream{stream}, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	node, err := exec.LookPath("node")
	if err != nil {
		return err
	}
	runPath, err := resolveModule(ctx, node, dir, "@pulumi/pulumi/cmd/run-policy-pack")
	if err != nil {
		return err
	}
	env := append(req.Env, typescriptEnv(req.GetInfo().GetOptions().AsMap())...)

	proxy, stdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start policy pack proxy: %w", err)
	}
	config, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get stack configuration: %w", err)
	}
	configEnv, err := stackConfigEnv(config)
	if err != nil {
		return err
	}

	args := append(append([]string{runPath}, req.Args...), dir)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir // policy packs have always run from their own directory
	cmd.Env = append(env, configEnv...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not run the policy pack with %s: %w", node, err)
	}
	if err := proxy.Attach(ctx, cmd); err != nil {
		return fmt.Errorf("could not attach policy pack proxy: %w", err)
	}
	return closer.Close()
}

// resolveModule resolves a module the way node would from dir.
func resolveModule(ctx context.Context, node, dir, module string) (string, error) {
	cmd := exec.CommandContext(ctx, node, "-e", "console.log(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot find %s from %s (run npm install there): %w", module, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// typescriptEnv mirrors the runtime options of PulumiPolicy.yaml (typescript is on
// unless set to false; tsconfig names the project file).
func typescriptEnv(options map[string]any) []string {
	var env []string
	if typescript, set := options["typescript"].(bool); !set || typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if tsconfig, _ := options["tsconfig"].(string); tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	return env
}

// stackConfigEnv passes the stack the engine configured to the policy pack.
func stackConfigEnv(config *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if config == nil {
		return nil, nil
	}
	var env []string
	add := func(key, value string) {
		if value != "" {
			env = append(env, key+"="+value)
		}
	}
	add("PULUMI_NODEJS_ORGANIZATION", config.Organization)
	add("PULUMI_NODEJS_PROJECT", config.Project)
	add("PULUMI_NODEJS_STACK", config.Stack)
	add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(config.DryRun))
	if config.Config != nil {
		configJSON, err := json.Marshal(config.Config)
		if err != nil {
			return nil, fmt.Errorf("could not marshal stack configuration: %w", err)
		}
		add("PULUMI_CONFIG", string(configJSON))
	}
	return env, nil
}
