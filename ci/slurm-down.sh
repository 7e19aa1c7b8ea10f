#!/usr/bin/env bash
# Stops what ci/slurm-up.sh started, by the daemons' PID files.
set -uo pipefail
state=/var/lib/untied-slurm
for pid in "$state/slurmd.pid" "$state/slurmctld.pid" /run/munge/munged.pid; do
  [ -s "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
done
exit 0
