#!/usr/bin/env bash
# Throwaway one-node Ceph cluster (1 mon, 1 memstore OSD, 1 radosgw) on
# 127.0.0.1, used by the test suite as a real S3 implementation: it checks
# SigV4 signatures, X-Amz-Expires on presigned URLs and the expiry of STS
# session tokens.
#
# Usage:
#   cluster.sh start DIR PORT      wipe DIR, start the cluster, S3 on 127.0.0.1:PORT
#   cluster.sh stop DIR            stop every daemon recorded in DIR
#   cluster.sh set-clock DIR SPEC  restart radosgw only, under libfaketime with
#                                  SPEC (e.g. "+8d", "@2026-12-06 12:00:00")
#   cluster.sh set-clock DIR real  restart radosgw only, on the real clock
#   cluster.sh env DIR             print `export` lines for the S3 endpoint
#
# Everything (config, data, pid files, logs) lives under DIR. Daemons run in
# the background and are stopped by the PIDs recorded in DIR/run.
# Needs the Debian packages installed by install.sh next to this file.
set -euo pipefail

# Fixed credentials: the cluster is local, throwaway and bound to loopback.
S3_UID="sharelinks-test"
S3_ACCESS_KEY="SHARELINKSTESTACCESS"
S3_SECRET_KEY="sharelinks-test-secret-key-not-a-secret0"
ROLE_NAME="sharelinks-test-role"
REGION="us-east-1"
# rgw sts key encrypts the session tokens that AssumeRole hands out; RGW
# requires exactly 16 characters.
STS_KEY="sharelinkststkey"

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

usage() {
    sed -n '8,14p' "$0" >&2
    exit 2
}

# Print the tail of a log file to stderr (used on every failure path).
show_log() {
    local f=$1
    if [[ -f $f ]]; then
        echo "---- last lines of $f ----" >&2
        tail -n 40 "$f" >&2 || true
        echo "----" >&2
    else
        echo "(no log file $f)" >&2
    fi
}

# A free TCP port on 127.0.0.1 (the mon needs one besides the S3 port).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# True if PID is alive AND its command line mentions our config file, so a
# recycled PID that now belongs to some unrelated process is never signalled.
is_ours() {
    local pid=$1 conf=$2
    [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$conf"
}

# True if PID is a live (not zombie) process. Used right after `launch`,
# where the PID is certainly ours but may not have exec'd the daemon yet
# (its command line is still this script's), so is_ours would be wrong.
is_alive() {
    local pid=$1 state
    [[ -n $pid && -r /proc/$pid/stat ]] || return 1
    read -r _ _ state _ <"/proc/$pid/stat" 2>/dev/null || return 1
    [[ $state != Z && $state != X ]]
}

# Stop the daemon whose PID is recorded in DIR/run/NAME.pid.
stop_daemon() {
    local dir=$1 name=$2
    local pidfile="$dir/run/$name.pid" conf="$dir/ceph.conf" pid i
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if is_ours "$pid" "$conf"; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            is_ours "$pid" "$conf" || break
            sleep 0.05
        done
        if is_ours "$pid" "$conf"; then
            kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 40; i++)); do
                is_ours "$pid" "$conf" || break
                sleep 0.05
            done
        fi
    fi
    rm -f "$pidfile"
}

# Start a daemon in the background, in its own session (so a Ctrl-C or the
# end of the calling shell does not reach it), with stdio redirected to a
# file (so a caller that captures our output does not wait for the daemon to
# close the pipe). `setsid` execs in place here, so $! is the daemon's PID.
launch() {
    local dir=$1 name=$2
    shift 2
    setsid "$@" </dev/null >>"$dir/log/$name.out" 2>&1 &
    local pid=$! i
    echo "$pid" >"$dir/run/$name.pid"
    # Return only once the child has exec'd the daemon, so that a recorded
    # PID always shows our config file on its command line (see is_ours).
    for ((i = 0; i < 200; i++)); do
        is_ours "$pid" "$dir/ceph.conf" && return 0
        is_alive "$pid" || return 0
        sleep 0.01
    done
}

ceph_cli() {
    local dir=$1
    shift
    timeout 20 ceph -c "$dir/ceph.conf" --connect-timeout 10 "$@"
}

rgw_admin() {
    local dir=$1
    shift
    timeout 60 radosgw-admin -c "$dir/ceph.conf" "$@"
}

write_conf() {
    local dir=$1 port=$2 mon_port=$3 fsid=$4
    cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.1/32

# Cephx between the daemons is pointless on a throwaway loopback cluster and
# slows start-up; S3 request signatures are checked by radosgw regardless.
auth cluster required = none
auth service required = none
auth client required = none
# With auth none the msgr2 client must be allowed to use crc mode, otherwise
# radosgw insists on "secure" and hangs for rgw_init_timeout (300 s).
ms mon client mode = crc

# A single monitor commits every change after paxos propose interval; the
# 1 s default makes each of the many map updates at start-up slow (~14 s
# start-up instead of ~2 s).
paxos propose interval = 0.01

# One OSD: replicas of 1, pick OSDs (not hosts) as leaves, few PGs, and no
# health noise about it.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon warn on pool no redundancy = false
mon warn on pool no app = false

run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id

[osd]
# Objects live in RAM: fast, nothing to clean on disk, gone when the OSD
# stops (only radosgw is ever restarted, so that is fine).
osd objectstore = memstore
memstore device bytes = 536870912
osd max object name len = 460
osd max object namespace len = 64

[client]
rgw data = $dir/rgw
# Fail fast instead of hanging 5 minutes if the gateway cannot reach RADOS.
rgw init timeout = 60
# tcp_nodelay: without it every response waits on Nagle/delayed ACK, ~44 ms
# per request instead of ~1 ms.
rgw frontends = beast endpoint=127.0.0.1:$port tcp_nodelay=1
rgw sts key = $STS_KEY
# Accept the session tokens that AssumeRole hands out on S3 requests.
rgw s3 auth use sts = true
# Background workers the tests do not need; they only add load.
rgw enable lc threads = false
rgw enable gc threads = false
rgw enable quota threads = false
rgw dynamic resharding = false
EOF
}

wait_for_http() {
    local dir=$1 port=$2 i
    for ((i = 0; i < 600; i++)); do
        if ! is_alive "$(<"$dir/run/rgw.pid")"; then
            echo "cluster.sh: radosgw exited during start-up" >&2
            show_log "$dir/log/client.rgw.a.log"
            show_log "$dir/log/rgw.out"
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            if python3 - "$port" <<'PY' 2>/dev/null; then
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass  # any HTTP answer (e.g. 403 for an anonymous request) will do
PY
                return 0
            fi
        fi
        sleep 0.05
    done
    echo "cluster.sh: radosgw did not answer HTTP on port $port within 30 s" >&2
    show_log "$dir/log/client.rgw.a.log"
    return 1
}

start_rgw() {
    local dir=$1 spec=$2 port
    port=$(<"$dir/port")
    if [[ $spec == real ]]; then
        launch "$dir" rgw radosgw -f -c "$dir/ceph.conf" -n client.rgw.a
    else
        local lib
        lib=$(faketime_lib) || die "libfaketime not found: run install.sh"
        printf '%s\n' "$spec" >"$dir/faketime.rc"
        # FAKETIME_NO_CACHE: read the spec file on every clock call instead
        # of caching it, so the file is the single source of truth.
        # FAKETIME_DONT_FAKE_MONOTONIC: only the wall clock moves (that is
        # what signatures and token expiry use); Ceph's internal timers and
        # heartbeats keep running on the real monotonic clock.
        launch "$dir" rgw env LD_PRELOAD="$lib" \
            FAKETIME_TIMESTAMP_FILE="$dir/faketime.rc" FAKETIME_NO_CACHE=1 \
            FAKETIME_DONT_FAKE_MONOTONIC=1 \
            radosgw -f -c "$dir/ceph.conf" -n client.rgw.a
    fi
    printf '%s\n' "$spec" >"$dir/clock"
    wait_for_http "$dir" "$port"
}

faketime_lib() {
    local f
    for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
        if [[ -f $f ]]; then
            echo "$f"
            return 0
        fi
    done
    return 1
}

cmd_stop() {
    local dir=$1
    [[ -d $dir ]] || return 0
    dir=$(cd "$dir" && pwd)
    # Gateway first (it is a client of the others), then OSD, then mon.
    stop_daemon "$dir" rgw
    stop_daemon "$dir" osd
    stop_daemon "$dir" mon
}

cmd_start() {
    local dir=$1 port=$2
    [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number"
    command -v radosgw >/dev/null || die "radosgw is not installed: run tests/rgw/install.sh"

    # A stale DIR from a crashed run: stop what it recorded, then wipe it.
    # Refuse to wipe a non-empty directory that is not one of ours.
    if [[ -d $dir ]]; then
        if [[ ! -f $dir/ceph.conf && -n $(ls -A "$dir") ]]; then
            die "$dir is not empty and holds no cluster: refusing to wipe it"
        fi
        cmd_stop "$dir"
        rm -rf "$dir"
    fi
    # Something already answering there would pass for our gateway.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port on 127.0.0.1 is already in use"
    fi
    mkdir -p "$dir"/{run,log,mon,osd,rgw}
    dir=$(cd "$dir" && pwd)
    echo "$port" >"$dir/port"

    local fsid mon_port osd_uuid osd_id i
    fsid=$(cat /proc/sys/kernel/random/uuid)
    mon_port=$(free_port)
    write_conf "$dir" "$port" "$mon_port" "$fsid"

    # --- monitor
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" \
        "$dir/monmap" >"$dir/log/mkfs.out" 2>&1 ||
        { show_log "$dir/log/mkfs.out"; die "monmaptool failed"; }
    ceph-mon -c "$dir/ceph.conf" -i a --mkfs --monmap "$dir/monmap" \
        >>"$dir/log/mkfs.out" 2>&1 ||
        { show_log "$dir/log/mkfs.out"; die "ceph-mon --mkfs failed"; }
    launch "$dir" mon ceph-mon -f -c "$dir/ceph.conf" -i a
    if ! ceph_cli "$dir" mon stat >/dev/null 2>>"$dir/log/cli.out"; then
        show_log "$dir/log/mon.a.log"
        show_log "$dir/log/cli.out"
        cmd_stop "$dir"
        die "monitor did not come up"
    fi

    # --- OSD (memstore)
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    osd_id=$(ceph_cli "$dir" osd new "$osd_uuid" 2>>"$dir/log/cli.out") ||
        { show_log "$dir/log/cli.out"; cmd_stop "$dir"; die "osd new failed"; }
    mkdir -p "$dir/osd/ceph-$osd_id"
    if ! ceph-osd -c "$dir/ceph.conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" \
        >>"$dir/log/mkfs.out" 2>&1; then
        show_log "$dir/log/mkfs.out"
        cmd_stop "$dir"
        die "ceph-osd --mkfs failed"
    fi
    launch "$dir" osd ceph-osd -f -c "$dir/ceph.conf" -i "$osd_id"
    for ((i = 0; ; i++)); do
        if ceph_cli "$dir" osd dump 2>/dev/null | grep -q "^osd\.$osd_id up"; then
            break
        fi
        if ((i >= 300)) || ! is_alive "$(<"$dir/run/osd.pid")"; then
            show_log "$dir/log/osd.$osd_id.log"
            show_log "$dir/log/osd.out"
            cmd_stop "$dir"
            die "OSD did not come up"
        fi
        sleep 0.1
    done

    # --- gateway
    if ! start_rgw "$dir" real; then
        cmd_stop "$dir"
        die "radosgw did not come up"
    fi

    # --- S3 user, and a role it may assume with a policy allowing s3:*
    {
        rgw_admin "$dir" user create --uid="$S3_UID" --display-name="sharelinks tests" \
            --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY"
        # AssumeRole is allowed by the role's trust policy naming the user;
        # no user caps are needed for that (caps "roles=*" would only be
        # needed to manage roles through the IAM API).
        rgw_admin "$dir" role create --role-name="$ROLE_NAME" --path=/ \
            --assume-role-policy-doc='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/'"$S3_UID"'"]},"Action":["sts:AssumeRole"]}]}'
        rgw_admin "$dir" role-policy put --role-name="$ROLE_NAME" --policy-name=s3-all \
            --policy-doc='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"*"}]}'
    } >"$dir/log/admin.out" 2>&1 || {
        show_log "$dir/log/admin.out"
        cmd_stop "$dir"
        die "creating the S3 user or role failed"
    }
    local role_arn
    role_arn=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Arn"])' \
        < <(rgw_admin "$dir" role get --role-name="$ROLE_NAME" 2>>"$dir/log/admin.out")) || {
        show_log "$dir/log/admin.out"
        cmd_stop "$dir"
        die "reading the role ARN failed"
    }

    cat >"$dir/env" <<EOF
export RGW_ENDPOINT_URL=http://127.0.0.1:$port
export RGW_ACCESS_KEY_ID=$S3_ACCESS_KEY
export RGW_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export RGW_ROLE_ARN=$role_arn
export RGW_REGION=$REGION
EOF
}

cmd_set_clock() {
    local dir=$1 spec=$2
    [[ -f $dir/ceph.conf && -f $dir/port ]] || die "no cluster in $dir"
    [[ -n $spec ]] || die "empty clock spec"
    dir=$(cd "$dir" && pwd)
    stop_daemon "$dir" rgw
    start_rgw "$dir" "$spec" || die "radosgw did not come back (clock $spec)"
}

cmd_env() {
    local dir=$1
    [[ -f $dir/env ]] || die "no started cluster in $dir"
    cat "$dir/env"
}

main() {
    (($# >= 2)) || usage
    local cmd=$1
    shift
    case $cmd in
    start) (($# == 2)) || usage; cmd_start "$1" "$2" ;;
    stop) (($# == 1)) || usage; cmd_stop "$1" ;;
    set-clock) (($# == 2)) || usage; cmd_set_clock "$1" "$2" ;;
    env) (($# == 1)) || usage; cmd_env "$1" ;;
    *) usage ;;
    esac
}

main "$@"
