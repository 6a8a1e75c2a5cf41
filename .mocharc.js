// npm test's mocha: every test/**/*.test.ts, in the suites' run order (test/setup/suites.js).
"use strict";
const { specFiles } = require("./test/setup/suites");

module.exports = {
    require: ["ts-node/register/transpile-only", "test/setup/mocks.ts"],
    spec: specFiles(),
    timeout: 30000,
    reporter: "./test/setup/summary-reporter.js",
};
