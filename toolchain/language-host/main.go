// Command pulumi-language-nodejs is this project's own Node.js language host for the Pulumi CLI.
//
// Pulumi's host lives in a Go module that has no release tags, and the Go module proxy reachable from our build
// machines does not serve its pseudo-versions, so ensure-pulumi.ts builds this small replacement next to the CLI
// instead. It speaks the LanguageRuntime gRPC protocol from the proxy-served sdk/v3 module and runs programs through
// the `@pulumi/pulumi/cmd/run` entry point of the SDK the program itself depends on, exactly as the CLI expects from
// its bundled host. Only what `preview`, `up`, `refresh`, `destroy`, stack commands and the Automation API use is
// implemented; everything else answers Unimplemented, which the engine tolerates.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// The engine probes its own health endpoint this often; a dead engine makes the host exit instead of lingering.
const engineHealthInterval = 5 * time.Minute

func main() {
	// The CLI passes `--logtostderr`, `-v=N` and `--tracing URL` before the engine address when asked to flow its
	// logging settings to plugins. The first two are registered by the (glog) logging dependency and read back by
	// InitLogging; tracing is accepted so such runs do not fail on an unknown flag.
	flag.String("tracing", "", "tracing endpoint (accepted for compatibility, unused)")
	flag.Parse()
	logging.InitLogging(false, 0, true)

	host := &languageHost{}
	// The engine address is the last positional argument; Handshake may also supply it.
	if args := flag.Args(); len(args) > 0 {
		host.setEngineAddress(args[len(args)-1])
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancel)
	}()
	if addr := host.engine(); addr != "" {
		if err := rpcutil.Healthcheck(ctx, addr, engineHealthInterval, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not watch the engine's health: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: []grpc.ServerOption{
			grpc.ChainUnaryInterceptor(logUnaryCall),
			grpc.ChainStreamInterceptor(logStreamCall),
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host gRPC server: %w", err))
	}

	// The CLI reads exactly one line with our port from stdout; everything after it is shown as program output.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host stopped serving: %w", err))
	}
}

// logUnaryCall records every RPC the engine makes (visible with `pulumi -v=5 --logflow --logtostderr`).
func logUnaryCall(
	ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler,
) (any, error) {
	logging.V(5).Infof("pulumi-language-nodejs: %s", info.FullMethod)
	return handler(ctx, req)
}

func logStreamCall(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	logging.V(5).Infof("pulumi-language-nodejs: %s", info.FullMethod)
	return handler(srv, ss)
}
