#!/bin/sh
# Rebuild the vendored uploader, sharelinks/static/sharelinks/uploads/uppy.min.js, from the
# exact versions in package-lock.json. Only needed to upgrade Uppy: the built file is
# committed, so running or deploying the app needs no Node. Needs Node 18+ and npm.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
