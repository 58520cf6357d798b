#!/bin/bash
# f2f-kiosk .deb post-remove: drops the /usr/bin link. Configuration, secrets and the sales database under
# /etc/f2f-kiosk and /var/lib/f2f-kiosk are kept on purpose (they hold money records); delete them by hand.
rm -f '/usr/bin/${executable}'
if command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload || true
fi
