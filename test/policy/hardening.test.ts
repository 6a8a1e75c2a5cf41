// The issue 16 rules users must not weaken: no storage key in the database process, data volumes that
// outlive their claims in production, drill scratch big enough and off the node's disk, and images pinned
// by digest accepted. Each policy called directly on the contract's stack and on a weakened copy.
import { strict as assert } from "assert";
import { containerImagesPinned } from "../../policy/policies/container-images-pinned";
import { databaseHoldsNoKeys } from "../../policy/policies/database-holds-no-keys";
import { dataVolumeRetained } from "../../policy/policies/data-volume-retained";
import { drillScratchSufficient } from "../../policy/policies/drill-scratch-sufficient";
import { walgPinned } from "../../policy/policies/walg-pinned";
import { containerOf, contractStack, edit, podOf } from "./fixtures";
import { runPolicy } from "./run-policy";

type Props = Record<string, unknown>;
const sts = (change: (p: Props) => void, stack = contractStack()) => edit(stack, "postgres-statefulset", change);
const drill = (change: (p: Props) => void) => edit(contractStack(), "drills-restore-drill", change);

describe("policy database-holds-no-keys", () => {
    it("passes a postgres container that gets the keys only through the walg-secret init container's file", async () => {
        const r = await runPolicy(databaseHoldsNoKeys, contractStack());
        assert.deepEqual(r.mandatory, []);
    });

    it("refuses the WAL-G Secret through envFrom (the bundle's way)", async () => {
        const r = await runPolicy(databaseHoldsNoKeys, sts((p) => {
            (containerOf(p).envFrom as Props[]).push({ secretRef: { name: "ternent-postgres-backup" } });
        }));
        assert.match(r.text, /container postgres gets AWS_ACCESS_KEY_ID \(from secret ternent-postgres-backup key AWS_ACCESS_KEY_ID\)/);
        assert.match(r.text, /gets AWS_SECRET_ACCESS_KEY/);
        assert.match(r.text, /gets WALG_LIBSODIUM_KEY/);
    });

    it("refuses one key through secretKeyRef and the Secret volume mounted into the postgres container", async () => {
        const r = await runPolicy(databaseHoldsNoKeys, sts((p) => {
            const c = containerOf(p);
            (c.env as Props[]).push({ name: "WALG_LIBSODIUM_KEY", valueFrom: { secretKeyRef: { name: "ternent-postgres-backup", key: "WALG_LIBSODIUM_KEY" } } });
            (c.volumeMounts as Props[]).push({ name: "walg-secret", mountPath: "/etc/walg", readOnly: true });
        }));
        assert.match(r.text, /gets WALG_LIBSODIUM_KEY \(from secret ternent-postgres-backup key WALG_LIBSODIUM_KEY\)/);
        assert.match(r.text, /mounts Secret ternent-postgres-backup \(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, WALG_LIBSODIUM_KEY\) at \/etc\/walg/);
    });
});

describe("the WAL-G policies on a primary whose keys come from the walg-secret file", () => {
    it("count the primary as a WAL-G consumer through the Secret its walg-secret init container writes into TERNENT_WALG_ENV_FILE", async () => {
        // Only the installer is removed: the primary still runs WAL-G, with its settings from the file.
        const noInstaller = sts((p) => {
            podOf(p).initContainers = (podOf(p).initContainers as Props[]).filter((c) => c.name === "walg-secret");
        });
        assert.match((await runPolicy(walgPinned, noInstaller)).text, /backend\/ternent-postgres runs WAL-G consumers but no init container installs/);
        // Without the walg-secret init container nothing writes the file: the primary runs no WAL-G consumer.
        const noFile = sts((p) => {
            podOf(p).initContainers = [];
        });
        assert.doesNotMatch((await runPolicy(walgPinned, noFile)).text, /backend\/ternent-postgres runs WAL-G consumers/);
    });
});

describe("policy data-volume-retained", () => {
    it("passes a prod claim template on do-block-storage-retain", async () => {
        assert.deepEqual((await runPolicy(dataVolumeRetained, contractStack())).mandatory, []);
    });

    it("refuses do-block-storage (reclaimPolicy Delete) and a claim template without a class in prod", async () => {
        const del = await runPolicy(dataVolumeRetained, sts((p) => {
            ((p.spec as Props).volumeClaimTemplates as Props[])[0].spec = { accessModes: ["ReadWriteOnce"], storageClassName: "do-block-storage", resources: { requests: { storage: "10Gi" } } };
        }));
        assert.match(del.text, /claim template data of StatefulSet backend\/ternent-postgres uses StorageClass do-block-storage, which is not known to retain its volumes \(do-block-storage-retain\)/);
        const none = await runPolicy(dataVolumeRetained, sts((p) => {
            delete (((p.spec as Props).volumeClaimTemplates as Props[])[0].spec as Props).storageClassName;
        }));
        assert.match(none.text, /uses no storageClassName \(the cluster's default class, do-block-storage on DOKS, deletes\)/);
    });

    it("accepts an adopted claim template on do-block-storage only for claims listed in retainedClaims (volume patched to Retain by hand)", async () => {
        const adopted = sts((p) => {
            (((p.spec as Props).volumeClaimTemplates as Props[])[0].spec as Props).storageClassName = "do-block-storage";
        });
        const refused = await runPolicy(dataVolumeRetained, adopted);
        assert.match(refused.text, /list backend\/data-ternent-postgres-0 in retainedClaims/);
        assert.deepEqual((await runPolicy(dataVolumeRetained, adopted, { config: { retainedClaims: ["backend/data-ternent-postgres-0"] } })).mandatory, []);
        // Another claim listed, or the right name in another namespace, does not count.
        assert.equal((await runPolicy(dataVolumeRetained, adopted, { config: { retainedClaims: ["backend/data-other-0", "backend-dev/data-ternent-postgres-0"] } })).mandatory.length, 1);
        // Two replicas: both claims must be listed.
        const two = sts((p) => {
            (p.spec as Props).replicas = 2;
            (((p.spec as Props).volumeClaimTemplates as Props[])[0].spec as Props).storageClassName = "do-block-storage";
        });
        assert.equal((await runPolicy(dataVolumeRetained, two, { config: { retainedClaims: ["backend/data-ternent-postgres-0"] } })).mandatory.length, 1);
        assert.deepEqual((await runPolicy(dataVolumeRetained, two, {
            config: { retainedClaims: ["backend/data-ternent-postgres-0", "backend/data-ternent-postgres-1"] },
        })).mandatory, []);
    });

    it("takes the retaining classes from the pack config, and leaves dev alone", async () => {
        const own = sts((p) => {
            (((p.spec as Props).volumeClaimTemplates as Props[])[0].spec as Props).storageClassName = "fast-retain";
        });
        assert.equal((await runPolicy(dataVolumeRetained, own)).mandatory.length, 1);
        assert.equal((await runPolicy(dataVolumeRetained, own, { config: { retainingStorageClasses: ["fast-retain"] } })).mandatory.length, 0);
        const dev = sts((p) => {
            (((p.spec as Props).volumeClaimTemplates as Props[])[0].spec as Props).storageClassName = "do-block-storage";
        }, contractStack({ stack: "dev" }));
        const r = await runPolicy(dataVolumeRetained, dev);
        assert.equal(r.mandatory.length, 0);
        assert.ok(r.notApplicable.some((n) => /not in prodStacks/.test(n.reason ?? "")));
    });
});

describe("policy drill-scratch-sufficient", () => {
    it("passes drills restoring into 15Gi ephemeral volumes for a 10Gi database", async () => {
        assert.deepEqual((await runPolicy(drillScratchSufficient, contractStack())).mandatory, []);
    });

    it("refuses a scratch emptyDir (the node's root disk)", async () => {
        const r = await runPolicy(drillScratchSufficient, drill((p) => {
            podOf(p).volumes = (podOf(p).volumes as Props[]).map((v) => v.name === "work" ? { name: "work", emptyDir: { sizeLimit: "10Gi" } } : v);
        }));
        assert.match(r.text, /CronJob backend-dr\/ternent-postgres-restore-drill restores into an emptyDir at \/ternent\/work: the node's root disk/);
    });

    it("refuses a scratch volume smaller than 1.5 x the database volume, and follows minScratchFactor", async () => {
        const small = drill((p) => {
            const work = (podOf(p).volumes as Props[]).find((v) => v.name === "work")!;
            (((work.ephemeral as Props).volumeClaimTemplate as Props).spec as Props).resources = { requests: { storage: "12Gi" } };
        });
        const r = await runPolicy(drillScratchSufficient, small);
        assert.match(r.text, /scratch volume at \/ternent\/work holds 12 GiB, less than 1\.5 × the database's 10 GiB volume \(15 GiB\)/);
        assert.equal((await runPolicy(drillScratchSufficient, small, { config: { minScratchFactor: 1.2 } })).mandatory.length, 0);
        const bigger = sts((p) => {
            (((p.spec as Props).volumeClaimTemplates as Props[])[0].spec as Props).resources = { requests: { storage: "20Gi" } };
        });
        assert.match((await runPolicy(drillScratchSufficient, bigger)).text, /less than 1\.5 × the database's 20 GiB volume/);
    });
});

describe("policy container-images-pinned: digests", () => {
    it("accepts images pinned by digest, with or without a tag", async () => {
        const digest = `sha256:${"0f".repeat(32)}`;
        const r = await runPolicy(containerImagesPinned, sts((p) => {
            containerOf(p).image = `postgres:15.18-bookworm@${digest}`;
            (podOf(p).initContainers as Props[])[0].image = `curlimages/curl@${digest}`;
        }));
        assert.deepEqual(r.mandatory, []);
    });
});
