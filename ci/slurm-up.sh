#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine for the integration tests
# (repro/cmd/untied's TestSlurm*): installs Debian's slurm-wlm and munge when
# missing, writes a slurm.conf of its own, starts munged (as the munge user),
# slurmctld and slurmd (as root daemons, no systemd), and waits until sinfo
# shows the node idle. ci/slurm-down.sh stops them. Root only; without root
# it says so and exits 0, and the Slurm tests skip.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "slurm-up: not root; the Slurm integration tests will skip" >&2
  exit 0
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
state=/var/lib/untied-slurm
conf=/etc/slurm/slurm.conf
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2/1024*0.9)}' /proc/meminfo)
mkdir -p /etc/slurm "$state/ctld" "$state/d" /run/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
cat >"$conf" <<CONF
ClusterName=untied
SlurmctldHost=$host
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmUser=root
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
MpiDefault=none
SchedulerParameters=batch_sched_delay=1
MinJobAge=600
# A requeued job may start again once its old credential expires (120 s by
# default): short, so that the preemption test need not wait two minutes.
AuthInfo=cred_expire=10
KillWait=10
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
# alive NAME: a process NAME runs (not a zombie left by an earlier shell).
alive() { pgrep -x "$1" -r R,S,D,I,T >/dev/null; }
alive munged || runuser -u munge -- /usr/sbin/munged
alive slurmctld || /usr/sbin/slurmctld
alive slurmd || /usr/sbin/slurmd
for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
    echo "slurm-up: node $host idle ($cpus CPUs, $mem MB)"
    exit 0
  fi
  sleep 1
done
echo "slurm-up: the node did not become idle in 60 s:" >&2
sinfo >&2 || true
tail -n 20 "$state/slurmctld.log" "$state/slurmd.log" >&2 || true
exit 1
