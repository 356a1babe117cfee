#!/usr/bin/env bash
# Runs TM Forum's conformance test kit for TMF678 v4 (CTK-Customer_Bill-4.0) against a running tmfbill and
# prints its figures. The kit is not part of this repository: pass the path of a checkout of it.
#
#   scripts/run-ctk.sh [CTK_DIR] [URL]
#
#   CTK_DIR  the kit's folder, the one holding config.json and ctk/index.js (or set CTK_DIR)
#   URL      the API root, ending in /  (or set CTK_URL; default http://localhost:8080/tmf-api/customerBillManagement/v4/)
#   CTK_ACCOUNT  the billing account the kit's on-demand request names (default A0815, which `tmfbill demo` creates)
#
# Exit status: 0 when every assertion passed, 1 when some failed, 2 when the kit could not run.
set -euo pipefail

ctk_dir="${1:-${CTK_DIR:-}}"
url="${2:-${CTK_URL:-http://localhost:8080/tmf-api/customerBillManagement/v4/}}"
account="${CTK_ACCOUNT:-A0815}"

if [[ -z "$ctk_dir" ]]; then
  echo "usage: $0 CTK_DIR [URL]   (or set CTK_DIR)" >&2
  exit 2
fi
if [[ ! -f "$ctk_dir/ctk/index.js" ]]; then
  echo "$ctk_dir does not look like the CTK: $ctk_dir/ctk/index.js is missing" >&2
  exit 2
fi
# The collection appends resource names to the root directly ({{Customer_Bill}}customerBill).
[[ "$url" == */ ]] || url="$url/"
ctk_dir="$(cd "$ctk_dir" && pwd)"

if ! curl -fsS -o /dev/null "${url}customerBill?limit=1" 2>/dev/null; then
  echo "warning: ${url}customerBill does not answer; the kit will report every request as failed" >&2
fi

# The kit reads ../config.json from its ctk/ folder: the API root, the headers of every request, and the
# body of its one POST (validated against the kit's own schema before it runs).
node -e '
  const [file, url, account] = process.argv.slice(1)
  const config = {
    url,
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    payloads: { CustomerBillOnDemand: { POST: { payload: { billingAccount: { id: account } } } } }
  }
  require("fs").writeFileSync(file, JSON.stringify(config, null, 2) + "\n")
' "$ctk_dir/config.json" "$url" "$account"

results="$ctk_dir/jsonResults.json"
rm -f "$results" "$ctk_dir/htmlResults.html"

echo "Running CTK-Customer_Bill-4.0 from $ctk_dir against $url"
(
  cd "$ctk_dir/ctk"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
  # The kit exits non-zero on its own run errors only; assertion failures are read from its report below.
  # NOTE: the kit's old HTTP client breaks on Node 20's happy-eyeballs connect ("Invalid IP address: undefined"
  # for any host name); turning it off makes names such as localhost work.
  NODE_OPTIONS="${NODE_OPTIONS:-} --no-network-family-autoselection" node index.js || true
)

if [[ ! -s "$results" ]]; then
  echo "the kit wrote no $results: it did not run" >&2
  exit 2
fi

node -e '
  const run = require(process.argv[1]).run
  const s = run.stats
  const line = (name, stat) => console.log(`${name.padEnd(12)} ${String(stat.total).padStart(5)} total  ${String(stat.failed).padStart(4)} failed`)
  line("requests", s.requests)
  line("test scripts", s.testScripts)
  line("assertions", s.assertions)
  for (const f of run.failures) {
    console.log(`FAILED  ${f.source?.name ?? "?"}: ${f.error?.test ?? ""} ${f.error?.message ?? ""}`.trimEnd())
  }
  const failed = run.failures.length + s.requests.failed + s.assertions.failed
  console.log(failed === 0 ? "CTK passed: 0 failures" : `CTK failed: ${run.failures.length} failures`)
  process.exit(failed === 0 ? 0 : 1)
' "$results"
