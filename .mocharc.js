// npm test's mocha: every test/**/*.test.ts, in the suites' run order (test/setup/suites.js); or only
// the files the command line names (`npx mocha test/policy/stacks.test.ts`).
"use strict";
const { specFor } = require("./test/setup/suites");

module.exports = {
    require: ["ts-node/register/transpile-only", "test/setup/mocks.ts"],
    spec: specFor(process.argv.slice(2)),
    timeout: 30000,
    reporter: "./test/setup/summary-reporter.js",
};
