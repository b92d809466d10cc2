#!/usr/bin/env bash
# The paper's whole evaluation in full form (issue 17): Figs. 6a, 6b, 7, 8 and Table 3 on the
# paper preset, and Figs. 6a, 6b, 7 and Table 3 on the scaled fitted preset (Fig. 8 sweeps
# capacities that hold every zoo model, so it is refused there). Each sweep resumes from the
# committed run records in docs/experiments/<dir>/runs, and Fig. 8 at C = 20 GB and Fig. 6a at
# L = 5 reuse Fig. 7's U = 10 runs (`rl.experiments.reuse`), and Table 3's oracle reads the P3
# tables Fig. 7's oracle wrote ($D/p3-tables, `rl.oracle.store`), so Fig. 7 goes first in each lane.
#
# Two lanes side by side on two cores; each runs its sweeps one after the other in-process
# (`--executor serial`: one core, the largest packs, no idle core at the end of a sweep while
# the other one's last task finishes). `both` balances the lanes by the sweeps' measured cost
# (one lane per preset leaves the fitted one idle for the last ~50 min): Fig. 6b on `paper`
# moves to the fitted lane and waits there until Fig. 7 on `paper` has ended.
#
#   bash docs/examples/full_evaluation.sh            # both lanes, balanced
#   bash docs/examples/full_evaluation.sh paper      # one preset on one lane (paper or fitted)
#
# Appends one START and one END line per sweep (UTC, wall seconds, load average) to
# docs/experiments/full-evaluation-times.log; the sweeps' own logs go to runs/full-evaluation/.
set -uo pipefail
cd "$(dirname "$0")/../.."
D=${EXPERIMENTS_DIR:-docs/experiments}  # a clone can write into the working tree it was cloned from
LOG=$D/full-evaluation-times.log
mkdir -p runs/full-evaluation

sweep() {
  local name=$1
  shift
  echo "START $name $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOG"
  local t0
  t0=$(date +%s)
  t2drl experiment "$@" --executor serial --no-progress >"runs/full-evaluation/$name.log" 2>&1
  local rc=$?
  echo "END $name rc=$rc $(date -u +%FT%TZ) wall_s=$(($(date +%s) - t0)) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOG"
}

paper() {
  sweep fig7-paper fig7 --out $D/fig7-paper-default
  sweep table3-paper table3 --out $D/table3-paper-default
  sweep fig8-paper fig8 --out $D/fig8-paper-default
  sweep fig6a-paper fig6a --out $D/fig6a-paper-default
  sweep fig6b-paper fig6b --out $D/fig6b-paper-default
}

fitted() {
  sweep fig7-fitted fig7 --env-preset fitted --out $D/fig7-fitted-scaled-default
  sweep fig6a-fitted fig6a --env-preset fitted --out $D/fig6a-fitted-scaled-default
  sweep fig6b-fitted fig6b --env-preset fitted --out $D/fig6b-fitted-scaled-default
  sweep table3-fitted table3 --env-preset fitted --out $D/table3-fitted-scaled-default
}

ended() { grep -q "^END $1 " "$LOG" 2>/dev/null; }

lane1() {
  sweep fig7-paper fig7 --out $D/fig7-paper-default
  sweep table3-paper table3 --out $D/table3-paper-default
  sweep fig8-paper fig8 --out $D/fig8-paper-default
  sweep fig6a-paper fig6a --out $D/fig6a-paper-default
}

lane2() {
  sweep fig7-fitted fig7 --env-preset fitted --out $D/fig7-fitted-scaled-default
  sweep fig6a-fitted fig6a --env-preset fitted --out $D/fig6a-fitted-scaled-default
  sweep fig6b-fitted fig6b --env-preset fitted --out $D/fig6b-fitted-scaled-default
  sweep table3-fitted table3 --env-preset fitted --out $D/table3-fitted-scaled-default
  until ended fig7-paper; do sleep 30; done  # Fig. 6b reuses Fig. 7's U = 10 baselines
  sweep fig6b-paper fig6b --out $D/fig6b-paper-default
}

case "${1:-both}" in
  paper) paper ;;
  fitted) fitted ;;
  both) lane1 & lane2 & wait ;;
  *) echo "usage: $0 [paper|fitted|both]" >&2; exit 2 ;;
esac
