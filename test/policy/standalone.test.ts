// The policy pack stands alone: `pulumi policy publish` uploads policy/ and nothing else.
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { policies } from "../../policy/policies/all";
import { PackAnalyzer, POLICY_DIR } from "../../tools/policy/analyzer";
import { importViolations, packSources } from "./imports";

/** Copies the pack's own files (no node_modules, no build output) into `dest`. */
function copyPack(dest: string): void {
    fs.cpSync(POLICY_DIR, dest, {
        recursive: true,
        filter: (src) => !["node_modules", "bin"].includes(path.basename(src)) || path.dirname(src) !== POLICY_DIR,
    });
}

function npmInstall(dir: string): Promise<void> {
    return new Promise((resolve, reject) => {
        execFile("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, timeout: 300_000 }, (err, _out, stderr) =>
            (err ? reject(new Error(`npm install in the copy failed: ${err.message}\n${stderr}`)) : resolve()));
    });
}

describe("the policy pack's imports", () => {
    it("reach no file outside policy/ and only packages policy/package.json declares", () => {
        assert.ok(packSources(POLICY_DIR).length >= 30, "the pack's sources were read");
        assert.deepEqual(importViolations(POLICY_DIR).map((v) => `${v.file}: ${v.specifier} (${v.why})`), []);
    });

    it("are refused when a file imports outside the pack or an undeclared package", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-pack-imports-"));
        try {
            fs.mkdirSync(path.join(dir, "policies"));
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { "@pulumi/policy": "1" } }));
            fs.writeFileSync(path.join(dir, "index.ts"), 'import { PolicyPack } from "@pulumi/policy";\nimport "./policies/a";\n');
            fs.writeFileSync(path.join(dir, "policies", "a.ts"),
                'import { parseCron } from "../../lib/cron";\nimport * as fs from "node:fs";\nconst y = require("js-yaml");\nexport type T = import("../x");\n');
            assert.deepEqual(importViolations(dir).map((v) => `${v.file}: ${v.specifier}`), [
                `${path.join("policies", "a.ts")}: ../../lib/cron`,
                `${path.join("policies", "a.ts")}: js-yaml`,
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("the policy pack copied alone into an empty directory", function () {
    this.timeout(360_000);
    let dir = "";
    let analyzer: PackAnalyzer | undefined;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-pack-alone-"));
    });
    after(async () => {
        await analyzer?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("installs with npm, starts its analyzer and answers GetAnalyzerInfo with every policy of the pack", async () => {
        const pack = path.join(dir, "policy");
        copyPack(pack);
        assert.ok(!fs.existsSync(path.join(pack, "node_modules")), "the copy starts without node_modules");
        await npmInstall(pack);
        analyzer = await PackAnalyzer.start(pack);
        const info = await analyzer.info();
        assert.equal(info.name, "ternent-postgres-recoverability");
        assert.equal(info.version, JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")).version);
        assert.deepEqual(info.policies.map((p) => p.name), policies.map((p) => p.name));
        assert.ok(info.policies.every((p) => p.enforcementLevel === "mandatory"));
        assert.equal(info.policies.find((p) => p.name === "retention-daily-backups")!.configSchema?.properties.minDailyBackups.default, 7);
    });
});
