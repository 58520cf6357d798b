#!/bin/bash
# f2f-kiosk .deb post-install. electron-builder substitutes ${executable} and ${sanitizedProductName}.
# Replaces electron-builder's default after-install: keeps its /usr/bin link and chrome-sandbox handling, then
# prepares the agent's user and folders. It never writes a configuration or a secret.
set -e

ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'

# Electron's setuid sandbox helper is needed only where unprivileged user namespaces are off.
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true 2>/dev/null; }; then
  chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
else
  chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
fi

# The agent's own user, allowed to open serial ports (dialout).
if ! getent passwd f2f-kiosk >/dev/null; then
  useradd --system --home-dir /var/lib/f2f-kiosk --shell /usr/sbin/nologin --user-group f2f-kiosk
fi
usermod -a -G dialout,video,input f2f-kiosk || true

# Configuration (root-owned, readable by the agent) and data (the agent's alone).
install -d -m 0750 -o root -g f2f-kiosk /etc/f2f-kiosk
install -d -m 0700 -o f2f-kiosk -g f2f-kiosk /var/lib/f2f-kiosk

if command -v udevadm >/dev/null 2>&1; then
  udevadm control --reload || true
fi
if command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload || true
fi
