#!/bin/sh
# Prints the platform Redis's ACL users, one `user` directive a line (redis.conf syntax, for
# `include` or an ACL file), from the environment. Every process role has its own password
# (REDIS_PASSWORD_<ROLE>), reaches only keys and pub/sub channels under REDIS_PREFIX (default
# betting) and may not run a @dangerous command (FLUSHALL, FLUSHDB, CONFIG, KEYS, DEBUG, MONITOR,
# ACL, REPLICAOF, SHUTDOWN, ...). The default user is off: no connection without a password.
# Passwords are embedded in URLs and in this file: keep them hex (`openssl rand -hex 24`).
#
#   web sockets live-odds worker relay beat provider   the platform's process roles
#   replica    a replica's link to the primary (masteruser/masterauth)
#   sentinel   Sentinel's monitoring and failover (sentinel auth-user/auth-pass)
#   probe      no password, PING only (container health checks)
set -eu

prefix="${REDIS_PREFIX:-betting}"
case "$prefix" in
    *[!a-zA-Z0-9_.-]*|"") echo "REDIS_PREFIX may hold letters, digits, _ . -" >&2; exit 1 ;;
esac

roles="web sockets live-odds worker relay beat provider"
for role in $roles replica sentinel; do
    variable="REDIS_PASSWORD_$(echo "$role" | tr 'a-z-' 'A-Z_')"
    value=$(eval "printf '%s' \"\${$variable:-}\"")
    case "$value" in
        ""|*[!a-zA-Z0-9]*) echo "$variable must be set, letters and digits only" >&2; exit 1 ;;
    esac
done

password() {
    eval "printf '%s' \"\${REDIS_PASSWORD_$(echo "$1" | tr 'a-z-' 'A-Z_')}\""
}

echo "user default off resetkeys resetchannels -@all"
for role in $roles; do
    echo "user $role on resetpass >$(password "$role") resetkeys ~$prefix:* resetchannels &$prefix:* -@all +@all -@dangerous"
done
echo "user replica on resetpass >$(password replica) resetkeys resetchannels -@all +psync +replconf +ping"
echo "user sentinel on resetpass >$(password sentinel) resetkeys allchannels -@all +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill"
echo "user probe on nopass resetkeys resetchannels -@all +ping"
