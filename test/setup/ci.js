// Whether this run is CI's (CI=true or 1): then nothing may skip for a missing tool. Plain JavaScript,
// so the reporter (summary-reporter.js), which mocha loads without ts-node, reads the same rule as
// requirements.ts (types: ci.d.ts).
"use strict";

function inCI() {
    return /^(true|1)$/i.test(process.env.CI || "");
}

module.exports = { inCI };
