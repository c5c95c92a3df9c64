#!/bin/sh
# mkcerts.sh DIR [EXTRA_SAN...]
#
# Throwaway test PKI for the ismsd HTTPS fakes (openssl CLI only). Creates in DIR:
#   ca.pem ca.key              test CA (EC P-256)
#   server.pem server.key      server cert signed by the test CA,
#                              SAN IP:127.0.0.1, DNS:localhost (+ EXTRA_SAN, e.g.
#                              DNS:ssm.us-east-1.amazonaws.com for CURLOPT_RESOLVE tests)
#   server.pin                 curl pin of server.pem's public key: sha256//<base64>
#   wronghost.pem wronghost.key  cert from the test CA for DNS:wrong-host.invalid only
#   other-ca.pem               a second, unrelated CA (its key is not kept)
#   untrusted.pem untrusted.key  server cert (127.0.0.1/localhost) signed by other-ca
#   sa.key sa.pub.pem          RSA 2048 service-account key (PKCS#8) + public key
#   gcp-sa.json                Google service-account key file for sa.key; its
#                              token_uri is the placeholder https://127.0.0.1:PORT/token:
#                              replace PORT (e.g. sed s/:PORT/:$port/) once the fake runs.
# File names are fixed; keys are new on every run. Takes well under 2 s.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [EXTRA_SAN...]" >&2
    exit 2
fi
dir=$1
shift
extra_san=""
for san in "$@"; do
    extra_san="$extra_san,$san"
done

mkdir -p "$dir"
cd "$dir"
umask 077

ec_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# ca_cert KEY CERT CN
ca_cert() {
    openssl req -new -x509 -key "$1" -out "$2" -days 3650 -sha256 -subj "/CN=$3" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash"
}

# leaf_cert NAME CA_CERT CA_KEY SERIAL SAN
leaf_cert() {
    ec_key "$1.key"
    openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=ismsd fake $1"
    cat > "$1.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$5
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
    openssl x509 -req -in "$1.csr" -CA "$2" -CAkey "$3" -set_serial "$4" -days 825 \
        -sha256 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

ec_key ca.key
ca_cert ca.key ca.pem "ismsd test CA"
leaf_cert server ca.pem ca.key 1001 "IP:127.0.0.1,DNS:localhost$extra_san"
leaf_cert wronghost ca.pem ca.key 1002 "DNS:wrong-host.invalid"

ec_key other-ca.key
ca_cert other-ca.key other-ca.pem "ismsd other (untrusted) CA"
leaf_cert untrusted other-ca.pem other-ca.key 2001 "IP:127.0.0.1,DNS:localhost"
rm -f other-ca.key

openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der \
    | openssl dgst -sha256 -binary | openssl enc -base64 -A | sed 's|^|sha256//|' > server.pin
echo >> server.pin

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
openssl pkey -in sa.key -pubout -out sa.pub.pem
key_id=$(openssl pkey -in sa.key -pubout -outform der | openssl dgst -sha1 -r | cut -d' ' -f1)
pem_json=$(awk '{printf "%s\\n", $0}' sa.key)
email="ismsd-collector@ismsd-test-project.iam.gserviceaccount.com"
cat > gcp-sa.json <<JSON
{
  "type": "service_account",
  "project_id": "ismsd-test-project",
  "private_key_id": "$key_id",
  "private_key": "$pem_json",
  "client_email": "$email",
  "client_id": "100000000000000000001",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "https://127.0.0.1:PORT/token",
  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/ismsd-collector%40ismsd-test-project.iam.gserviceaccount.com",
  "universe_domain": "googleapis.com"
}
JSON
