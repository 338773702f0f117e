package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// System goplugin is hashicorp/go-plugin with its default protocol, gRPC,
// over the Unix socket the plugin announces on its standard output. It
// takes part in plugin_unary only, whose plugin plugin.go starts
// (startGoPluginHost); the plugin serves the gRPC service of system grpc
// (grpcDesc), and the host makes the same small call (concatGRPC).

// goPluginHandshake is what host and plugin agree on: go-plugin's magic
// cookie, which the host puts in the plugin's environment.
var goPluginHandshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "IPFI_BENCH_GOPLUGIN_COOKIE",
	MagicCookieValue: "ipfi-bench",
}

// goPluginName is the plugin's name in the plugin set.
const goPluginName = "bench"

// goPlugins is the plugin set of host and plugin alike.
var goPlugins = plugin.PluginSet{goPluginName: benchGoPlugin{}}

// benchGoPlugin serves the benchmark's gRPC service in the plugin and
// hands the host the plugin's gRPC connection.
type benchGoPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (benchGoPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&grpcDesc, grpcService{})
	return nil
}

func (benchGoPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return cc, nil
}

// goPluginLogger is the host's and the plugin's go-plugin logger: errors
// only, to standard error.
func goPluginLogger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Error, Output: os.Stderr})
}

// serveGoPlugin is the plugin's side: it serves until the host closes its
// client (go-plugin's controller shuts the server down), and returns the
// process's exit code.
func serveGoPlugin() int {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: goPluginHandshake,
		Plugins:         goPlugins,
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          goPluginLogger("goplugin-plugin"),
	})
	return 0
}

// startGoPluginHost starts the plugin, cmd, with go-plugin and returns the
// small call to it and what stops it. cmd's environment is the plugin's
// whole environment (go-plugin adds its own variables, not the host's).
func startGoPluginHost(cmd *exec.Cmd) (op func(context.Context) error, stop func() error, err error) {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  goPluginHandshake,
		Plugins:          goPlugins,
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           goPluginLogger("goplugin-host"),
		Stderr:           os.Stderr, // the plugin's own standard error, as written
	})
	stop = func() error {
		client.Kill() // waits for the process and go-plugin's goroutines
		return nil
	}
	cp, err := client.Client()
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("goplugin: %w", err), stop())
	}
	raw, err := cp.Dispense(goPluginName)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("goplugin: %w", err), stop())
	}
	cc, ok := raw.(*grpc.ClientConn)
	if !ok {
		return nil, nil, errors.Join(fmt.Errorf("goplugin: dispensed a %T", raw), stop())
	}
	return func(ctx context.Context) error { return concatGRPC(ctx, cc) }, stop, nil
}

// goPluginSystem is system goplugin outside plugin_unary: nothing.
type goPluginSystem struct{}

// startGoPlugin starts the goplugin system, which takes part in no
// scenario but plugin_unary (served by pluginOp).
func startGoPlugin(context.Context, *env) (system, error) { return goPluginSystem{}, nil }

func (goPluginSystem) op(string) func(context.Context) error { return nil }

func (goPluginSystem) close() error { return nil }
