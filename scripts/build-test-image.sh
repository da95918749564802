#!/usr/bin/env bash
# Builds harbormaster/test-http:1, the small local image the runtime tests and the docker
# benchmark run, without any registry: a busybox-static rootfs loaded with `docker import`.
#
# Usage: scripts/build-test-image.sh            (uses DOCKER_HOST like the docker CLI does)
#        BUSYBOX=/path/to/static/busybox scripts/build-test-image.sh
#
# Idempotent: the image carries a label with a hash of this script and of the busybox binary;
# when an image of that name with the same hash exists, nothing is done.
#
# Busybox comes from $BUSYBOX, else /bin/busybox if it is statically linked (Debian's
# busybox-static package), else `apt-get download busybox-static` (nothing is installed).
#
# What the image does (the "test-http protocol"; packages/runtime-process/test/fixtures/test-http.mjs
# implements the same for the process runtime):
#
#   default command  /bin/test-http: an HTTP server on ${POD_IP:-0.0.0.0}:${PORT:-8080}
#                    (host networking: give each container its own POD_IP or PORT); prints
#                    "test-http: listening on ADDR:PORT" when it serves
#   GET /healthz     200 "ok" ... until told to fail, then 404
#   GET /cgi-bin/fail          makes /healthz fail from then on
#   GET /cgi-bin/crash?CODE    the server exits with exit code CODE (default 1)
#   SIGTERM          prints "test-http: SIGTERM, exiting" and exits 0
#   IGNORE_SIGTERM=1 the server ignores SIGTERM (only SIGKILL ends it)
#   HEALTHZ=fail     /healthz fails from the start
#   /bin/sh, sleep and the rest of busybox's applets are there for `command: [sh, -c, ...]`.
set -euo pipefail

IMAGE="${IMAGE:-harbormaster/test-http:1}"
LABEL=io.harbormaster.test-image.hash

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

is_static() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }

busybox="${BUSYBOX:-}"
if [ -z "$busybox" ]; then
  if is_static /bin/busybox; then
    busybox=/bin/busybox
  else
    (cd "$work" && { apt-get download busybox-static >/dev/null 2>&1 || { apt-get update -qq && apt-get download busybox-static; }; })
    dpkg-deb -x "$work"/busybox-static_*.deb "$work/deb"
    busybox="$work/deb/bin/busybox"
  fi
fi
is_static "$busybox" || { echo "build-test-image: $busybox is not a static busybox" >&2; exit 1; }

hash=$( (cat "${BASH_SOURCE[0]}" "$busybox") | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null || true)" = "$hash" ]; then
  echo "build-test-image: $IMAGE is up to date ($hash)"
  exit 0
fi

root="$work/rootfs"
mkdir -p "$root/bin" "$root/tmp" "$root/www/cgi-bin" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

cat >"$root/bin/test-http" <<'EOF'
#!/bin/sh
# test-http: see scripts/build-test-image.sh in the Harbormaster repository.
addr="${POD_IP:-0.0.0.0}:${PORT:-8080}"
www=/tmp/test-http-www
rm -rf "$www" && mkdir -p "$www/cgi-bin" && cp /www/cgi-bin/* "$www/cgi-bin/"
[ "$HEALTHZ" = fail ] || echo ok >"$www/healthz"
echo $$ >/tmp/test-http.pid
if [ "$IGNORE_SIGTERM" = 1 ]; then
  trap '' TERM
else
  trap 'echo "test-http: SIGTERM, exiting"; kill "$httpd" 2>/dev/null; exit 0' TERM
fi
trap 'code=$(cat /tmp/test-http.exit 2>/dev/null); echo "test-http: crashing with exit code ${code:-1}"; kill "$httpd" 2>/dev/null; exit "${code:-1}"' USR1
httpd -f -p "$addr" -h "$www" &
httpd=$!
echo "test-http: listening on $addr"
while :; do
  wait "$httpd"
  code=$?
  kill -0 "$httpd" 2>/dev/null || exit "$code"
done
EOF
cat >"$root/www/cgi-bin/fail" <<'EOF'
#!/bin/sh
rm -f /tmp/test-http-www/healthz
printf 'Content-Type: text/plain\r\n\r\nhealthz fails from now on\n'
EOF
cat >"$root/www/cgi-bin/crash" <<'EOF'
#!/bin/sh
code="${QUERY_STRING:-1}"
echo "$code" >/tmp/test-http.exit
printf 'Content-Type: text/plain\r\n\r\ncrashing with exit code %s\n' "$code"
kill -USR1 "$(cat /tmp/test-http.pid)"
EOF
chmod 755 "$root/bin/test-http" "$root/www/cgi-bin/fail" "$root/www/cgi-bin/crash"

tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
docker import \
  --change 'ENV PATH=/bin' \
  --change 'WORKDIR /' \
  --change 'CMD ["/bin/test-http"]' \
  --change "LABEL $LABEL=$hash" \
  --message "harbormaster test image ($hash)" \
  "$work/rootfs.tar" "$IMAGE" >/dev/null
echo "build-test-image: built $IMAGE ($hash)"
