#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for trying the kit's Slurm recipe and for tests/slurm_test.ts:
# Debian's slurm-wlm and munge (installed with apt-get when missing), a munge key and a slurm.conf written to
# a folder of its own, and munged, slurmctld and slurmd started directly as daemons (no systemd). The node is
# this machine (`hostname -s`, its cores and memory); one partition, `local`.
#
#   cluster/slurm/local_cluster.sh up DIR     start it; prints `export SLURM_CONF=DIR/slurm.conf` for the
#                                             client commands (sbatch, squeue, scontrol) and writes the
#                                             daemons' pids, one a line, to DIR/pids
#   cluster/slurm/local_cluster.sh down DIR   stop the daemons listed in DIR/pids, each by its pid
#
# Ports: SLURM_LOCAL_PORT (slurmctld, default 16817) and the next one (slurmd), so a system Slurm on the
# default ports is left alone. Runs as root (apt-get, and slurmd starts jobs as their submitting user).
set -euo pipefail

usage() {
  echo "usage: $0 up|down DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action=$1
dir=$2

# true while a process runs (a zombie that nobody reaps has stopped)
running() {
  [ -r "/proc/$1/stat" ] || return 1
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

stop() {
  local pids=$dir/pids
  [ -f "$pids" ] || return 0
  # the newest first: slurmd, slurmctld, then munged (the others authenticate through it)
  for pid in $(tac "$pids"); do
    if running "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        running "$pid" || break
        sleep 0.1
      done
      if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  done
  rm -f "$pids"
}

if [ "$action" = down ]; then
  stop
  echo "local Slurm cluster in $dir stopped"
  exit 0
fi
[ "$action" = up ] || usage

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 ||
  ! command -v sbatch >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  echo "== installing slurm-wlm and munge (Debian)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >&2
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ -f "$dir/pids" ] && stop # a cluster left running in this folder
trap 'echo "local_cluster: start failed; logs in $dir" >&2; stop' ERR
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 755 "$dir/munge" # the socket must be reachable by the users who submit jobs
: >"$dir/pids"

# munge: a key of its own, and a socket in this folder (slurm.conf's AuthInfo points the daemons and the
# client commands at it)
key=$dir/munge/munge.key
[ -s "$key" ] || head -c 1024 /dev/urandom >"$key"
chmod 400 "$key"
socket=$dir/munge/munge.socket
munged --force --key-file="$key" --socket="$socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
cat "$dir/munge/munged.pid" >>"$dir/pids"

host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
port=${SLURM_LOCAL_PORT:-16817}
conf=$dir/slurm.conf
cat >"$conf" <<EOF
# written by cluster/slurm/local_cluster.sh
ClusterName=omar-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$conf

slurmctld -f "$conf" -i
for _ in $(seq 100); do [ -s "$dir/slurmctld.pid" ] && break; sleep 0.1; done
cat "$dir/slurmctld.pid" >>"$dir/pids"
slurmd -f "$conf" -N "$host"
for _ in $(seq 100); do [ -s "$dir/slurmd.pid" ] && break; sleep 0.1; done
cat "$dir/slurmd.pid" >>"$dir/pids"

# ready when the node takes jobs
for _ in $(seq 120); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  case $state in idle* | mixed* | allocated*) break ;; esac
  sleep 0.5
done
case ${state:-} in
idle* | mixed* | allocated*) ;;
*)
  echo "local_cluster: node $host is \"${state:-unknown}\" after 60 s; logs in $dir/log" >&2
  false
  ;;
esac
trap - ERR
echo "local Slurm cluster up: node $host, $cpus CPUs, partition local; daemons' pids in $dir/pids" >&2
echo "export SLURM_CONF=$conf"
