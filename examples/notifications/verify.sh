#!/usr/bin/env bash
# Checks a prewarm webhook signature. Usage:
#   WEBHOOK_SECRET=… ./verify.sh "$X_PREWARM_SIGNATURE" < body.json
# Exit 0 when valid; 1 with the reason otherwise. Needs bash and openssl. (openssl -hmac puts the secret on its
# command line, visible to other users of this machine in `ps`.)
set -euo pipefail
header=${1:-}
fail() { echo "invalid: $1" >&2; exit 1; }
[[ -n ${WEBHOOK_SECRET:-} ]] || fail "WEBHOOK_SECRET is not set"
[[ $header =~ (^|,)t=([0-9]+)(,|$) ]] || fail "malformed signature header"
t=${BASH_REMATCH[2]}
[[ $header =~ (^|,)v1=([0-9a-f]{64})(,|$) ]] || fail "malformed signature header"
sig=${BASH_REMATCH[2]}
age=$(( $(date +%s) - t ))
(( age <= 300 && age >= -300 )) || fail "timestamp older than 5 minutes (or in the future)"
# The body goes through a pipe untouched (command substitution would drop its trailing newlines).
expected=$({ printf '%s.' "$t"; cat; } | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | awk '{print $NF}')
[[ $expected == "$sig" ]] || fail "signature does not match"
echo valid
