#!/usr/bin/env bash
# The paper's whole evaluation in full form (issue 17): Figs. 6a, 6b, 7, 8 and Table 3 on the
# paper preset, and Figs. 6a, 6b, 7 and Table 3 on the scaled fitted preset (Fig. 8 sweeps
# capacities that hold every zoo model, so it is refused there). Each sweep resumes from the
# committed run records in docs/experiments/<dir>/runs, and Fig. 8 at C = 20 GB and Fig. 6a at
# L = 5 reuse Fig. 7's U = 10 runs (`rl.experiments.reuse`), so Fig. 7 goes first.
#
#   bash docs/examples/full_evaluation.sh            # every sweep, in order
#   bash docs/examples/full_evaluation.sh fig8-paper # one of them (the names below)
#
# Appends one START and one END line per sweep (UTC, wall seconds, load average) to
# docs/experiments/full-evaluation-times.log; the sweeps' own logs go to runs/full-evaluation/.
set -uo pipefail
cd "$(dirname "$0")/../.."
D=docs/experiments
LOG=$D/full-evaluation-times.log
mkdir -p runs/full-evaluation

SWEEPS=(
  "fig7-paper      fig7   --out $D/fig7-paper-default"
  "fig7-fitted     fig7   --env-preset fitted --out $D/fig7-fitted-scaled-default"
  "table3-paper    table3 --out $D/table3-paper-default"
  "table3-fitted   table3 --env-preset fitted --out $D/table3-fitted-scaled-default"
  "fig8-paper      fig8   --out $D/fig8-paper-default"
  "fig6a-paper     fig6a  --out $D/fig6a-paper-default"
  "fig6a-fitted    fig6a  --env-preset fitted --out $D/fig6a-fitted-scaled-default"
  "fig6b-paper     fig6b  --out $D/fig6b-paper-default"
  "fig6b-fitted    fig6b  --env-preset fitted --out $D/fig6b-fitted-scaled-default"
)

for entry in "${SWEEPS[@]}"; do
  read -r name args <<<"$entry"
  if [ $# -gt 0 ] && [ "$1" != "$name" ]; then continue; fi
  echo "START $name $(date -u +%FT%TZ) cores $(nproc) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOG"
  t0=$(date +%s)
  # shellcheck disable=SC2086  # $args is the sweep's argument list
  t2drl experiment $args --no-progress >"runs/full-evaluation/$name.log" 2>&1
  rc=$?
  echo "END $name rc=$rc $(date -u +%FT%TZ) wall_s=$(($(date +%s) - t0)) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOG"
done
