#!/usr/bin/env bash
# Regenerates the Go stubs in tfplugin6/ from the repository's proto/tfplugin6/tfplugin6.proto.
# Needs Debian's protobuf-compiler (protoc 3.21), protoc-gen-go (1.28) and protoc-gen-go-grpc (1.33):
#   apt-get install -y protobuf-compiler protoc-gen-go protoc-gen-go-grpc
# The stubs are committed so that building the harness needs only the Go libraries, not protoc.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto="$here/../../proto"
m="Mtfplugin6/tfplugin6.proto=prewarmconformance/tfplugin6"
rm -f "$here"/tfplugin6/*.pb.go
protoc -I "$proto" -I /usr/include \
  --go_out="$here" --go_opt=paths=source_relative --go_opt="$m" \
  --go-grpc_out="$here" --go-grpc_opt=paths=source_relative --go-grpc_opt="$m" \
  tfplugin6/tfplugin6.proto
