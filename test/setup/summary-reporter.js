// Mocha's spec reporter plus, at the end, how many tests of each suite ran and its wall time (so a
// reader sees that the data suites really ran, and where the run's time goes) and one machine-readable closing line ("N passed, N failed, N skipped") so
// CI reads the totals the same way for every runner. Under CI=true a skipped test is not allowed: the
// run fails (every test that needs a tool must find it there; see test/setup/requirements.ts).
"use strict";
const path = require("path");
const Mocha = require("mocha");
const { inCI } = require("./ci");
const { ROOT, RUN_ORDER, suiteOfFile } = require("./suites");
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

function suiteOf(runnable) {
    let r = runnable;
    while (r && !r.file) r = r.parent;
    return suiteOfFile(r && r.file ? path.relative(ROOT, r.file).split(path.sep).join("/") : "");
}

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        const counts = new Map(RUN_ORDER.map((name) => [name, { passed: 0, failed: 0, skipped: 0, ms: 0 }]));
        const count = (runnable, what) => counts.get(suiteOf(runnable))[what]++;
        // Wall time of each file's top-level suites, hooks included (tests run one at a time).
        const started = new Map();
        runner.on(EVENT_SUITE_BEGIN, (suite) => {
            if (suite.parent && suite.parent.root) started.set(suite, Date.now());
        });
        runner.on(EVENT_SUITE_END, (suite) => {
            if (started.has(suite)) counts.get(suiteOf(suite)).ms += Date.now() - started.get(suite);
        });
        runner.on(EVENT_TEST_PASS, (t) => count(t, "passed"));
        // A failed hook fails no test by itself: count it once, as the suite's failure.
        runner.on(EVENT_TEST_FAIL, (t) => count(t, "failed"));
        runner.on(EVENT_TEST_PENDING, (t) => count(t, "skipped"));
        runner.once(EVENT_RUN_END, () => {
            const s = runner.stats;
            const out = ["", "tests per suite:", `  ${"suite".padEnd(16)}${"passed".padStart(8)}${"failed".padStart(8)}${"skipped".padStart(9)}${"seconds".padStart(9)}`];
            for (const [name, c] of counts) {
                if (c.passed + c.failed + c.skipped === 0) continue;
                out.push(`  ${name.padEnd(16)}${String(c.passed).padStart(8)}${String(c.failed).padStart(8)}${String(c.skipped).padStart(9)}${(c.ms / 1000).toFixed(1).padStart(9)}`);
            }
            if (inCI() && s.pending > 0) {
                out.push("", `CI=true: ${s.pending} test(s) skipped, which CI does not allow (a required tool is missing, or a test is marked skip)`);
                // Read by the runner's own end-of-run callback after this listener: mocha exits non-zero.
                runner.failures += s.pending;
            }
            process.stdout.write(`${out.join("\n")}\n\n${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
        });
    }
}

module.exports = SummaryReporter;
