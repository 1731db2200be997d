#!/usr/bin/env bash
# Builds the Go floor of the provider-start benchmark in GOPATH mode against Debian's Go packages (/usr/share/gocode),
# the way test/conformance/build.sh builds the conformance harness, and with its tfplugin6 stubs (copied, so that
# the stubs stay in one place in the repo).
#   test/bench/go-floor/build.sh OUTPUT_BINARY
set -euo pipefail
out="${1:?usage: build.sh OUTPUT_BINARY}"
here="$(cd "$(dirname "$0")" && pwd)"
stubs="$here/../../conformance/tfplugin6"
gopath="$(mktemp -d "${TMPDIR:-/tmp}/prewarm-gofloor-gopath.XXXXXX")"
trap 'rm -rf "$gopath"' EXIT
# The stubs' import path is prewarmconformance/tfplugin6.
mkdir -p "$gopath/src/gofloor" "$gopath/src/prewarmconformance/tfplugin6"
cp "$here"/*.go "$gopath/src/gofloor/"
cp "$stubs"/*.go "$gopath/src/prewarmconformance/tfplugin6/"
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="${TMPDIR:-/tmp}/prewarm-conformance-gocache"
fi
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$gopath/src/gofloor"
# Stripped, as provider releases are built.
GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS= go build -trimpath -ldflags="-s -w" -o "$out" .
