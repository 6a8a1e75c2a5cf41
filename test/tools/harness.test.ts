import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { flattenStackConfig, mockPassword, runProgram, securePlaceholder, unwrapSecrets } from "../../tools/harness";

const FIXTURE = path.join(__dirname, "fixtures", "tiny-program.ts");

describe("tools/harness", () => {
    it("captures every registered resource with its parent, dependencies and options", async () => {
        const run = await runProgram({
            stack: "dev", program: FIXTURE,
            config: { "ternent-postgres:protect": "true" }, secretKeys: [],
        });
        const types = run.resources.map((r) => r.type).sort();
        assert.deepEqual(types, ["kubernetes:core/v1:Secret", "random:index/randomPassword:RandomPassword", "test:index:Tiny"]);
        const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret")!;
        const component = run.resources.find((r) => r.type === "test:index:Tiny")!;
        const pw = run.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword")!;
        assert.equal(secret.parent, component.urn);
        assert.ok(secret.dependencies.includes(pw.urn), "dependsOn is captured");
        assert.equal(secret.options.protect, true);
        assert.match(secret.urn, /^urn:pulumi:dev::ternent-postgres::test:index:Tiny\$kubernetes:core\/v1:Secret::tiny-secret$/);
    });

    it("unwraps secret inputs but remembers where they were", async () => {
        const run = await runProgram({ stack: "dev", program: FIXTURE, config: {}, secretKeys: [] });
        const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret")!;
        const data = secret.inputs.stringData as Record<string, string>;
        assert.equal(data.PASSWORD.length, 16);
        assert.equal(data.PASSWORD, String(run.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword")!.outputs.result));
        // The engine marks the whole input property secret when any value inside it is secret.
        assert.deepEqual(secret.secretPaths, ["stringData"]);
        assert.equal(secret.options.protect, false);
    });

    it("resolves stack outputs and reports which are secret", async () => {
        const run = await runProgram({ stack: "prod", program: FIXTURE, config: {}, secretKeys: [] });
        assert.equal(run.outputs.plain, "hello");
        assert.equal(String(run.outputs.password).length, 16);
        assert.deepEqual(run.secretOutputs, ["password"]);
        assert.ok(run.resources.every((r) => r.urn.startsWith("urn:pulumi:prod::")));
    });

    it("runs the same program for several stacks in one process: it requires it once and calls its function per run", async () => {
        const dev = await runProgram({ stack: "dev", program: FIXTURE, config: {}, secretKeys: [] });
        const prod = await runProgram({ stack: "prod", program: FIXTURE, config: { "ternent-postgres:protect": "true" }, secretKeys: [] });
        assert.equal(dev.resources.length, 3);
        assert.equal(prod.resources.length, 3, "the second run registers its own resources, not the first run's");
        assert.deepEqual(prod.resources.filter((r) => r.options.protect).map((r) => r.type), ["kubernetes:core/v1:Secret"]);
    });

    it("refuses a program that does not export a function, saying why", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-harness-"));
        try {
            const file = path.join(dir, "top-level.ts");
            fs.writeFileSync(file, "export const plain = \"hello\";\n");
            await assert.rejects(runProgram({ stack: "dev", program: file, config: {}, secretKeys: [] }),
                /top-level\.ts must export a function \(export = async \(\) => \{ … \}\), as index\.ts does/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("captures no stack frames during a run unless TERNENT_STACK_TRACES=1, and restores the limit after it", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-harness-"));
        const saved = process.env.TERNENT_STACK_TRACES;
        try {
            const file = path.join(dir, "throws.ts");
            fs.writeFileSync(file, "export = async () => {\n    throw new Error(\"the program failed\");\n};\n");
            const frames = (e: unknown): number => String((e as Error).stack).split("\n").filter((l) => /^\s+at /.test(l)).length;
            const failure = async (): Promise<unknown> => runProgram({ stack: "dev", program: file, config: {}, secretKeys: [] }).then(() => undefined, (e: unknown) => e);
            delete process.env.TERNENT_STACK_TRACES;
            const quiet = await failure();
            assert.match(String((quiet as Error).message), /the program failed/);
            assert.equal(frames(quiet), 0, String((quiet as Error).stack));
            assert.ok(frames(new Error("after the run")) > 0, "the limit is restored after the run");
            process.env.TERNENT_STACK_TRACES = "1";
            const traced = await failure();
            assert.ok(frames(traced) > 0, String((traced as Error).stack));
            assert.match(String((traced as Error).stack), /throws\.ts/);
        } finally {
            if (saved === undefined) delete process.env.TERNENT_STACK_TRACES;
            else process.env.TERNENT_STACK_TRACES = saved;
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("flattens structured and secure stack config the way the language host passes it", () => {
        const flat = flattenStackConfig({
            "ternent-postgres:retention": { daily: 7, weekly: 4 },
            "ternent-postgres:walgLibsodiumKey": { secure: "v1:abc" },
            protect: true,
        });
        assert.equal(flat.config["ternent-postgres:retention"], '{"daily":7,"weekly":4}');
        assert.equal(flat.config["ternent-postgres:walgLibsodiumKey"], securePlaceholder("ternent-postgres:walgLibsodiumKey"));
        assert.equal(flat.config["ternent-postgres:protect"], "true");
        assert.deepEqual(flat.secretKeys, ["ternent-postgres:walgLibsodiumKey"]);
    });

    it("unwraps nested secret envelopes", () => {
        const paths: string[] = [];
        const sig = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "s3cr3t" };
        const out = unwrapSecrets({ a: [{ b: sig }], c: 1 }, "", paths);
        assert.deepEqual(out, { a: [{ b: "s3cr3t" }], c: 1 });
        assert.deepEqual(paths, ["a[0].b"]);
    });

    it("gives a secure libsodium key a placeholder in the format the program validates", () => {
        assert.match(securePlaceholder("ternent-postgres:walgLibsodiumKey"), /^[0-9a-f]{64}$/);
        assert.match(securePlaceholder("ternent-postgres:spacesReadWriteSecret"), /^offline-secret-[0-9a-f]{32}$/);
    });

    it("runs a stack whose credentials are all secure values (spaces.useExisting) offline", async () => {
        const flat = flattenStackConfig({
            "kubernetes:enableSecretMutable": "true", "kubernetes:enableConfigMapMutable": "true",
            spaces: { useExisting: true, bucket: "existing-bucket" },
            spacesReadWriteKeyId: { secure: "v1:a" }, spacesReadWriteSecret: { secure: "v1:b" },
            spacesReadOnlyKeyId: { secure: "v1:c" }, spacesReadOnlySecret: { secure: "v1:d" },
            walgLibsodiumKey: { secure: "v1:e" },
        });
        const run = await runProgram({ stack: "dev", ...flat, now: "2026-11-26T12:00:00Z" });
        assert.equal(run.resources.filter((r) => r.type.startsWith("digitalocean:")).length, 0);
        assert.equal(run.outputs.walgLibsodiumKey, securePlaceholder("ternent-postgres:walgLibsodiumKey"));
    });

    it("generates mock passwords of the requested length and alphabet", () => {
        const hex = mockPassword("k", { length: 64, lower: false, upper: false, numeric: true, special: true, overrideSpecial: "abcdef" });
        assert.match(hex, /^[0-9a-f]{64}$/);
        assert.match(mockPassword("p", { length: 32, special: false }), /^[A-Za-z0-9]{32}$/);
        assert.equal(mockPassword("p", { length: 32 }), mockPassword("p", { length: 32 }));
        assert.notEqual(mockPassword("p", { length: 32 }), mockPassword("q", { length: 32 }));
    });
});
