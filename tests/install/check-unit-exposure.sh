#!/usr/bin/env bash
# The units' sandbox cannot loosen unnoticed: `systemd-analyze security --offline=yes` must rate
# each unit at most at the exposure docs/security.md records, and every item the analyzer still
# flags must be named (and justified) in that document's table.
#
#   check-unit-exposure.sh UNIT_FILE MAX_EXPOSURE DOC

# SPDX-License-Identifier: GPL-2.0-only
set -euo pipefail
unit=${1:?unit file}
max=${2:?highest exposure allowed}
doc=${3:?docs/security.md}

command -v systemd-analyze >/dev/null || { echo "systemd-analyze not found (package systemd)" >&2; exit 1; }
report=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1) || {
    printf '%s\n' "$report" >&2
    echo "systemd-analyze failed on $unit" >&2
    exit 1
}
score=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { printf '%s\n' "$report" >&2; echo "no exposure level in the report" >&2; exit 1; }
echo "$(basename "$unit"): exposure $score (at most $max)"
status=0
awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || {
    echo "FAIL: exposure $score is above $max: the unit lost some of its sandbox" >&2
    status=1
}
# The flagged settings ("CapabilityBoundingSet=~CAP_SYS_ADMIN", "User=/DynamicUser="): each must
# appear in the document's text (markdown's "\|" read as "|"). The table groups several under one
# setting, so what follows "=~" is enough, and of alternatives "A=/B=" the first.
doc_text=$(sed 's/\\|/|/g' "$doc")
while read -r setting; do
    [ -n "$setting" ] || continue
    case $setting in
    *=~*) needle=${setting#*=~} ;;
    *=/*) needle=${setting%%/*} ;;
    *) needle=$setting ;;
    esac
    if ! grep -qF -- "$needle" <<<"$doc_text"; then
        echo "FAIL: flagged but not justified in $(basename "$doc"): $setting" >&2
        status=1
    fi
done < <(printf '%s\n' "$report" | awk '$1 == "✗" { print $2 }')
exit $status
