#!/usr/bin/env bash
# Nightly RDP exposure audit with a baseline, for systemd (rdpaudit-nightly.service) or cron.
# Install as /usr/local/lib/rdpaudit/rdpaudit-nightly.sh (mode 0755). docs/nightly.md explains it.
#
# Exit: 0 clean; 1 a NEW unsuppressed finding at or above $RDPAUDIT_FAIL_ON since last night;
#       2 rdpaudit could not run; 3 the audit is incomplete (not clean).
# Prints only when something needs attention, so cron mails only then.
#
# Settings (environment; defaults in brackets):
#   RDPAUDIT_SCOPE      rdpaudit scope flags [--all-subscriptions]
#   RDPAUDIT_AUTH       auto|env|workload-identity|managed-identity|cli|azd [auto]
#   RDPAUDIT_FAIL_ON    info|low|medium|high|critical [high]
#   RDPAUDIT_FRAMEWORK  a --framework id [cis-azure-5.0]
#   RDPAUDIT_SUPPRESS   a suppression file, if any []
#   RDPAUDIT_STATE      where nights are kept [$STATE_DIRECTORY, else /var/lib/rdpaudit]
set -uo pipefail

state=${RDPAUDIT_STATE:-${STATE_DIRECTORY:-/var/lib/rdpaudit}}
fail_on=${RDPAUDIT_FAIL_ON:-high}
framework=${RDPAUDIT_FRAMEWORK:-cis-azure-5.0}
read -r -a scope <<<"${RDPAUDIT_SCOPE:---all-subscriptions}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
night=$state/nights/$stamp
mkdir -p "$night" || exit 2

# One run at a time: the baseline is shared.
exec 9>"$state/.lock"
flock -n 9 || { echo "rdpaudit-nightly: another run holds $state/.lock" >&2; exit 2; }

common=(--framework "$framework")
if [ -n "${RDPAUDIT_SUPPRESS:-}" ]; then common+=(--suppress "$RDPAUDIT_SUPPRESS"); fi
base=() since=()
if [ -f "$state/last.json" ]; then
  base=(--baseline "$state/last.json")
  since=(--fail-on-new)
fi

# Read Azure once; keep what was read as the snapshot.
rdpaudit audit "${scope[@]}" --auth "${RDPAUDIT_AUTH:-auto}" "${common[@]}" "${base[@]}" "${since[@]}" \
  --fail-on "$fail_on" --save-snapshot "$night/snapshot.json" -o json > "$night/report.json"
rc=$?
if [ "$rc" -eq 2 ]; then
  echo "rdpaudit-nightly: rdpaudit could not run (exit 2; its message is above)" >&2
  exit 2
fi

# The other formats from the same snapshot, so every output shows the same data.
for fmt in html sarif markdown; do
  rdpaudit audit --snapshot "$night/snapshot.json" "${common[@]}" "${base[@]}" --fail-on never \
    -o "$fmt" > "$night/report.$fmt"
  r=$?
  if [ "$r" -ne 0 ] && [ "$r" -ne 3 ]; then
    echo "rdpaudit-nightly: rendering $fmt from the snapshot failed (exit $r)" >&2
    exit 2
  fi
done
gzip "$night/snapshot.json"
(cd "$night" && sha256sum snapshot.json.gz report.json > SHA256SUMS)

# A complete night becomes the next baseline (written atomically). Exit 1 wins over 3, so
# "complete" is read from the report itself.
if { [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; } && jq -e '.complete' "$night/report.json" > /dev/null; then
  cp "$night/report.json" "$state/last.json.tmp" && mv "$state/last.json.tmp" "$state/last.json"
fi

case $rc in
  1)
    echo "rdpaudit: NEW RDP finding(s) at or above $fail_on since the baseline ($night/report.html):"
    jq -r --arg min "$fail_on" '{"info":0,"low":1,"medium":2,"high":3,"critical":4} as $rank
      | .vms[] as $vm | $vm.findings[]
      | select(.change != "unchanged" and (.suppressed | not) and $rank[.severity] >= $rank[$min])
      | "  \(.severity) \(.ruleId) \($vm.name): \(.message)"' "$night/report.json"
    jq -r '.vms[] | .name as $n | (.change.sources // [])[]
      | "  \($n): \([(.added[] | "+" + .), (.removed[] | "-" + .)] | join(" "))\(if .via then " via " + .via else "" end) (\(.path))"' \
      "$night/report.json"
    jq -e '.complete' "$night/report.json" > /dev/null \
      || echo "rdpaudit: the audit is also INCOMPLETE; the previous baseline is kept"
    ;;
  3)
    echo "rdpaudit: INCOMPLETE audit, which is not a clean one ($night/report.html):"
    jq -r '.diagnostics[] | "  \(.level) \(.scope // "-"): \(.message)"' "$night/report.json"
    ;;
esac
exit "$rc"
