#!/usr/bin/env bash
# Builds the conformance harness in GOPATH mode against Debian's Go packages (/usr/share/gocode).
#   test/conformance/build.sh OUTPUT_BINARY
# The sources are copied into a throwaway GOPATH as package prewarmconformance (the import path the
# committed stubs use); nothing is downloaded.
set -euo pipefail
out="${1:?usage: build.sh OUTPUT_BINARY}"
here="$(cd "$(dirname "$0")" && pwd)"
gopath="$(mktemp -d "${TMPDIR:-/tmp}/prewarm-conformance-gopath.XXXXXX")"
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/prewarmconformance/tfplugin6"
cp "$here"/*.go "$gopath/src/prewarmconformance/"
cp "$here"/tfplugin6/*.go "$gopath/src/prewarmconformance/tfplugin6/"
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="${TMPDIR:-/tmp}/prewarm-conformance-gocache"
fi
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$gopath/src/prewarmconformance"
GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS= go build -o "$out" .
