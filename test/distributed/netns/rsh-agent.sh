#!/bin/sh
# Open MPI's "remote shell" for kindling's multi-host tests: instead of ssh'ing to a host, run the command in the
# network namespace that plays it (mpirun --mca plm_rsh_agent <this file>). Open MPI calls it as
#   rsh-agent.sh [ssh-style options] <host> <command words...>
# and the command is a shell command line, as ssh would run it. KINDLING_NETNS_HOSTS maps hosts to namespaces:
# "10.77.0.2=kd123h1 10.77.0.3=kd123h2". Each namespace also gets its own host name (a UTS namespace), so that
# every "host" looks like a different machine.
while [ $# -gt 0 ]; do
  case "$1" in
    -*) shift ;;
    *) break ;;
  esac
done
host="$1"
shift
ns=""
for pair in $KINDLING_NETNS_HOSTS; do
  if [ "${pair%%=*}" = "$host" ]; then ns="${pair#*=}"; fi
done
if [ -z "$ns" ]; then
  echo "rsh-agent.sh: unknown host '$host' (KINDLING_NETNS_HOSTS='$KINDLING_NETNS_HOSTS')" >&2
  exit 255
fi
exec ip netns exec "$ns" unshare --uts /bin/sh -c "hostname $ns && exec /bin/sh -c \"\$0\"" "$*"
