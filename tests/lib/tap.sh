# shellcheck shell=bash
# TAP output for the host-side shell tests (tests/install, tests/package): sourced, not run.
#
#   ok DESCRIPTION / not_ok DESCRIPTION [DETAILS]     one result (DETAILS as '#' lines)
#   check DESCRIPTION COMMAND...                      ok when COMMAND succeeds, else its output
#   same DESCRIPTION EXPECTED ACTUAL                  ok when equal, else the diff
#   skip DESCRIPTION REASON / bail REASON
#   tap_finish                                        the plan line; exits 1 if anything failed
#
# The VM tests have their own helpers (tests/vm/lib.sh): they also report from inside the guest.

# SPDX-License-Identifier: GPL-2.0-only
TESTS=0
FAILED=0
ok() { TESTS=$((TESTS + 1)); echo "ok $TESTS - $1"; }
not_ok() {
    TESTS=$((TESTS + 1)) FAILED=$((FAILED + 1))
    echo "not ok $TESTS - $1"
    [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /'
}
check() {
    local description=$1 output
    shift
    if output=$("$@" 2>&1); then ok "$description"; else not_ok "$description" "$output"; fi
}
same() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "$(diff <(echo "$2") <(echo "$3"))"; fi
}
skip() { TESTS=$((TESTS + 1)); echo "ok $TESTS - $1 # SKIP $2"; }
bail() { echo "Bail out! $*"; exit 1; }
tap_finish() {
    echo "1..$TESTS"
    [ "$FAILED" -eq 0 ] || { echo "# $FAILED of $TESTS failed"; exit 1; }
}
