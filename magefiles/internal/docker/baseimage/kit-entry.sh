#!/bin/sh
# kit-entry: starts one server of the equiptrack-kit data image in the
# foreground, as PID 1, under its own unprivileged user. An imported image has
# no ENV, CMD or ENTRYPOINT, so every path here is absolute.
#
#   kit-entry postgres [-c name=value ...]   PostgreSQL 15 (TLS on)
#   kit-entry init-template                   (image build) the cluster template
#   kit-entry redis [redis-server args ...]   redis-server, no persistence
#
# Env (postgres): POSTGRES_PASSWORD (required on first start), POSTGRES_DB
# (optional database created on first start), PGDATA (default
# /var/lib/postgresql/data). Env (redis): REDIS_PASSWORD (optional),
# REDIS_DATABASES (default 1024).
set -eu
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

mode="${1:-}"
[ $# -gt 0 ] && shift

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

# init_cluster DIR: a cluster with the kit's settings and no password yet.
# --no-sync halves the time: the server's first checkpoint makes it durable.
init_cluster() {
	mkdir -p "$1"
	chown postgres:postgres "$1"
	chmod 700 "$1"
	# Local (socket) connections are trusted so the kit can `docker exec psql`;
	# every TCP connection needs the scram-sha-256 password.
	as_postgres "$BIN/initdb" --no-sync -D "$1" -U postgres \
		--auth-local=trust --auth-host=scram-sha-256 \
		--encoding=UTF8 --locale=C.UTF-8 >/dev/null
	echo "host all all all scram-sha-256" >>"$1/pg_hba.conf"
	cat >>"$1/postgresql.conf" <<CONF
# equiptrack-kit
listen_addresses = '*'
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
unix_socket_directories = '/var/run/postgresql'
CONF
}

BIN=/usr/lib/postgresql/15/bin
# Made at image build time (init-template) so a container's first start
# copies it instead of running initdb: about 0.5 s instead of 2-5 s.
TEMPLATE=/var/lib/postgresql/template

case "$mode" in
init-template)
	rm -rf "$TEMPLATE"
	init_cluster "$TEMPLATE"
	;;
postgres)
	PGDATA="${PGDATA:-/var/lib/postgresql/data}"
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		if [ -z "${POSTGRES_PASSWORD:-}" ]; then
			echo "kit-entry: POSTGRES_PASSWORD is required to initialise $PGDATA" >&2
			exit 2
		fi
		if [ -s "$TEMPLATE/PG_VERSION" ] && [ -z "$(ls -A "$PGDATA")" ]; then
			cp -a "$TEMPLATE/." "$PGDATA/"
		else
			init_cluster "$PGDATA"
		fi
		# RDS for PostgreSQL 15+ forces SSL: serve TLS with a self-signed
		# certificate made once per data directory (an EC key: instant to
		# make). Plaintext stays allowed, so clients choose with sslmode.
		openssl req -new -x509 -days 3650 -nodes -subj "/CN=equiptrack-kit-postgres" \
			-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-keyout "$PGDATA/server.key" -out "$PGDATA/server.crt" 2>/dev/null
		chown postgres:postgres "$PGDATA/server.key" "$PGDATA/server.crt"
		chmod 600 "$PGDATA/server.key"
		# Single-user mode, statements on stdin: no listening server (so the
		# ready line is logged once, by the real server below) and the
		# password never on a command line. The server stores its SCRAM hash.
		pw="$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")"
		{
			echo "ALTER ROLE postgres PASSWORD '$pw';"
			if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
				echo "CREATE DATABASE \"$POSTGRES_DB\";"
			fi
		} | as_postgres "$BIN/postgres" --single -D "$PGDATA" -c fsync=off postgres >/dev/null
		echo "kit-entry: initialised $PGDATA"
	fi
	exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$BIN/postgres" -D "$PGDATA" "$@"
	;;
redis)
	conf="$(mktemp)"
	{
		echo "bind * -::*"
		echo "port 6379"
		echo "protected-mode no"
		echo "save \"\""
		echo "appendonly no"
		echo "dir /tmp"
		echo "databases ${REDIS_DATABASES:-1024}"
		# In the file, not on the command line, so it never shows in ps.
		if [ -n "${REDIS_PASSWORD:-}" ]; then echo "requirepass \"$REDIS_PASSWORD\""; fi
	} >"$conf"
	chown redis:redis "$conf"
	chmod 600 "$conf"
	exec setpriv --reuid=redis --regid=redis --init-groups -- /usr/bin/redis-server "$conf" "$@"
	;;
*)
	echo "usage: kit-entry postgres|redis [args...]" >&2
	exit 2
	;;
esac
