#!/usr/bin/env bash
# Every scenario's recorded outputs (tests/golden/): a change that alters a
# trace, a results.json, a key file or the suite's summary fails here until
# it is re-recorded on purpose (tests/golden/record.sh update).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
exec bash "$src/tests/golden/record.sh" check "$bin"
