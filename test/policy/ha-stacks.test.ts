// Pulumi.ha-example.yaml through the pack's own analyzer, as `npm run policy -- --stack ha-example`
// drives it: it passes; weakened copies, one setting lowered each, are refused by the policies that
// judge the operator's cluster (and, where the single node's objects carry the same setting, by theirs).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../tools/harness";
import { PackAnalyzer } from "../../tools/policy/analyzer";
import { runPolicies } from "../../tools/policy-run";
import { packAnalyzer } from "./analyzer";

const summary = (r: Awaited<ReturnType<typeof runPolicies>>) => r.mandatory.map((d) => `${d.policyName}: ${d.message.split("\n").pop()}`);
const example = (): string => fs.readFileSync(path.join(REPO_ROOT, "Pulumi.ha-example.yaml"), "utf8");

function replace(from: RegExp, to: string): (text: string) => string {
    return (text) => {
        const out = text.replace(from, to);
        if (out === text) throw new Error(`Pulumi.ha-example.yaml has no ${from}: the weakened stack would equal the example`);
        return out;
    };
}

/** Weakened copies of the example, run as stack `prod` (so production rules apply), and the policies that must refuse them. */
const WEAKENINGS: readonly { name: string; change: (t: string) => string; policies: string[] }[] = [
    { name: "archiveTimeoutSeconds 120", change: replace(/^(\s+archiveTimeoutSeconds:\s*)60\b/m, "$1120"), policies: ["archive-timeout", "ha-archive-timeout"] },
    { name: "weekly base backups", change: replace(/^(\s+backup:\s*)"0 2 \* \* \*"/m, '$1"0 2 * * 0"'), policies: ["ha-backups-scheduled"] },
    { name: "no PITR drill", change: replace(/^\s+pitrDrill:.*\n(\s+#.*\n)*/m, ""), policies: ["ha-drills-present", "pitr-drill-monthly"] },
    { name: "no retention job", change: replace(/^\s+retention:\s*"30 3 \* \* \*".*\n/m, ""), policies: ["ha-backup-retention", "retention-job-scheduled"] },
    { name: "protect off", change: replace(/^(\s+ternent-postgres:protect:\s*)true\b/m, "$1false"), policies: ["ha-cluster-protected", "stateful-resources-protected"] },
];

describe("the policy pack's analyzer over the ha profile's stack (mock runtime)", function () {
    this.timeout(120_000);
    let analyzer: PackAnalyzer;
    let dir = "";
    before(async function () {
        this.timeout(300_000);
        analyzer = await packAnalyzer();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-ha-weak-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("finds no mandatory violation in Pulumi.ha-example.yaml, and renders the operator's cluster", async () => {
        const r = await runPolicies({ stack: "ha-example" }, analyzer);
        assert.deepEqual(summary(r), []);
        assert.ok(r.resources.some((x) => x.type === "kubernetes:acid.zalan.do/v1:postgresql"), "the operator's postgresql resource");
    });

    it("finds none either when the example is run as prod", async () => {
        const file = path.join(dir, "Pulumi.prod.yaml");
        fs.writeFileSync(file, example());
        assert.deepEqual(summary(await runPolicies({ stack: "prod", stackFile: file }, analyzer)), []);
    });

    for (const w of WEAKENINGS) {
        it(`refuses ${w.name} with ${w.policies.join(" and ")}`, async () => {
            const file = path.join(dir, "Pulumi.prod.yaml");
            fs.writeFileSync(file, w.change(example()));
            const r = await runPolicies({ stack: "prod", stackFile: file }, analyzer);
            assert.deepEqual([...new Set(r.mandatory.map((d) => d.policyName))].sort(), [...w.policies].sort(), summary(r).join("\n"));
        });
    }
});
