#!/usr/bin/env bash
# GA runs (SCHRS, HCRAS) of the full evaluation, rerun with the GA on arrays (session 19)
set -uo pipefail
cd /work/sweep
export PYTHONPATH=/work/sweep
T=/work/main/.venv/bin/t2drl
G=ga
LOG=$G/times.log
sweep() {
  local name=$1; shift
  echo "START $name $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOG"
  local t0=$(date +%s)
  $T experiment "$@" --algo schrs --algo hcras --executor serial --no-progress --no-report >"$G/logs/$name.log" 2>&1
  echo "END $name rc=$? $(date -u +%FT%TZ) wall_s=$(($(date +%s) - t0)) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOG"
}
lane1() {
  sweep fig7-paper fig7 --out $G/fig7-paper-default
  sweep fig8-paper fig8 --out $G/fig8-paper-default
}
lane2() {
  sweep fig7-fitted fig7 --env-preset fitted --out $G/fig7-fitted-scaled-default
  sweep table3-paper table3 --out $G/table3-paper-serial
  sweep table3-fitted table3 --env-preset fitted --out $G/table3-fitted-scaled-serial
}
lane1 & lane2 & wait
