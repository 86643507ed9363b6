#!/usr/bin/env bash
# Lighthouse 12.2.3 (mobile, npm-pinned in package.json) against a running hub's PWA; prints the scores and
# the transfer sizes of the first load. Not a test: goals are performance >= 95, accessibility 100,
# best practices >= 95, first load <= 150 KiB transferred, JavaScript <= 60 KiB.
#
#   npm ci && bench/lighthouse.sh [URL]        # URL defaults to http://127.0.0.1:8000/
#
# Uses Debian's Chromium (CHROME_PATH=/usr/bin/chromium); no browser is downloaded. Each path in PATHS
# is audited separately (default: every screen a visitor reaches without signing in). The JSON reports are left in $OUT (default /tmp).
# On a busy machine the performance score moves a lot (CPU contention is multiplied by the simulated 4x
# slowdown): look at the load average and run it more than once.
set -euo pipefail
cd "$(dirname "$0")/.."
URL="${1:-http://127.0.0.1:8000/}"
URL="${URL%/}"
PATHS="${PATHS:-/ /services /feed /feed?view=map /report}"
OUT="${OUT:-/tmp}"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
LIGHTHOUSE=node_modules/.bin/lighthouse
[ -x "$LIGHTHOUSE" ] || { echo "Lighthouse is not installed: run npm ci" >&2; exit 2; }
[ "$("$LIGHTHOUSE" --version)" = "12.2.3" ] || { echo "expected Lighthouse 12.2.3" >&2; exit 2; }
[ -x "$CHROME_PATH" ] || { echo "no Chromium at $CHROME_PATH (apt-get install -y chromium)" >&2; exit 2; }

for path in $PATHS; do
  name="lighthouse$(echo "$path" | tr '/?=&' '____').json"
  if ! "$LIGHTHOUSE" "$URL$path" --quiet --output=json --output-path="$OUT/$name" \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
--disable-background-networking --disable-component-update"; then
    echo "== $path: Lighthouse failed (see above); run again"
    continue
  fi
  python3 - "$OUT/$name" "$path" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
audits = report["audits"]
print(f"== {sys.argv[2]}  (Lighthouse {report['lighthouseVersion']}, {report['configSettings']['formFactor']})")
print("scores: " + ", ".join(f"{k} {v}" for k, v in scores.items()))
for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
            "speed-index", "interactive"):
    print(f"  {key}: {audits[key]['displayValue']}")
rows = {item["resourceType"]: item for item in audits["resource-summary"]["details"]["items"]}
for kind in ("total", "document", "script", "stylesheet", "image", "font", "other"):
    if kind in rows:
        r = rows[kind]
        print(f"  transfer {kind:<10} {r['transferSize'] / 1024:7.1f} KiB in {r['requestCount']} requests")
failed = [k for k, a in audits.items() if a.get("score") is not None and a["score"] < 1
          and a.get("scoreDisplayMode") in ("binary", "metricSavings")
          and k in {r["id"] for c in report["categories"].values() for r in c["auditRefs"]}]
if failed:
    print("  audits not passed: " + ", ".join(sorted(failed)))
PY
done
