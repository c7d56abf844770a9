#!/bin/sh
# The weekly template check of CI: exit 1 only when the mlscaffold template has a newer version
# (run `mlscaffold update`). When mlscaffold cannot be installed, or cannot read the template,
# print a GitHub warning saying how to fix it and exit 0: the check never fails for those.
#
# MLSCAFFOLD_SOURCE (a repository variable) or else MLSCAFFOLD_RECORDED_SOURCE (recorded when the
# project was generated) names the pip requirement to install mlscaffold from; UVX the uvx to use.
set -u
requirement="${MLSCAFFOLD_SOURCE:-${MLSCAFFOLD_RECORDED_SOURCE:-}}"
uvx="${UVX:-uvx}"
fix="set the repository variable MLSCAFFOLD_SOURCE (Settings > Secrets and variables > Actions > Variables) to a pip requirement that installs mlscaffold, e.g. git+https://github.com/OWNER/mlscaffold"
out="$(mktemp)"
err="$(mktemp)"
trap 'rm -f "$out" "$err"' EXIT

if [ -z "$requirement" ]; then
  echo "::warning title=Template check skipped::no source to install mlscaffold from: $fix"
  exit 0
fi
if ! "$uvx" --from "$requirement" mlscaffold --version >"$out" 2>"$err"; then
  why="$(tail -n 1 "$err")"
  echo "::warning title=Template check skipped::cannot install mlscaffold from '$requirement' ($why): $fix"
  exit 0
fi
"$uvx" --from "$requirement" mlscaffold check --json >"$out" 2>"$err"
status=$?
cat "$out"
if grep -q '"state": "behind"' "$out"; then
  echo "::error title=Template behind::a newer template version exists: run \`mlscaffold update\` (or enable update pull requests)"
  exit 1
fi
if [ "$status" -ne 0 ]; then
  why="$(tail -n 1 "$err")"
  echo "::warning title=Template check skipped::mlscaffold could not check the template: $why"
fi
exit 0
