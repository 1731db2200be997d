// Command gofloor is the smallest provider Terraform can talk to: a go-plugin gRPC server speaking tfplugin6 that
// answers GetProviderSchema and StopProvider (Shutdown is go-plugin's own). The provider-start benchmark measures
// it as the start-up floor of a provider written in Go, next to prewarm's Node provider.
package main

import (
	"context"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"prewarmconformance/tfplugin6"
)

type provider struct {
	tfplugin6.UnimplementedProviderServer
}

// The schema is small on purpose but valid: a provider block and one resource, so the answer is not empty.
var schema = &tfplugin6.GetProviderSchema_Response{
	Provider: &tfplugin6.Schema{Block: &tfplugin6.Schema_Block{Attributes: []*tfplugin6.Schema_Attribute{
		{Name: "endpoint", Type: []byte(`"string"`), Optional: true},
	}}},
	ResourceSchemas: map[string]*tfplugin6.Schema{
		"gofloor_thing": {Block: &tfplugin6.Schema_Block{Attributes: []*tfplugin6.Schema_Attribute{
			{Name: "id", Type: []byte(`"string"`), Computed: true},
			{Name: "name", Type: []byte(`"string"`), Required: true},
		}}},
	},
	ServerCapabilities: &tfplugin6.ServerCapabilities{PlanDestroy: true},
}

func (provider) GetProviderSchema(context.Context, *tfplugin6.GetProviderSchema_Request) (*tfplugin6.GetProviderSchema_Response, error) {
	return schema, nil
}

func (provider) StopProvider(context.Context, *tfplugin6.StopProvider_Request) (*tfplugin6.StopProvider_Response, error) {
	return &tfplugin6.StopProvider_Response{}, nil
}

type providerPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (providerPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	tfplugin6.RegisterProviderServer(s, provider{})
	return nil
}

func (providerPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, nil
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			MagicCookieKey:   "TF_PLUGIN_MAGIC_COOKIE",
			MagicCookieValue: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
		},
		VersionedPlugins: map[int]plugin.PluginSet{6: {"provider": providerPlugin{}}},
		GRPCServer:       plugin.DefaultGRPCServer,
		// A real provider logs through go-plugin at the level TF_LOG asks for; with TF_LOG unset that is nothing.
		Logger: hclog.NewNullLogger(),
	})
}
