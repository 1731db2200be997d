// Entry point for the generated protocol code (provider/gen, regenerated with
// `npx buf generate --template proto/buf.gen.tfplugin.yaml`; see proto/README.md):
//   - tfplugin6 6.10 messages and the `Provider` service descriptor (gRPC paths /tfplugin6.Provider/<Rpc>)
//   - go-plugin's plugin.GRPCController (Shutdown) and plugin.GRPCStdio (StreamStdio)
//   - grpc.health.v1.Health (Check / Watch / List)
// `file_tfplugin6` is the tfplugin6 file descriptor (the generated name is file_tfplugin6_tfplugin6
// because buf compiles proto/ as one module and the file's path there is tfplugin6/tfplugin6.proto).
export * from './gen/tfplugin6/tfplugin6_pb';
export { file_tfplugin6_tfplugin6 as file_tfplugin6 } from './gen/tfplugin6/tfplugin6_pb';
export * from './gen/plugin/grpc_controller_pb';
export * from './gen/plugin/grpc_stdio_pb';
export * from './gen/plugin/health_pb';
