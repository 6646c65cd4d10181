#!/bin/sh
# Creates (or updates) the platform's RabbitMQ users, one per process role, and gives each the
# least it needs on the vhost: configure, write and read permissions as regular expressions over
# queue and exchange names (under QUEUE_NAMESPACE, empty in production). Idempotent: run it after
# the broker starts and whenever a password changes. Passwords come from
# RABBITMQ_PASSWORD_<ROLE> (hex: they are embedded in URLs).
#
#   worker    shard pools and global workers: declare and consume their queues, publish tasks
#             (retries, follow-ups) and answer remote control (pidbox)
#   relay     declares the task queues and their bindings, publishes the outbox's events
#   web, sockets, beat
#             publish tasks to the tasks exchange; nothing else
#   live-odds reaches the vhost (health checks) and may do nothing on it
#   provider  declares and consumes its feed queue (provider.<name>) bound to a feed exchange
#             (RABBITMQ_FEED_EXCHANGES, default unifiedfeed)
#
# RABBITMQCTL overrides the command (default: rabbitmqctl, on the broker's node).
set -eu

ctl="${RABBITMQCTL:-rabbitmqctl}"
vhost="${RABBITMQ_VHOST:-/}"
namespace="${QUEUE_NAMESPACE:-}"
case "$namespace" in
    *[!a-z0-9_.-]*) echo "QUEUE_NAMESPACE may hold a-z 0-9 _ . -" >&2; exit 1 ;;
esac
n=$(printf '%s' "$namespace" | sed 's/\./\\./g')
feeds=$(printf '%s' "${RABBITMQ_FEED_EXCHANGES:-unifiedfeed}" | sed 's/\./\\./g; s/,/|/g')

roles="worker relay web sockets beat live-odds provider"
for role in $roles; do
    variable="RABBITMQ_PASSWORD_$(echo "$role" | tr 'a-z-' 'A-Z_')"
    value=$(eval "printf '%s' \"\${$variable:-}\"")
    case "$value" in
        ""|*[!a-zA-Z0-9]*) echo "$variable must be set, letters and digits only" >&2; exit 1 ;;
    esac
done

tasks="${n}tasks"
events="${n}events"
task_queues="${n}global|${n}shard\.[0-9]+"
pidbox="${n}celery\.pidbox|reply\.${n}celery\.pidbox|${n}celeryev"
pidbox_queues=".+@.+\.${n}celery\.pidbox"
feed_queues="${n}provider\..+"
feed_exchanges="${n}(${feeds})"

user() {  # role configure write read
    password=$(eval "printf '%s' \"\${RABBITMQ_PASSWORD_$(echo "$1" | tr 'a-z-' 'A-Z_')}\"")
    if $ctl -q list_users | cut -f1 | grep -qx "$1"; then
        $ctl -q change_password "$1" "$password"
    else
        $ctl -q add_user "$1" "$password"
    fi
    $ctl -q set_permissions -p "$vhost" "$1" "$2" "$3" "$4"
    echo "rabbitmq user $1: configure '$2' write '$3' read '$4'"
}

user worker \
    "^($tasks|$events|$task_queues|$pidbox|$pidbox_queues)\$" \
    "^($tasks|$events|$task_queues|$pidbox|$pidbox_queues)\$" \
    "^($tasks|$events|$task_queues|$pidbox|$pidbox_queues)\$"
user relay "^($tasks|$events|$task_queues)\$" "^($events|$task_queues)\$" "^($tasks|$events)\$"
for role in web sockets beat; do
    user "$role" '^$' "^$tasks\$" '^$'
done
user live-odds '^$' '^$' '^$'
user provider \
    "^($feed_queues|$feed_exchanges)\$" "^($feed_queues)\$" "^($feed_queues|$feed_exchanges)\$"
