#!/usr/bin/env bash
# Installs the IMAP and SMTP servers the tests run besides Dovecot and Postfix:
# Cyrus IMAP 3.6, Courier-IMAP 5.0 and Exim 4.96, as Debian 12 packages them.
#
# cyrus-imapd and courier-imap declare "Conflicts: imap-server" (dovecot-imapd
# provides it) and Exim's config package conflicts with postfix, so they cannot
# be installed beside the Dovecot/Postfix stack. What can be installed is (their
# libraries, tools and users); the conflicting packages are downloaded and
# unpacked into $TMAIL_TEST_SERVERS_DIR (default /opt/tmail-test-servers), and
# the harness (test/support/other-servers.ts) runs their binaries from there.
#
# Run as root. Idempotent: a second run with everything in place does nothing.
# The harness runs it by itself when the servers are missing and it is root.
set -euo pipefail

dir="${TMAIL_TEST_SERVERS_DIR:-/opt/tmail-test-servers}"
# Installed with apt (no conflicts): Cyrus's master, lmtpd and tools; SASL's
# saslpasswd2; Courier's authdaemon, userdb, couriertcpd and maildir tools; the
# libraries exim4 links against.
apt_packages=(cyrus-common sasl2-bin courier-base courier-authlib courier-authdaemon
  courier-authlib-userdb libgnutls-dane0 libidn12 libnsl2 libpcre2-8-0 libdb5.3)
# Downloaded and unpacked only.
unpacked=(cyrus-imapd courier-imap exim4-base exim4-config exim4-daemon-light)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-servers.sh must run as root (it installs Debian packages)." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# Exim refuses to start when its compiled-in user does not exist; exim4-base's
# postinst would create it.
if ! id Debian-exim >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin Debian-exim
fi

if [ -f "$dir/.complete" ]; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
(cd "$work" && apt-get download -qq "${unpacked[@]}" 2>/dev/null) ||
  { apt-get update -qq && (cd "$work" && apt-get download -qq "${unpacked[@]}"); }
mkdir -p "$work/root"
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done
mkdir -p "$(dirname "$dir")"
rm -rf "$dir.new"
mv "$work/root" "$dir.new"
(cd "$work" && ls ./*.deb) >"$dir.new/.complete"
chmod 755 "$dir.new"
rm -rf "$dir"
mv "$dir.new" "$dir"
