#!/usr/bin/env bash
# corpus_creds.sh CACHE SWANCTL_DIR...: throwaway credentials for strongSwan's
# scenario configurations (scripts/corpus.sh, issue 14).
#
# strongSwan's testbed makes its certificates and keys at build time
# (testing/scripts/build-certs), so the repository's swanctl.conf files name
# files it does not hold.  For each SWANCTL_DIR (an etc/swanctl directory
# holding swanctl.conf and its includes) this reads every *.conf below it and
# writes, where the file is missing, what they name, laid out as swanctl and
# kited read it beside the configuration:
#   - local/remote `certs`: x509/NAME, issued by a throwaway root CA; the
#     subject and subjectAltName are the testbed's (C=CH, O=strongSwan
#     Project, CN=moon.strongswan.org / carol@strongswan.org ...) plus every
#     identity (`id`) given in a section naming the certificate, as the
#     testbed's certificates hold them; a DN identity becomes the subject;
#   - the local certificate's key: in the directory a `secrets` entry names
#     (rsa-x, ecdsa-x, pkcs8-x, private-x { file, secret }), encrypted with its
#     passphrase, else rsa/ ecdsa/ or pkcs8/ (Ed25519, Ed448) as NAMEKey.pem;
#   - `cacerts`: x509ca/NAME (CA:TRUE), and x509ca/strongswanCert.pem (the
#     root) on every host as the testbed has it;
#   - `pubkeys`: pubkey/NAME, the public key of the same name's key;
#   - the testbed host's own x509/<host>Cert.pem and rsa/<host>Key.pem.
# The key type: the section's auth (ecdsa, ed25519, ed448, rsa), else the
# secret's type, else the scenario's name (ecdsa, ed25519, ed448), else RSA.
# One key per name (moonCert.pem and moonKey-aes128.pem share "moon") and per
# type, one certificate per contents, generated once into CACHE and copied.
# pkcs12 containers are not made (kited does not read pkcs12/).
# Needs the openssl command line tool.
set -euo pipefail
CACHE=${1:?usage: corpus_creds.sh CACHE SWANCTL_DIR...}
shift
mkdir -p "$CACHE"
command -v openssl >/dev/null || { echo "corpus_creds.sh: no openssl" >&2; exit 2; }

# every *.conf of the directories: one record a line:
#   DIR cert local|remote NAME AUTH IDS   DIR cacert NAME   DIR pubkey NAME
#   DIR secret TYPE FILE PASSPHRASE
# (fields separated by \037, the identities of IDS by \036)
# (strongSwan's settings syntax: sections `name [: template] {`, `key = value`
# up to the end of the line or a `}`, quoted values, # comments)
parse() {
  awk -v OFS='\037' '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    function unq(s) { s = trim(s); if (s ~ /^".*"$/) s = substr(s, 2, length(s) - 2); return s }
    function open(n) { d++; name[d] = n; auth[d] = ""; ids[d] = ""; certs[d] = ""; cas[d] = ""; pubs[d] = "";
                       file[d] = ""; sec[d] = "" }
    function list(s, what, side,    a, k, i) {
      k = split(s, a, ",")
      for (i = 1; i <= k; i++)
        if (trim(a[i]) != "") {
          if (what == "cert") print dir, "cert", side, unq(a[i]), auth[d], ids[d]
          else print dir, what, unq(a[i])
        }
    }
    function close_(   t) {
      if (d < 1) return
      if (name[d] ~ /^(local|remote)(-.*)?$/) {
        t = name[d]; sub(/-.*/, "", t)
        list(certs[d], "cert", t); list(cas[d], "cacert"); list(pubs[d], "pubkey")
      }
      if (name[d] ~ /^(private|rsa|ecdsa|pkcs8|pkcs12)(-|$)/ && file[d] != "") {
        t = name[d]; sub(/-.*/, "", t)
        print dir, "secret", t, file[d], sec[d]
      }
      d--
    }
    function set(k, v) {
      if (d < 1) return
      if (k == "auth" && auth[d] == "") auth[d] = v
      else if (k == "id") ids[d] = ids[d] (ids[d] == "" ? "" : "\036") v
      else if (k == "certs") certs[d] = v
      else if (k == "cacerts") cas[d] = v
      else if (k == "pubkeys") pubs[d] = v
      else if (k == "file") file[d] = v
      else if (k == "secret") sec[d] = v
    }
    FNR == 1 { d = 0; dir = FILENAME; sub(/\/etc\/swanctl\/.*/, "/etc/swanctl", dir) }
    {
      line = $0; out = ""; q = 0
      for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (c == "\"") q = !q
        if (c == "#" && !q) break
        out = out c
      }
      line = out
      while (line != "") {
        if (match(line, /^[ \t]+/)) { line = substr(line, RLENGTH + 1); continue }
        if (substr(line, 1, 1) == "}") { close_(); line = substr(line, 2); continue }
        if (match(line, /^[^={}"]*\{/)) {
          n = substr(line, 1, RLENGTH - 1); sub(/:.*/, "", n); open(trim(n))
          line = substr(line, RLENGTH + 1); continue
        }
        if (match(line, /^[^={}"]*=/)) {
          k = trim(substr(line, 1, RLENGTH - 1)); line = trim(substr(line, RLENGTH + 1))
          if (substr(line, 1, 1) == "\"" && match(substr(line, 2), /"/)) {
            v = substr(line, 2, RSTART - 1); line = substr(line, RSTART + 2)
          } else if (match(line, /\}/)) {
            v = trim(substr(line, 1, RSTART - 1)); line = substr(line, RSTART)
          } else { v = line; line = "" }
          set(k, v); continue
        }
        break
      }
    }' "$@"
}

# Helpers return in R (no subshell: a run makes a few thousand files on a
# machine that may be busy, and every fork counts).

# the testbed's identity of a host (build-certs' issue_cert)
host_cn() {
  case $1 in
  carol | dave | alice | bob) R="$1@strongswan.org" ;;
  moon | sun | venus | mars | winnetou) R="$1.strongswan.org" ;;
  *) R=$1 ;;
  esac
}
host_ou() {
  case $1 in
  carol | bob) R="OU=Research, " ;;
  dave) R="OU=Accounting, " ;;
  alice) R="OU=Sales, " ;;
  *) R="" ;;
  esac
}

# strongSwan's DN text (C=CH, O=x, CN=y) as openssl's -subj (/C=CH/O=x/CN=y)
subj() {
  sed -E -e 's|/|\\/|g' -e 's/(^|, *)E=/\1emailAddress=/g' -e 's/(^|, *)SN=/\1serialNumber=/g' \
    -e 's/, *([A-Za-z][A-Za-z0-9.]*=)/\/\1/g' -e 's|^|/|' <<<"$1"
}

# an identity as a subjectAltName, or nothing (a DN, %any, wildcards, key ids)
san() {
  local v=$1
  R=""
  case $v in
  *'*'* | %* | @#* | '') ;;
  @@*) R="email:${v#@@}" ;;
  @*) R="DNS:${v#@}" ;;
  fqdn:*) R="DNS:${v#fqdn:}" ;;
  email:* | rfc822:*) R="email:${v#*:}" ;;
  ipv4:* | ipv6:*) R="IP:${v#*:}" ;;
  *=*) ;;
  *) if [[ $v =~ ^[0-9.]+$ || $v =~ ^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$ ]]; then R="IP:$v"
     elif [[ $v == *@* ]]; then R="email:$v"
     else R="DNS:$v"; fi ;;
  esac
}

key_type() { # from an auth value: RSA, EC, ED25519, ED448 or nothing
  case $1 in
  ecdsa*) R=EC ;;
  ed25519*) R=ED25519 ;;
  ed448*) R=ED448 ;;
  rsa*) R=RSA ;;
  *) R="" ;;
  esac
}

key_dir() {
  case $1 in
  RSA) R=rsa ;;
  EC) R=ecdsa ;;
  *) R=pkcs8 ;;
  esac
}

# a name's owner: moonCert-sha224.pem, moonKey-aes128.pem, moonPub.pem -> moon
base_of() {
  local n=${1##*/}
  case $n in
  *Cert*) R=${n%%Cert*} ;;
  *Key*) R=${n%%Key*} ;;
  *Pub*) R=${n%%Pub*} ;;
  *) n=${n%.*}; n=${n%_cert}; R=${n%_key} ;;
  esac
}

# a PEM file of the cache written to OUT (its text kept in memory)
declare -A BODY=()
emit() {
  local src=$1 out=$2
  [ -n "${BODY[$src]:-}" ] || IFS= read -r -d '' "BODY[$src]" <"$src" || true
  [ -d "${out%/*}" ] || mkdir -p "${out%/*}"
  printf '%s' "${BODY[$src]}" >"$out"
}

# CACHE/key-TYPE-BASE.pem, made once: R is its path
cached_key() {
  R="$CACHE/key-$1-$2.pem"
  [ -s "$R" ] && return 0
  case $1 in
  RSA) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$R" 2>/dev/null ;;
  EC) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$R" 2>/dev/null ;;
  *) openssl genpkey -algorithm "$1" -out "$R" 2>/dev/null ;;
  esac
}

root_ca() {
  cached_key RSA strongswan-root
  [ -s "$CACHE/root.pem" ] ||
    openssl req -new -x509 -key "$R" -days 3650 -subj "/C=CH/O=strongSwan Project/CN=strongSwan Root CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$CACHE/root.pem" 2>/dev/null
}

# a certificate, made once per contents: TYPE BASE SUBJECT SANS CA(0/1) OUT
declare -A CERT=()
NCERT=0
cert() {
  local t=$1 b=$2 s=$3 sans=$4 ca=$5 out=$6 f
  f=${CERT["$t|$b|$s|$sans|$ca"]:-}
  if [ -z "$f" ]; then
    NCERT=$((NCERT + 1))
    f="$CACHE/cert-$NCERT.pem"
    cached_key "$t" "$b"
    local ext=(-addext "basicConstraints=critical,CA:FALSE")
    [ "$ca" = 1 ] && ext=(-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign")
    [ -n "$sans" ] && ext+=(-addext "subjectAltName=$sans")
    if ! openssl req -new -x509 -key "$R" -CA "$CACHE/root.pem" -CAkey "$CACHE/key-RSA-strongswan-root.pem" \
      -days 3650 -set_serial "$((NCERT + 1000))" -subj "$(subj "$s")" "${ext[@]}" -out "$f" 2>"$CACHE/err"; then
      echo "corpus_creds.sh: cannot make a certificate for '$s' ($sans): $(head -1 "$CACHE/err")" >&2
      return 0
    fi
    CERT["$t|$b|$s|$sans|$ca"]=$f
  fi
  case $out in
  *.der | *.crt | *.cer) [ -d "${out%/*}" ] || mkdir -p "${out%/*}"
                         openssl x509 -in "$f" -outform der -out "$out" ;;
  *) emit "$f" "$out" ;;
  esac
}

# a local certificate's subject and subjectAltNames: the testbed's for its
# owner, a DN identity as the subject, the other identities as names
leaf_names() {
  local f=$1 ids=$2 id cn
  declare -A seen=()
  host_cn "$f"; cn=$R
  host_ou "$f"; S="C=CH, O=strongSwan Project, ${R}CN=$cn"
  san "$cn"; SANS=$R; seen[$R]=1
  local IFS=$'\036'
  for id in $ids; do
    san "$id"
    if [ -z "$R" ] && [[ $id == *=* && $id != *'*'* && $S == "C=CH, O=strongSwan Project, "* ]]; then
      S=$id
    elif [ -n "$R" ] && [ -z "${seen[$R]:-}" ]; then
      seen[$R]=1; SANS="$SANS,$R"
    fi
  done
}

one_dir() {
  local dir=$1 recs=$2 host test hint kind a b c e f t S SANS
  host=${dir%/etc/swanctl}; host=${host##*/}
  test=${dir%/hosts/*}; test=${test##*/}
  case $test in
  *ecdsa*) hint=EC ;; *ed25519*) hint=ED25519 ;; *ed448*) hint=ED448 ;; *) hint=RSA ;;
  esac
  declare -A type=() ids=() local_=() keyed=() certn=()
  # the key type of each owner: the auth of a section naming its certificate, else its secret's type
  while IFS=$'\037' read -r kind a b c e; do
    case $kind in
    cert) base_of "$b"; f=$R; key_type "$c"
          [ -n "$R" ] && [ -z "${type[$f]:-}" ] && type[$f]=$R
          certn[$b]=1; [ "$a" = local ] && local_[$b]=1
          ids[$b]="${ids[$b]:-}"$'\036'"$e" ;;
    secret) base_of "$b"; f=$R; key_type "$a"
            [ -n "$R" ] && [ -z "${type[$f]:-}" ] && type[$f]=$R ;;
    esac
  done <<<"$recs"
  # passphrase-protected keys where secrets names them
  while IFS=$'\037' read -r kind a b c; do
    [ "$kind" = secret ] && [ "$a" != pkcs12 ] || continue
    base_of "$b"; f=$R; t=${type[$f]:-$hint}; keyed[$f]=1
    [ -e "$dir/$a/$b" ] && continue
    cached_key "$t" "$f"
    if [ -n "$c" ] && [[ $c != 0[xs]* ]]; then
      mkdir -p "$dir/$a"
      KITE_PASS=$c openssl pkey -in "$R" -aes256 -passout env:KITE_PASS -out "$dir/$a/$b"
    else
      emit "$R" "$dir/$a/$b"
    fi
  done <<<"$recs"
  # certificates, and the keys of the local ones
  for b in "${!certn[@]}"; do
    base_of "$b"; f=$R; t=${type[$f]:-$hint}
    if [ -n "${local_[$b]:-}" ] && [ -z "${keyed[$f]:-}" ]; then
      keyed[$f]=1
      key_dir "$t"; a="$dir/$R/${f}Key.pem"
      [ -e "$a" ] || { cached_key "$t" "$f"; emit "$R" "$a"; }
    fi
    [ -e "$dir/x509/$b" ] && continue
    leaf_names "$f" "${ids[$b]}"
    cert "$t" "$f" "$S" "$SANS" 0 "$dir/x509/$b"
  done
  # CA certificates and raw public keys
  while IFS=$'\037' read -r kind a; do
    case $kind in
    cacert) base_of "$a"
            [ -e "$dir/x509ca/$a" ] || [ "$a" = strongswanCert.pem ] ||
              cert RSA "$R" "C=CH, O=strongSwan Project, OU=$R, CN=$R CA" "" 1 "$dir/x509ca/$a" ;;
    pubkey) base_of "$a"; f=$R
            [ -e "$dir/pubkey/$a" ] || { cached_key "${type[$f]:-$hint}" "$f"; mkdir -p "$dir/pubkey"
              openssl pkey -in "$R" -pubout -out "$dir/pubkey/$a"; } ;;
    esac
  done <<<"$recs"
  # what every testbed host has: the root CA, its own certificate and key
  [ -e "$dir/x509ca/strongswanCert.pem" ] || emit "$CACHE/root.pem" "$dir/x509ca/strongswanCert.pem"
  case $host in
  carol | dave | moon | sun | alice | venus | bob)
    if [ ! -e "$dir/x509/${host}Cert.pem" ]; then
      leaf_names "$host" ""
      cert RSA "$host" "$S" "$SANS" 0 "$dir/x509/${host}Cert.pem"
    fi
    [ -n "${keyed[$host]:-}" ] || [ -e "$dir/rsa/${host}Key.pem" ] ||
      { cached_key RSA "$host"; emit "$R" "$dir/rsa/${host}Key.pem"; } ;;
  esac
}

# one awk over every directory's *.conf (and one level below: conf.d/),
# its records kept per directory
root_ca
shopt -s nullglob
declare -A RECS=()
confs=()
dirs=()
for dir in "$@"; do
  dir=${dir%/}
  dirs+=("$dir")
  confs+=("$dir"/*.conf "$dir"/*/*.conf)
done
if [ "${#confs[@]}" -gt 0 ]; then
  while IFS=$'\037' read -r dir rest; do
    RECS[$dir]+="$rest"$'\n'
  done < <(parse "${confs[@]}")
fi
for dir in "${dirs[@]}"; do
  one_dir "$dir" "${RECS[$dir]:-}"
done
