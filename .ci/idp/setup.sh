#!/usr/bin/env bash
# Installs, configures and starts the identity provider the SSO tests sign
# in through: LemonLDAP::NG (Debian's lemonldap-ng) as CAS 3.0 server,
# SAML 2.0 identity provider and OpenID Connect provider, behind its own
# nginx on loopback. Idempotent: run it again and it only (re)starts what
# is stopped and reloads what changed.
#
#   .ci/idp/setup.sh            # portal on http://127.0.0.1:8099/
#
# Settings (environment): SILLAGE_IDP_PORT (8099), SILLAGE_IDP_SP_BASE (the
# Sillage the tests run, http://127.0.0.1:8098), SILLAGE_IDP_STATE (the
# instance's folder, /var/lib/sillage-idp). The test side is
# internal/sso/idptest; keep its constants in step with users.sql.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
port="${SILLAGE_IDP_PORT:-8099}"
sp="${SILLAGE_IDP_SP_BASE:-http://127.0.0.1:8098}"
state="${SILLAGE_IDP_STATE:-/var/lib/sillage-idp}"
portal="http://127.0.0.1:${port}/"
run_user=www-data

fail() {
  echo "idp: FAILED: $*" >&2
  for f in "$state/log/nginx-error.log" "$state/log/llng.log"; do
    if [ -s "$f" ]; then echo "--- last lines of $f" >&2; tail -n 30 "$f" >&2; fi
  done
  exit 1
}
say() { echo "idp: $*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Packages (skipped when everything is there).
pkgs=(lemonldap-ng-fastcgi-server liblemonldap-ng-portal-perl liblemonldap-ng-manager-perl
      liblasso-perl libdbi-perl libdbd-sqlite3-perl libcrypt-openssl-rsa-perl
      libcrypt-openssl-x509-perl libcrypt-openssl-bignum-perl libgd-securityimage-perl libimage-magick-perl
      libxml-simple-perl libio-string-perl libstring-random-perl
      libhttp-parser-xs-perl nginx-light openssl curl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  as_root apt-get update -qq || fail "apt-get update"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >"/tmp/sillage-idp-apt.log" 2>&1 \
    || { tail -n 30 /tmp/sillage-idp-apt.log >&2; fail "apt-get install ${missing[*]}"; }
  # The packages' own services (system nginx on port 80, the system-wide
  # FastCGI server) are not ours: we run our own instances below.
fi

# 2. The instance's folder.
as_root mkdir -p "$state"/{conf,keys,log,run,cache,sessions/lock,psessions/lock,nginx-tmp}
as_root chown -R "$run_user:$run_user" "$state"/{conf,log,run,cache,sessions,psessions,nginx-tmp}
as_root chmod 0750 "$state"/keys

# 3. Keys, made once: the SAML signing key and certificate, the OIDC key.
if [ ! -s "$state/keys/saml.crt" ]; then
  say "making the SAML signing key"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Sillage CI IdP SAML" \
    -keyout "$state/keys/saml.key" -out "$state/keys/saml.crt" 2>/dev/null || fail "openssl (SAML key)"
fi
if [ ! -s "$state/keys/oidc.pub" ]; then
  say "making the OpenID Connect signing key"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$state/keys/oidc.key" 2>/dev/null \
    || fail "openssl (OIDC key)"
  openssl pkey -in "$state/keys/oidc.key" -pubout -out "$state/keys/oidc.pub" 2>/dev/null || fail "openssl (OIDC public key)"
fi

# Sillage's SAML key pair for the tests (a throwaway, readable: the tests
# give it to Sillage, and the IdP checks the requests it signs with it).
as_root mkdir -p "$state/sp"
if [ ! -s "$state/sp/sp.crt" ]; then
  say "making the test service provider's key pair"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Sillage CI SP" \
    -keyout "$state/sp/sp.key" -out "$state/sp/sp.crt" 2>/dev/null || fail "openssl (SP key)"
  chmod 0644 "$state/sp/sp.key" "$state/sp/sp.crt"
fi
sp_cert="$(grep -v -- '-----' "$state/sp/sp.crt" | tr -d '\n')"

# 4. Users: an SQLite base made from users.sql, remade when the file
#    changes (the portal keeps its connection: it is restarted then). Values
#    are stored as UTF-8 bytes, which is what the portal expects.
users_changed=0
if ! cmp -s "$here/users.sql" "$state/users.sql"; then
  perl -MDBI -e '
    my ($db, $sql) = @ARGV;
    open my $fh, "<", $sql or die "$sql: $!";
    my $text = do { local $/; <$fh> };
    $text =~ s/--[^\n]*//g;
    unlink "$db.new";
    my $dbh = DBI->connect("dbi:SQLite:dbname=$db.new", "", "", { RaiseError => 1 });
    $dbh->do($_) for grep { /\S/ } split /;\s*\n/, $text;
    $dbh->disconnect;
    rename "$db.new", $db or die "rename: $!";
  ' "$state/users.db" "$here/users.sql" || fail "users base"
  chown "$run_user:$run_user" "$state/users.db"
  cp "$here/users.sql" "$state/users.sql"
  users_changed=1
fi

# 5. Sillage as SAML service provider: its entity id, endpoints and the
#    test key pair above. The IdP checks the signature of its requests and
#    signs its responses and assertions.
#    Two entities: lemon-saml (signed assertions) and lemon-saml-chiffre
#    (signed, then encrypted for Sillage's certificate, as EduConnect does).
for id in lemon-saml lemon-saml-chiffre; do
  cat >"$state/sp-metadata-$id.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${sp}/sso/saml/${id}/metadata">
  <md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${sp_cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${sp_cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${sp}/sso/saml/${id}/acs" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
XML
done
rm -f "$state/sp-metadata.xml"

# 6. LemonLDAP::NG's configuration (lmConf) and its ini file.
perl "$here/lmconf.pl" "$state" "$portal" "$sp" >"$state/conf/lmConf-1.json.new" || fail "lmconf.pl"
changed=0
if ! cmp -s "$state/conf/lmConf-1.json.new" "$state/conf/lmConf-1.json"; then
  mv "$state/conf/lmConf-1.json.new" "$state/conf/lmConf-1.json"
  rm -rf "${state:?}/cache/"*
  changed=1
else
  rm -f "$state/conf/lmConf-1.json.new"
fi
chown -R "$run_user:$run_user" "$state/conf"
cat >"$state/lemonldap-ng.ini" <<INI
[all]
logLevel = warn
checkTime = 1
[configuration]
type = File
dirName = $state/conf
localStorage = Cache::FileCache
localStorageOptions = { 'namespace' => 'lemonldap-ng-config', 'default_expires_in' => 600, 'directory_umask' => '007', 'cache_root' => '$state/cache', 'cache_depth' => 3 }
[portal]
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/portal/templates
languages = fr, en
[handler]
status = 0
useRedirectOnError = 1
INI

# 7. nginx, our own instance on loopback (the system's is left alone).
cat >"$state/nginx.conf" <<NGINX
worker_processes 1;
pid $state/run/nginx.pid;
error_log $state/log/nginx-error.log warn;
user $run_user;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $state/nginx-tmp/body;
  fastcgi_temp_path $state/nginx-tmp/fastcgi;
  proxy_temp_path $state/nginx-tmp/proxy;
  uwsgi_temp_path $state/nginx-tmp/uwsgi;
  scgi_temp_path $state/nginx-tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    server_name 127.0.0.1;
    root /usr/share/lemonldap-ng/portal/htdocs/;
    if (\$uri !~ ^/((static|javascript|favicon).*|.*\.psgi)) {
      rewrite ^/(.*)\$ /index.psgi/\$1 break;
    }
    location ~ ^(?<sc>/.*\.psgi)(?:\$|/) {
      include /etc/nginx/fastcgi_params;
      fastcgi_pass unix:$state/run/llng.sock;
      fastcgi_param HTTP_HOST \$http_host;
      fastcgi_param LLTYPE psgi;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_split_path_info ^(.*\.psgi)(/.*)\$;
      fastcgi_param PATH_INFO \$fastcgi_path_info;
    }
    location /static/ { alias /usr/share/lemonldap-ng/portal/htdocs/static/; }
    location /javascript/ { alias /usr/share/javascript/; }
  }
}
NGINX
nginx -t -q -c "$state/nginx.conf" 2>"$state/log/nginx-test.log" || { cat "$state/log/nginx-test.log" >&2; fail "nginx configuration"; }

# alive PIDFILE NAME: the process of the pid file runs and is NAME (a pid
# file left by a machine that stopped may name another process since).
alive() {
  local pid
  [ -s "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null)" || return 1
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

# 8. The FastCGI server (portal), restarted when the configuration changed.
if alive "$state/run/llng.pid" llng-fastcgi-server && [ "$changed$users_changed" != 00 ]; then
  say "configuration or users changed: restarting the portal"
  kill "$(cat "$state/run/llng.pid" 2>/dev/null)" 2>/dev/null || true
  for _ in $(seq 1 50); do alive "$state/run/llng.pid" llng-fastcgi-server || break; sleep 0.1; done
fi
if ! alive "$state/run/llng.pid" llng-fastcgi-server; then
  say "starting the LemonLDAP::NG portal"
  rm -f "$state/run/llng.sock" "$state/run/llng.pid"
  # In the foreground of a session of its own, so that its log goes to a
  # file (daemonized, it would send it nowhere) and it outlives this script.
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LLNG_DEFAULTCONFFILE="$state/lemonldap-ng.ini" \
    LLNG_DEFAULTLOGGER=Lemonldap::NG::Common::Logger::Std \
    setsid /usr/sbin/llng-fastcgi-server --foreground -u "$run_user" -g "$run_user" -n 2 \
      -s "$state/run/llng.sock" -p "$state/run/llng.pid" </dev/null >>"$state/log/llng.log" 2>&1 &
  for _ in $(seq 1 100); do [ -S "$state/run/llng.sock" ] && break; sleep 0.1; done
  [ -S "$state/run/llng.sock" ] || fail "llng-fastcgi-server did not start: no socket at $state/run/llng.sock"
fi

# 9. nginx: started if stopped, reloaded otherwise (its file may have changed).
if alive "$state/run/nginx.pid" nginx; then
  nginx -q -c "$state/nginx.conf" -s reload 2>>"$state/log/nginx-error.log" || fail "nginx reload"
else
  say "starting nginx on 127.0.0.1:$port"
  nginx -c "$state/nginx.conf" || fail "nginx did not start"
fi

# 10. Ready when the three protocols answer.
check() {
  local what="$1" url="$2" expect="$3" body
  for _ in $(seq 1 100); do
    body="$(curl -fsS --max-time 5 "$url" 2>/dev/null || true)"
    if printf '%s' "$body" | grep -q -- "$expect"; then return 0; fi
    sleep 0.2
  done
  fail "$what: $url does not answer with '$expect'"
}
check "OpenID Connect discovery" "${portal}.well-known/openid-configuration" '"issuer":"http://127.0.0.1:'"$port"'"'
check "SAML metadata" "${portal}saml/metadata" 'IDPSSODescriptor'
check "CAS login page" "${portal}cas/login?service=$(printf '%s' "$sp/sso/cas/lemon-cas/callback" | sed 's#:#%3A#g; s#/#%2F#g')" 'name="user"'
say "ready on $portal (CAS ${portal}cas, SAML ${portal}saml/metadata, OIDC ${portal}.well-known/openid-configuration)"
