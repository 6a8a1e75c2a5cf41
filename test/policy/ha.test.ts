// The ha profile's policies (policy/policies/ha-*.ts), each called directly over the resources the
// program registers for an ha stack (mock engine), passing as rendered and failing on one weakened
// setting each; the single profile makes them not applicable.
import { strict as assert } from "assert";
import { haArchiveTimeout } from "../../policy/policies/ha-archive-timeout";
import { haBackupRetention } from "../../policy/policies/ha-backup-retention";
import { haBackupsScheduled } from "../../policy/policies/ha-backups-scheduled";
import { haClientSideEncryption } from "../../policy/policies/ha-client-side-encryption";
import { haClusterProtected } from "../../policy/policies/ha-cluster-protected";
import { haDrillsPresent } from "../../policy/policies/ha-drills-present";
import { baseBackupDaily } from "../../policy/policies/base-backup-daily";
import { UNKNOWN_STRING_SENTINEL } from "../../policy/lib/values";
import { CapturedResource } from "../../tools/harness";
import { runWith } from "../components/helpers";
import { edit, editResource, without } from "./fixtures";
import { runPolicy } from "./run-policy";

type Props = Record<string, unknown>;
type Env = { name: string; value?: string; valueFrom?: unknown }[];

const HA = { profile: "ha", dataGeneration: 1, migration: { at: "2025-06-15T12:10:00Z" } };
const PREVIOUS = { previousOutputs: { dataGeneration: 0, profile: "single" } };
const CLUSTER = "ha-cluster";

/** Changes the cluster's spec (env entries by name: undefined removes one). */
function spec(rs: readonly CapturedResource[], change: (spec: Props, env: Env) => void): CapturedResource[] {
    return edit(rs, CLUSTER, (p) => change(p.spec as Props, (p.spec as Props).env as Env));
}
function setEnv(env: Env, name: string, entry: { value?: string; valueFrom?: unknown } | undefined): void {
    const i = env.findIndex((e) => e.name === name);
    assert.ok(i >= 0, `no env ${name} in the cluster`);
    if (entry === undefined) env.splice(i, 1);
    else env[i] = { name, ...entry };
}

describe("the ha profile's policies", function () {
    this.timeout(60_000);
    let ha: CapturedResource[] = [];
    let single: CapturedResource[] = [];

    before(async function () {
        this.timeout(120_000);
        ha = (await runWith(HA, PREVIOUS)).resources;
        single = (await runWith({})).resources;
    });

    const mandatory = async (policy: Parameters<typeof runPolicy>[0], rs: readonly CapturedResource[], o = {}) => (await runPolicy(policy, rs, o)).text;

    it("are not applicable to a single-profile stack", async () => {
        for (const p of [haArchiveTimeout, haBackupRetention, haBackupsScheduled, haDrillsPresent, haClientSideEncryption]) {
            const r = await runPolicy(p, single);
            assert.equal(r.mandatory.length, 0, p.name);
            assert.match(r.notApplicable[0]?.reason ?? "", /no postgresql resource of the operator/, p.name);
        }
    });

    it("all pass the stack as the program renders it", async () => {
        for (const p of [haArchiveTimeout, haBackupRetention, haBackupsScheduled, haDrillsPresent, haClientSideEncryption, haClusterProtected]) {
            assert.equal(await mandatory(p, ha, { stack: "prod" }), "", p.name);
        }
    });

    describe("ha-archive-timeout", () => {
        it("refuses an archive_timeout above the maximum, and none at all (Spilo's 1800 s)", async () => {
            assert.match(await mandatory(haArchiveTimeout, spec(ha, (s) => { (s.postgresql as Props).parameters = { archive_timeout: "120" }; })),
                /postgresql backend\/ternent-postgres-ha: archive_timeout="120" is 120 s: up to 120 s of commits can be lost with the volume; allowed is 1 to 60 s/);
            assert.match(await mandatory(haArchiveTimeout, spec(ha, (s) => { (s.postgresql as Props).parameters = {}; })),
                /archive_timeout is not set: Spilo's default is 1800 s/);
        });

        it("takes its maximum from the pack config", async () => {
            assert.equal(await mandatory(haArchiveTimeout, spec(ha, (s) => { (s.postgresql as Props).parameters = { archive_timeout: "2min" }; }), { config: { maxArchiveTimeoutSeconds: 120 } }), "");
        });

        it("refuses WAL-E and a missing prefix", async () => {
            const text = await mandatory(haArchiveTimeout, spec(ha, (_, env) => { setEnv(env, "USE_WALG_BACKUP", { value: "false" }); setEnv(env, "WALE_S3_PREFIX", undefined); }));
            assert.match(text, /USE_WALG_BACKUP is "false": Spilo then archives with WAL-E/);
            assert.match(text, /WALE_S3_PREFIX is not set .*: Spilo would archive under spilo\/<cluster>\/<uid>\/wal\/<major>/);
        });
    });

    describe("ha-backups-scheduled", () => {
        it("refuses a weekly schedule and a missing one", async () => {
            assert.match(await mandatory(haBackupsScheduled, spec(ha, (_, env) => setEnv(env, "BACKUP_SCHEDULE", { value: "0 2 * * 0" }))),
                /BACKUP_SCHEDULE="0 2 \* \* 0" can leave 7 day\(s\) between base backups; the maximum is 24 hours/);
            assert.match(await mandatory(haBackupsScheduled, spec(ha, (_, env) => setEnv(env, "BACKUP_SCHEDULE", undefined))),
                /BACKUP_SCHEDULE is not set in spec\.env/);
        });

        it("refuses an invalid cron and accepts a weekly one when the pack allows 7 days", async () => {
            assert.match(await mandatory(haBackupsScheduled, spec(ha, (_, env) => setEnv(env, "BACKUP_SCHEDULE", { value: "0 25 * * *" }))), /is not a valid cron schedule/);
            assert.equal(await mandatory(haBackupsScheduled, spec(ha, (_, env) => setEnv(env, "BACKUP_SCHEDULE", { value: "0 2 * * 0" })),
                { config: { maxBaseBackupIntervalHours: 168 } }), "");
        });

        it("lets base-backup-daily stand aside for the cluster, not for a stack without either", async () => {
            const r = await runPolicy(baseBackupDaily, ha);
            assert.equal(r.mandatory.length, 0);
            assert.match(r.notApplicable[0]?.reason ?? "", /ha-backups-scheduled/);
            assert.match(await mandatory(baseBackupDaily, without(ha, CLUSTER)), /The stack has no backup CronJob/);
        });
    });

    describe("ha-backup-retention", () => {
        it("refuses Spilo's default pruning (5), which would delete weekly backups GFS keeps", async () => {
            assert.match(await mandatory(haBackupRetention, spec(ha, (_, env) => setEnv(env, "BACKUP_NUM_TO_RETAIN", { value: "5" }))),
                /BACKUP_NUM_TO_RETAIN is 5: .* keeps 4 weekly backups and 7 days of PITR, up to 42 days old; allowed is at least 42/);
        });

        it("refuses a stack without a retention job", async () => {
            const noRetention = ha.filter((r) => !(r.type === "kubernetes:batch/v1:CronJob" && /retention/.test(r.name)));
            assert.match(await mandatory(haBackupRetention, noRetention), /The stack has no retention CronJob/);
        });

        it("refuses a retention job that prunes another prefix than the cluster's", async () => {
            const other = spec(ha, (_, env) => {
                setEnv(env, "WALG_S3_PREFIX", { value: "s3://ternent-postgres-backups-dev/elsewhere" });
            });
            assert.match(await mandatory(haBackupRetention, other), /but no retention CronJob runs against it/);
        });
    });

    describe("ha-drills-present", () => {
        it("refuses a stack without a PITR drill", async () => {
            const noPitr = ha.filter((r) => !(r.type === "kubernetes:batch/v1:CronJob" && /pitr/.test(r.name)));
            assert.match(await mandatory(haDrillsPresent, noPitr), /the stack has no PITR drill CronJob: nothing proves the cluster's backups restore/);
        });

        it("refuses drills that read another prefix than the cluster archives to", async () => {
            const drOld = edit(ha, "dr-backup-secret", (p) => { (p.stringData as Props).WALG_S3_PREFIX = "s3://ternent-postgres-backups-dev/ternent-postgres"; });
            const text = await mandatory(haDrillsPresent, drOld);
            assert.match(text, /the restore drill reads .*: it proves other backups than the cluster's/);
            assert.match(text, /the PITR drill reads/);
        });

        it("cannot tell during the first preview, when the prefixes are unknown", async () => {
            const blank = edit(ha, "dr-backup-secret", (p) => { (p.stringData as Props).WALG_S3_PREFIX = UNKNOWN_STRING_SENTINEL; });
            const r = await runPolicy(haDrillsPresent, blank);
            assert.equal(r.mandatory.length, 0);
            assert.match(r.advisory.map((a) => a.message).join("\n"), /whether the restore drill reads the prefix of postgresql backend\/ternent-postgres-ha/);
        });
    });

    describe("ha-client-side-encryption", () => {
        it("refuses a cluster without the libsodium key, and a clone without it", async () => {
            assert.match(await mandatory(haClientSideEncryption, spec(ha, (_, env) => setEnv(env, "WALG_LIBSODIUM_KEY", undefined))),
                /WALG_LIBSODIUM_KEY is not set in spec\.env: Spilo uploads WAL and base backups unencrypted/);
            assert.match(await mandatory(haClientSideEncryption, spec(ha, (_, env) => setEnv(env, "CLONE_WALG_LIBSODIUM_KEY", undefined))),
                /CLONE_WALG_LIBSODIUM_KEY is not set in spec\.env: the clone cannot decrypt the single node's backups/);
        });

        it("refuses the key as a literal and a transform that is not hex or base64", async () => {
            assert.match(await mandatory(haClientSideEncryption, spec(ha, (_, env) => setEnv(env, "WALG_LIBSODIUM_KEY", { value: "00".repeat(32) }))),
                /WALG_LIBSODIUM_KEY is a literal in spec\.env/);
            assert.match(await mandatory(haClientSideEncryption, spec(ha, (_, env) => setEnv(env, "WALG_LIBSODIUM_KEY_TRANSFORM", { value: "none" }))),
                /without hex or base64 WAL-G uses the key's text as raw bytes/);
        });
    });

    describe("ha-cluster-protected", () => {
        it("refuses an unprotected cluster in a production stack (by name or tag), not elsewhere", async () => {
            const unprotected = editResource(ha, CLUSTER, (r) => ({ ...r, options: { ...r.options, protect: false } }));
            assert.equal(await mandatory(haClusterProtected, unprotected), "", "stack dev is not production");
            assert.match(await mandatory(haClusterProtected, unprotected, { config: { prodStacks: ["dev"] } }),
                /postgresql backend\/ternent-postgres-ha is not protected in a production stack \(stack dev is listed in prodStacks\): deleting it deletes the cluster/);
            assert.match(await mandatory(haClusterProtected, unprotected, { tags: { environment: "production" } }), /stack tag environment=production/);
            const prod = (await runWith({ ...HA, protect: true }, PREVIOUS)).resources;
            assert.equal(await mandatory(haClusterProtected, prod, { config: { prodStacks: ["dev"] } }), "");
        });
    });
});
