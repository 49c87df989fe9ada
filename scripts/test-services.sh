#!/usr/bin/env bash
# Starts a throwaway MariaDB and Redis on loopback for the MySQL and Redis test suites, and prints
# the variables that switch those suites on. Usage: scripts/test-services.sh start|stop [dir]
set -euo pipefail
cmd=${1:-start}
DIR=${2:-${KEYGATE_SERVICES_DIR:-/tmp/keygate-test-services}}
MYSQL_PORT=${KEYGATE_TEST_MYSQL_PORT:-3307}
REDIS_PORT=${KEYGATE_TEST_REDIS_PORT:-6380}

stop() {
  for f in "$DIR/mariadb.pid" "$DIR/redis.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    { [ -f "$DIR/mariadb.pid" ] && kill -0 "$(cat "$DIR/mariadb.pid")" 2>/dev/null; } || break
    sleep 0.2
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi

mkdir -p "$DIR"
if ! { [ -f "$DIR/mariadb.pid" ] && kill -0 "$(cat "$DIR/mariadb.pid")" 2>/dev/null; }; then
  rm -rf "$DIR/mysql"
  mariadb-install-db --user=root --datadir="$DIR/mysql" --auth-root-authentication-method=socket >"$DIR/mariadb-install.log" 2>&1
  mariadbd --user=root --datadir="$DIR/mysql" --bind-address=127.0.0.1 --port="$MYSQL_PORT" \
    --socket="$DIR/mysql.sock" --pid-file="$DIR/mariadb.pid" --skip-log-bin --innodb-flush-log-at-trx-commit=2 \
    --max-connections=500 >"$DIR/mariadb.log" 2>&1 &
  for _ in $(seq 1 100); do
    mariadb -S "$DIR/mysql.sock" -u root -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.2
  done
  mariadb -S "$DIR/mysql.sock" -u root <<'SQL'
CREATE DATABASE IF NOT EXISTS keygate_test;
CREATE USER IF NOT EXISTS 'keygate'@'127.0.0.1' IDENTIFIED BY 'keygate';
GRANT ALL PRIVILEGES ON *.* TO 'keygate'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
fi
if ! { [ -f "$DIR/redis.pid" ] && kill -0 "$(cat "$DIR/redis.pid")" 2>/dev/null; }; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
    --pidfile "$DIR/redis.pid" --daemonize yes --logfile "$DIR/redis.log"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
echo "export KEYGATE_TEST_MYSQL_URL=mysql://keygate:keygate@127.0.0.1:$MYSQL_PORT/keygate_test"
echo "export KEYGATE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/15"
