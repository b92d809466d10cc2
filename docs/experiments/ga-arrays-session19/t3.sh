#!/usr/bin/env bash
# Table 3 whole (every method) on this VM, the GA runs resumed from ga/run.sh's records
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
  $T experiment "$@" --executor serial --no-progress >"$G/logs/$name.log" 2>&1
  echo "END $name rc=$? $(date -u +%FT%TZ) wall_s=$(($(date +%s) - t0)) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOG"
}
sweep table3-paper-all table3 --out $G/table3-paper-serial &
sweep table3-fitted-all table3 --env-preset fitted --out $G/table3-fitted-scaled-serial &
wait
