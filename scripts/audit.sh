#!/usr/bin/env bash
# `make audit`: Slither over contracts/ through our solc stand-in (tools/solc).
#
# Slither lives in .venv-audit, never in .venv: its dependencies (web3, eth-abi, ...) would
# move brownie's exact pins. requirements-audit.txt pins the whole resolved set; it is
# installed only when missing or changed (the stamp file, as the Makefile does for .venv).
#
# Compilation uses crytic-compile's solc-standard-json mode: it sends one standard-json input
# with every file of contracts/ to `tools/solc --standard-json`, a call the stand-in already
# serves. Findings in node_modules/ and contracts/test/ (mocks) are filtered out. The script
# prints every finding by impact and fails when any is High or Medium. docs/security.md
# explains each lower finding.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-audit
STAMP="$VENV/.installed"
REPORT=reports/slither.json

if [[ ! -f "$STAMP" || requirements-audit.txt -nt "$STAMP" ]]; then
  test -x "$VENV/bin/python" || "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check --quiet -r requirements-audit.txt
  touch "$STAMP"
fi

mkdir -p reports
rm -f "$REPORT"
# Slither exits non-zero whenever it finds anything, of any impact; the verdict is ours,
# read from the JSON report below. A failed compilation leaves no report, or one marked failed.
"$VENV/bin/slither" contracts \
  --solc-standard-json \
  --solc tools/solc \
  --solc-remaps "@openzeppelin/=node_modules/@openzeppelin/" \
  --solc-args=--optimize \
  --filter-paths "node_modules|contracts/test" \
  --exclude-dependencies \
  --json "$REPORT" \
  >reports/slither.log 2>&1 || true

"$VENV/bin/python" - "$REPORT" <<'PY'
import collections
import json
import sys
from pathlib import Path

report_path = Path(sys.argv[1])
if not report_path.exists():
    sys.exit("audit: Slither wrote no report; see reports/slither.log")
report = json.loads(report_path.read_text())
if not report.get("success"):
    sys.exit(f"audit: Slither failed: {report.get('error')}; see reports/slither.log")

order = ["High", "Medium", "Low", "Informational", "Optimization"]
findings = report.get("results", {}).get("detectors", [])
by_impact = collections.defaultdict(list)
for finding in findings:
    by_impact[finding["impact"]].append(finding)

for impact in order:
    for finding in by_impact[impact]:
        first_line = finding["description"].strip().splitlines()[0]
        print(f"[{impact}] {finding['check']}: {first_line}")
counts = ", ".join(f"{len(by_impact[impact])} {impact}" for impact in order)
print(f"Slither: {len(findings)} findings ({counts})")
blocking = len(by_impact["High"]) + len(by_impact["Medium"])
if blocking:
    sys.exit(f"audit: {blocking} High/Medium findings; fix them (details in {report_path})")
print("audit: no High or Medium findings; the lower ones are explained in docs/security.md")
PY
