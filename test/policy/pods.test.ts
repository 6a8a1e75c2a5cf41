import { strict as assert } from "assert";
import { containerImagesPinned } from "../../policy/policies/container-images-pinned";
import { podSecurityRestricted } from "../../policy/policies/pod-security-restricted";
import { postgresVolumeRetained } from "../../policy/policies/postgres-volume-retained";
import { statefulResourcesProtected } from "../../policy/policies/stateful-resources-protected";
import { CapturedResource } from "../../tools/harness";
import { containerOf, contractStack, edit, editResource, podOf } from "./fixtures";
import { runPolicy } from "./run-policy";

type Props = Record<string, unknown>;

const sts = (change: (p: Props) => void) => edit(contractStack(), "postgres-statefulset", change);
const security = (p: Props) => containerOf(p).securityContext as Props;

function generationPvc(stack: CapturedResource[], protect: boolean): CapturedResource[] {
    const pg = stack.find((r) => r.name === "postgres-statefulset")!;
    return [...stack, {
        ...pg, urn: "urn:pulumi:prod::ternent-postgres::ternent-postgres:index:Recovery$kubernetes:core/v1:PersistentVolumeClaim::recovery-data-g1",
        type: "kubernetes:core/v1:PersistentVolumeClaim", name: "recovery-data-g1",
        inputs: { metadata: { name: "ternent-postgres-data-g1", namespace: "backend" } }, outputs: { metadata: { name: "ternent-postgres-data-g1", namespace: "backend" } },
        options: { ...pg.options, protect },
    }];
}

describe("policy stateful-resources-protected", () => {
    it("passes a prod stack whose stateful resources are protected", async () => {
        assert.equal((await runPolicy(statefulResourcesProtected, contractStack())).mandatory.length, 0);
    });

    it("refuses an unprotected bucket in prod, saying what would be lost and which key fixes it", async () => {
        const r = await runPolicy(statefulResourcesProtected, editResource(contractStack(), "storage-bucket", (x) => ({ ...x, options: { ...x.options, protect: false } })));
        assert.equal(r.mandatory.length, 1);
        assert.match(r.mandatory[0].urn, /SpacesBucket::storage-bucket$/);
        assert.match(r.text, /SpacesBucket storage-bucket is not protected in a production stack \(stack prod is listed in prodStacks\): deleting or replacing it deletes every backup/);
        assert.match(r.text, /ternent-postgres:protect: true in Pulumi\.prod\.yaml/);
    });

    it("refuses every unprotected stateful resource of an unprotected prod stack", async () => {
        const r = await runPolicy(statefulResourcesProtected, contractStack({ protect: false }));
        const names = r.mandatory.map((d) => d.urn.replace(/.*::/, "")).sort();
        assert.deepEqual(names, ["dr-backup-secret", "postgres-backup-secret", "postgres-credentials", "postgres-password",
            "postgres-statefulset", "storage-bucket", "storage-walg-libsodium-key"]);
    });

    it("leaves a dev stack alone", async () => {
        const r = await runPolicy(statefulResourcesProtected, contractStack({ stack: "dev" }));
        assert.equal(r.diagnostics.length, 0);
        assert.ok(r.notApplicable.some((n) => /stack dev is not in prodStacks/.test(n.reason ?? "")));
    });

    it("treats a stack tagged environment=production as production", async () => {
        const r = await runPolicy(statefulResourcesProtected, contractStack({ stack: "live", protect: false }), { tags: { environment: "production" } });
        assert.ok(r.mandatory.length > 0);
        assert.match(r.text, /stack tag environment=production/);
    });

    it("takes production stack names from prodStacks", async () => {
        const r = await runPolicy(statefulResourcesProtected, contractStack({ stack: "live", protect: false }),
            { config: { prodStacks: ["live"] } });
        assert.ok(r.mandatory.length > 0);
    });

    it("refuses an unprotected generation PVC in prod", async () => {
        const r = await runPolicy(statefulResourcesProtected, generationPvc(contractStack(), false));
        assert.match(r.text, /PersistentVolumeClaim backend\/ternent-postgres-data-g1 is not protected/);
    });

    it("leaves a one-off recovery Secret (component restore) unprotected, so removing the recovery can delete it", async () => {
        const stack = editResource(contractStack(), "dr-backup-secret", (x) => ({ ...x, options: { ...x.options, protect: false } }));
        const restoreCopy = edit(stack, "dr-backup-secret", (p) => {
            ((p.metadata as Props).labels as Record<string, string>)["app.kubernetes.io/component"] = "restore";
        });
        assert.equal((await runPolicy(statefulResourcesProtected, stack)).mandatory.length, 1);
        assert.equal((await runPolicy(statefulResourcesProtected, restoreCopy)).mandatory.length, 0);
    });

    it("passes a protected generation PVC in prod", async () => {
        assert.equal((await runPolicy(statefulResourcesProtected, generationPvc(contractStack(), true))).mandatory.length, 0);
    });
});

describe("policy postgres-volume-retained", () => {
    it("passes the default retention of claims", async () => {
        assert.equal((await runPolicy(postgresVolumeRetained, contractStack())).mandatory.length, 0);
    });

    it("refuses whenDeleted: Delete", async () => {
        const r = await runPolicy(postgresVolumeRetained, sts((p) => {
            (p.spec as Props).persistentVolumeClaimRetentionPolicy = { whenDeleted: "Delete", whenScaled: "Retain" };
        }));
        assert.match(r.text, /whenDeleted: Delete: deleting the StatefulSet deletes the database volume/);
    });
});

describe("policy pod-security-restricted", () => {
    it("passes the contract's pods and the DR namespace", async () => {
        assert.equal((await runPolicy(podSecurityRestricted, contractStack())).mandatory.length, 0);
    });

    it("refuses a privileged container", async () => {
        const r = await runPolicy(podSecurityRestricted, sts((p) => {
            security(p).privileged = true;
        }));
        assert.match(r.text, /StatefulSet backend\/ternent-postgres does not meet the restricted Pod Security Standard: container postgres: privileged: true/);
    });

    it("refuses a container that may escalate privileges", async () => {
        const r = await runPolicy(podSecurityRestricted, sts((p) => {
            delete security(p).allowPrivilegeEscalation;
        }));
        assert.match(r.text, /allowPrivilegeEscalation is not false/);
    });

    it("refuses capabilities beyond NET_BIND_SERVICE and a missing drop ALL", async () => {
        const r = await runPolicy(podSecurityRestricted, sts((p) => {
            security(p).capabilities = { add: ["SYS_ADMIN"] };
        }));
        assert.match(r.text, /capabilities\.drop \[\] does not include ALL, capabilities\.add \["SYS_ADMIN"\]/);
    });

    it("refuses root (runAsUser 0) in a CronJob's pod", async () => {
        const r = await runPolicy(podSecurityRestricted, edit(contractStack(), "backups-backup", (p) => {
            (podOf(p).securityContext as Props).runAsUser = 0;
        }));
        assert.match(r.text, /CronJob backend\/ternent-postgres-backup .*securityContext\.runAsUser: 0 runs as root/);
    });

    it("refuses a pod without seccomp RuntimeDefault", async () => {
        const r = await runPolicy(podSecurityRestricted, edit(contractStack(), "drills-restore-drill", (p) => {
            delete (podOf(p).securityContext as Props).seccompProfile;
            for (const c of [...(podOf(p).containers as Props[]), ...(podOf(p).initContainers as Props[])]) {
                delete (c.securityContext as Props).seccompProfile;
            }
        }));
        assert.match(r.text, /no seccompProfile RuntimeDefault\/Localhost/);
    });

    it("refuses hostPath volumes and host namespaces", async () => {
        const r = await runPolicy(podSecurityRestricted, sts((p) => {
            (podOf(p).volumes as Props[]).push({ name: "host", hostPath: { path: "/var/lib" } });
            podOf(p).hostNetwork = true;
        }));
        assert.match(r.text, /hostNetwork: true.*volume "host" is of type hostPath/);
    });

    it("refuses a created namespace that does not enforce restricted", async () => {
        const r = await runPolicy(podSecurityRestricted, edit(contractStack(), "dr-namespace", (p) => {
            (p.metadata as Props).labels = { "pod-security.kubernetes.io/enforce": "baseline" };
        }));
        assert.match(r.text, /Namespace backend-dr does not enforce the restricted profile \(label pod-security\.kubernetes\.io\/enforce is "baseline"\)/);
    });
});

describe("policy container-images-pinned", () => {
    it("passes version tags", async () => {
        assert.equal((await runPolicy(containerImagesPinned, contractStack())).mandatory.length, 0);
    });

    it("refuses postgres:latest", async () => {
        const r = await runPolicy(containerImagesPinned, sts((p) => {
            containerOf(p).image = "postgres:latest";
        }));
        assert.match(r.text, /container postgres of StatefulSet backend\/ternent-postgres uses image "postgres:latest", which is the moving tag latest/);
    });

    it("refuses an installer image without a tag", async () => {
        const r = await runPolicy(containerImagesPinned, sts((p) => {
            (podOf(p).initContainers as Props[])[0].image = "registry.example.com:5000/curl";
        }));
        assert.match(r.text, /"registry\.example\.com:5000\/curl", which has no tag/);
    });

    it("passes an image pinned by digest", async () => {
        const r = await runPolicy(containerImagesPinned, sts((p) => {
            containerOf(p).image = `postgres@sha256:${"a".repeat(64)}`;
        }));
        assert.equal(r.mandatory.length, 0);
    });
});
