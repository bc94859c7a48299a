#!/usr/bin/env bash
# Regenerates the TypeScript classes of the binary /ws feed from src/gateway/ws/feed/feed.fbs with
# flatc (Debian: apt-get install flatbuffers-compiler), then rewrites flatc 2.x's extensionless imports
# to the NodeNext form the build needs ('./x.js'). The result is committed: a build needs no flatc.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/gateway/ws/feed/generated
command -v flatc > /dev/null || { echo "flatc-feed.sh: flatc not found (apt-get install flatbuffers-compiler)" >&2; exit 2; }
rm -rf "$out"
flatc --ts -o "$out" src/gateway/ws/feed/feed.fbs
# '../../octopus/feed/x' (inside octopus/feed/) -> './x.js'; './octopus/feed/x' (the index) -> './octopus/feed/x.js'
sed -i -E "s#from '\.\./\.\./octopus/feed/([a-z-]+)'#from './\1.js'#" "$out"/octopus/feed/*.ts
sed -i -E "s#from '\./octopus/feed/([a-z-]+)'#from './octopus/feed/\1.js'#" "$out"/feed_generated.ts
echo "flatc-feed.sh: regenerated $out with $(flatc --version)"
