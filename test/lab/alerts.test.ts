// Alerting: verdict.sh keeps a job's verdict and exit code, alert.sh (the pods' alerting sidecar) posts
// it to a Slack-compatible webhook — here a local HTTP server on 127.0.0.1 — always on failure, on
// success only when asked, and a webhook that is down, failing or hanging changes nothing about the
// job's own verdict and exit code. Real verify.sh and restore drill on PostgreSQL 15, WAL-G and MinIO.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { Lab, RunResult, freePort, run, waitFor } from "../../lab";
import { useLab } from "./helpers";

interface Received {
    path: string;
    contentType: string;
    body: string;
}

/** A webhook on 127.0.0.1: answers `status` (or never, with "hang"), records what it was sent. */
class Webhook {
    readonly received: Received[] = [];
    private server?: http.Server;
    private readonly sockets = new Set<net.Socket>();
    port = 0;
    constructor(private readonly answer: number | "hang") {}

    async start(): Promise<this> {
        this.server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                this.received.push({ path: req.url ?? "", contentType: String(req.headers["content-type"]), body });
                if (this.answer === "hang") return;
                res.writeHead(this.answer, { "content-type": "text/plain" });
                res.end(this.answer < 300 ? "ok" : "no");
            });
        });
        this.server.on("connection", (s) => {
            this.sockets.add(s);
            s.on("close", () => this.sockets.delete(s));
        });
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        this.port = (this.server.address() as net.AddressInfo).port;
        return this;
    }

    /** The URL carries a token, as Slack's do. */
    get url(): string {
        return `http://127.0.0.1:${this.port}/services/T000/B000/secret-token`;
    }

    async stop(): Promise<void> {
        for (const s of this.sockets) s.destroy();
        await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    }
}

describe("lab: alerting on drill and verify verdicts (verdict.sh + alert.sh, webhook on 127.0.0.1)", function () {
    this.timeout(180_000);
    const lab = useLab({ archiveTimeoutSeconds: 2 });
    const hooks: Webhook[] = [];
    const webhook = async (answer: number | "hang" = 200) => {
        const w = await new Webhook(answer).start();
        hooks.push(w);
        return w;
    };
    after(async () => {
        for (const w of hooks) await w.stop();
    });

    let n = 0;
    const verdictDir = (l: Lab) => l.mkdirForPostgres(path.join(l.root, `verdict-${++n}`));
    /** The job's container: verdict.sh around a script of scripts/. */
    const job = (l: Lab, script: string, dir: string, role: "rw" | "ro" = "rw") =>
        l.runScript("verdict.sh", { role, args: [path.join(l.scriptsDir, script)], env: { TERNENT_VERDICT_DIR: dir } });
    /** The sidecar: alert.sh with only its own environment (the curl image gets no database or storage env). */
    const alert = (l: Lab, dir: string, env: NodeJS.ProcessEnv) =>
        run("sh", [path.join(l.scriptsDir, "alert.sh")], {
            env: { PATH: "/usr/bin:/bin", TERNENT_VERDICT_DIR: dir, TERNENT_ALERT_JOB: "restore-drill", TERNENT_ALERT_SOURCE: "lab backend-dr", ...env },
            user: l.osUser,
            timeoutMs: 60_000,
        });
    const text = (r: Received) => JSON.parse(r.body).text as string;
    /** The verdict without what differs between two runs (times, scratch paths). */
    const verdictOf = (r: RunResult) => ({ code: r.code, drill: r.json.drill, ok: r.json.ok, checks: r.json.checks, backup: r.json.backup, reason: r.json.reason });

    let failedDrill: RunResult;
    let failedDir = "";

    it("verdict.sh passes the job's verdict line and exit code through and keeps both for the sidecar", async function () {
        const l = lab();
        const direct = await l.runScript("restore-drill.sh", { role: "ro" }); // no backup yet: the drill fails
        assert.equal(direct.code, 1, direct.stderr);
        failedDir = verdictDir(l);
        failedDrill = await job(l, "restore-drill.sh", failedDir, "ro");
        assert.equal(failedDrill.code, 1, failedDrill.stderr);
        assert.deepEqual(verdictOf(failedDrill), verdictOf(direct));
        assert.equal(failedDrill.json.ok, false);
        assert.equal(fs.readFileSync(path.join(failedDir, "exit-code"), "utf8"), "1\n");
        assert.deepEqual(JSON.parse(fs.readFileSync(path.join(failedDir, "verdict.json"), "utf8")), failedDrill.json);
    });

    it("a failed drill is posted as a Slack-compatible message carrying its verdict line", async function () {
        const w = await webhook(200);
        const r = await alert(lab(), failedDir, { TERNENT_ALERT_WEBHOOK_URL: w.url });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.json, { alert: "sent", job: "restore-drill", exitCode: 1, httpStatus: 200, reason: "restore-drill FAILED posted" });
        assert.equal(w.received.length, 1);
        assert.equal(w.received[0].path, "/services/T000/B000/secret-token");
        assert.equal(w.received[0].contentType, "application/json");
        assert.deepEqual(Object.keys(JSON.parse(w.received[0].body)), ["text"]);
        const t = text(w.received[0]);
        assert.match(t, /^ternent-postgres restore-drill \(lab backend-dr\) FAILED \(exit 1\): \{/);
        assert.deepEqual(JSON.parse(t.slice(t.indexOf("{"))), failedDrill.json, "the verdict line, whole");
        assert.ok(!r.stderr.includes("secret-token") && !r.stdout.includes("secret-token"), "the webhook URL is never printed");
    });

    it("a passing verify run is not posted by default, and is posted with TERNENT_ALERT_ON_SUCCESS=true", async function () {
        const l = lab();
        await l.switchWalAndWaitArchived();
        const dir = verdictDir(l);
        const v = await job(l, "verify.sh", dir);
        assert.equal(v.code, 0, v.stderr);
        assert.equal(v.json.healthy, true);
        const w = await webhook(200);
        const quiet = await alert(l, dir, { TERNENT_ALERT_WEBHOOK_URL: w.url, TERNENT_ALERT_JOB: "verify" });
        assert.equal(quiet.json.alert, "skipped");
        assert.equal(quiet.json.exitCode, 0);
        assert.equal(w.received.length, 0);
        const loud = await alert(l, dir, { TERNENT_ALERT_WEBHOOK_URL: w.url, TERNENT_ALERT_JOB: "verify", TERNENT_ALERT_ON_SUCCESS: "true" });
        assert.equal(loud.json.alert, "sent");
        assert.equal(w.received.length, 1);
        const t = text(w.received[0]);
        assert.match(t, /^ternent-postgres verify \(lab backend-dr\) passed: /);
        assert.deepEqual(JSON.parse(t.slice(t.indexOf("{"))), v.json);
    });

    it("without a webhook nothing is posted", async function () {
        const r = await alert(lab(), failedDir, {});
        assert.deepEqual(r.json, { alert: "skipped", job: "restore-drill", exitCode: 1, httpStatus: null, reason: "no webhook configured (alerts.webhookUrl)" });
    });

    it("a webhook that is down, answers 500 or hangs: alert.sh reports it and exits 0; the drill's verdict and exit code are unchanged", async function () {
        const l = lab();
        const closed = await freePort(); // nothing listens there
        const failing = await webhook(500);
        const hanging = await webhook("hang");
        const cases: [string, string, Partial<Record<string, unknown>>][] = [
            ["down", `http://127.0.0.1:${closed}/hook`, { httpStatus: null }],
            ["500", failing.url, { httpStatus: 500, reason: "the webhook answered HTTP 500" }],
            ["hang", hanging.url, { httpStatus: null }],
        ];
        for (const [name, url, expected] of cases) {
            const dir = verdictDir(l);
            const d = await job(l, "restore-drill.sh", dir, "ro");
            const a = await alert(l, dir, { TERNENT_ALERT_WEBHOOK_URL: url, TERNENT_ALERT_TIMEOUT_SECONDS: "2" });
            assert.equal(a.code, 0, `${name}: ${a.stderr}`);
            assert.equal(a.json.alert, "failed", `${name}: ${a.stdout}`);
            assert.equal(a.json.exitCode, 1);
            for (const [k, v] of Object.entries(expected)) assert.deepEqual(a.json[k], v, `${name}: ${k}`);
            if (name !== "500") assert.match(a.json.reason, /curl exited (7|28)/, name);
            // The job's own result is what it was, whatever the webhook did.
            assert.equal(d.code, 1, name);
            assert.deepEqual(verdictOf(d), verdictOf(failedDrill), name);
            assert.equal(fs.readFileSync(path.join(dir, "exit-code"), "utf8"), "1\n", name);
        }
        assert.equal(failing.received.length, 3, "curl retried the 500 twice");
        assert.ok(hanging.received.length >= 1);
    });

    it("a job that ends without an exit code (killed) is posted as a failure without a verdict when the sidecar is stopped", async function () {
        const l = lab();
        const dir = verdictDir(l);
        const w = await webhook(200);
        const child = spawn("sh", [path.join(l.scriptsDir, "alert.sh")], {
            env: { PATH: "/usr/bin:/bin", TERNENT_VERDICT_DIR: dir, TERNENT_ALERT_JOB: "pitr-drill", TERNENT_ALERT_WEBHOOK_URL: w.url },
            uid: l.osUser?.uid,
            gid: l.osUser?.gid,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        // Still waiting for verdict.sh after two seconds: nothing posted yet.
        await new Promise((r) => setTimeout(r, 2000));
        assert.equal(w.received.length, 0);
        assert.equal(child.exitCode, null, "alert.sh waits for the job");
        child.kill("SIGTERM"); // the kubelet stopping the sidecar
        assert.equal(await exited, 0);
        await waitFor("the alert", async () => w.received.length === 1, 10_000);
        assert.match(text(w.received[0]), /^ternent-postgres pitr-drill FAILED without a verdict .*: no verdict line$/);
        assert.equal(JSON.parse(out.trim()).alert, "sent");
        assert.equal(JSON.parse(out.trim()).exitCode, null);
    });
});
