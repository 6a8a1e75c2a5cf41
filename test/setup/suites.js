// The test suites: which files belong to which (the reporter counts and times tests per suite) and
// the order npm test runs them in (.mocharc.js). One table, so a new suite is named once.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..", "..");

/** Suite of a test file (path relative to the repository, "/"-separated): the first matching rule wins. */
const SUITES = [
    ["real engine", /^test\/realengine\//],
    ["control plane", /^test\/controlplane\//],
    ["recovery", /^test\/lab\/recovery\.test\.ts$/],
    ["lab", /^test\/lab\//],
    ["faults", /^test\/faults\//],
    ["retention-walg", /^test\/scripts\/retention-walg\.test\.ts$/],
    ["scripts", /^test\/(scripts|lib)\//],
    ["policy", /^test\/policy\//],
    ["unit", /./],
];

/**
 * The order npm test runs the suites in: the quick ones that need no tool first, so a broken commit
 * fails in seconds, then the data suites. Policy comes after unit and scripts because its shared
 * analyzer (test/policy/analyzer.ts: npm install of a standalone copy, then a type-checked start)
 * gets ready in the background while those run.
 */
const RUN_ORDER = ["unit", "scripts", "policy", "lab", "recovery", "faults", "retention-walg", "real engine", "control plane"];

/** The suite of a file given relative to the repository. */
function suiteOfFile(relative) {
    return SUITES.find(([, re]) => re.test(relative))[0];
}

function testFiles(dir) {
    const out = [];
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory() && e.name !== "fixtures" && e.name !== "node_modules") out.push(...testFiles(rel));
        else if (e.isFile() && e.name.endsWith(".test.ts")) out.push(rel);
    }
    return out;
}

/** Every test/**\/*.test.ts, in RUN_ORDER, then by path within a suite. */
function specFiles() {
    const rank = (f) => RUN_ORDER.indexOf(suiteOfFile(f));
    return testFiles("test").sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Options whose value may be a test file without naming one to run. */
const FILE_VALUED_OPTIONS = new Set(["--exclude", "--ignore", "--file"]);

/**
 * The spec list for mocha's config given its command line (arguments after `mocha`): none when the
 * command line names test files itself (`npx mocha test/policy/stacks.test.ts`: mocha would add the
 * config's list to them and run everything), else specFiles().
 */
function specFor(args) {
    const names = args.some((a, i) => a === "--spec" || (!a.startsWith("-") && /\.test\.ts$/.test(a) && !FILE_VALUED_OPTIONS.has(args[i - 1])));
    return names ? [] : specFiles();
}

module.exports = { ROOT, SUITES, RUN_ORDER, suiteOfFile, specFiles, specFor };
