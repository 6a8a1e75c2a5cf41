// One time rule for the program and the pod scripts: test/fixtures/times.json is read by both the
// program's parseRfc3339 (preview-time validation of recovery targets) and the planner the pods run
// (scripts/plan.pl time), so the two cannot drift apart.
import { strict as assert } from "assert";
import * as path from "path";
import { parseRfc3339 } from "../../config";
import times from "../fixtures/times.json";
import { PerlServer } from "./perl-server";

const PLAN = path.resolve(__dirname, "..", "..", "scripts", "plan.pl");

describe("one time rule: the program's parseRfc3339 and plan.pl time on the same fixtures", function () {
    let perl: PerlServer;
    before(() => (perl = new PerlServer()));
    after(() => perl.close());

    /** plan.pl time TEXT: the instant in microseconds, or undefined when it refuses (exit 2). */
    async function planTime(text: string): Promise<number | undefined> {
        const r = await perl.run([PLAN, "time", text]);
        if (r.code === 2) return undefined;
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout).epoch_us as number;
    }

    for (const { text, us } of times.rfc3339) {
        it(`both accept ${JSON.stringify(text)} as the same instant`, async () => {
            assert.equal(parseRfc3339(text)?.getTime(), Math.floor(us / 1000));
            assert.equal(await planTime(text), us);
        });
    }

    for (const { text, us } of times.postgresql) {
        it(`plan.pl reads PostgreSQL's ${JSON.stringify(text)}; the program refuses it (not RFC 3339)`, async () => {
            assert.equal(await planTime(text), us);
            assert.equal(parseRfc3339(text), undefined);
        });
    }

    for (const text of times.reject) {
        it(`both refuse ${JSON.stringify(text)}`, async () => {
            assert.equal(parseRfc3339(text), undefined);
            assert.equal(await planTime(text), undefined);
        });
    }
});
