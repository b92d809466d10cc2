#!/usr/bin/env bash
# Session 19: every GA run (SCHRS, HCRAS) of the full evaluation redone with the GA on arrays,
# then Table 3 whole on both presets (its GA runs resumed from the first phase). Two lanes on
# the 2 cores, each sweep in-process. Session 19 ran it from a clone into a scratch folder
# (ga/, with ga/table3-*-serial for Table 3); its records are this folder's and
# docs/experiments/table3-{paper,fitted-scaled}-default's. Point EXPERIMENTS_DIR at an empty
# folder to redo it; without it every sweep resumes from the committed records.
#
#   bash docs/experiments/ga-arrays-session19/run.sh ga       # the GA runs
#   bash docs/experiments/ga-arrays-session19/run.sh table3   # then Table 3 whole
set -uo pipefail
cd "$(dirname "$0")/../../.."
D=${EXPERIMENTS_DIR:-docs/experiments}
G=$D/ga-arrays-session19
LOG=$G/times.log
mkdir -p "$G/logs"

sweep() {
  local name=$1
  shift
  echo "START $name $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOG"
  local t0
  t0=$(date +%s)
  t2drl experiment "$@" --executor serial --no-progress >"$G/logs/$name.log" 2>&1
  echo "END $name rc=$? $(date -u +%FT%TZ) wall_s=$(($(date +%s) - t0)) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOG"
}

GA=(--algo schrs --algo hcras --no-report)
ga_lane1() {
  sweep fig7-paper fig7 "${GA[@]}" --out "$G/fig7-paper-default"
  sweep fig8-paper fig8 "${GA[@]}" --out "$G/fig8-paper-default"
}
ga_lane2() {
  sweep fig7-fitted fig7 --env-preset fitted "${GA[@]}" --out "$G/fig7-fitted-scaled-default"
  sweep table3-paper table3 "${GA[@]}" --out "$D/table3-paper-default"
  sweep table3-fitted table3 --env-preset fitted "${GA[@]}" --out "$D/table3-fitted-scaled-default"
}

case "${1:-}" in
  ga) ga_lane1 & ga_lane2 & wait ;;
  table3)
    sweep table3-paper-all table3 --out "$D/table3-paper-default" &
    sweep table3-fitted-all table3 --env-preset fitted --out "$D/table3-fitted-scaled-default" &
    wait ;;
  *) echo "usage: $0 ga|table3" >&2; exit 2 ;;
esac
