// Adopting the kubectl bundle on a real API server: the bundle's objects are created first, the way
// its README applies them (`kubectl apply`, client-side, and `kubectl create secret generic` for the
// DR Secret), then the prod stack with `adopt: true` goes on top the way pulumi-kubernetes does an
// import followed by an update (tools/controlplane/apply.ts): nothing may be deleted or recreated,
// the StatefulSet and its claim keep their UIDs.

import { strict as assert } from "assert";
import * as path from "path";
import { requireOrSkip } from "../setup/requirements";
import { ControlPlane, controlPlaneSkipReason } from "../../tools/controlplane/cluster";
import {
    applyOrder, differences, importAndUpdate, managersOf, metaOf, RenderedObject, serverSideApply,
} from "../../tools/controlplane/apply";
import { FIELD_MANAGER, renderStackObjects, stackValue } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

const BUNDLE = path.join(__dirname, "fixtures", "bundle.yaml");
/** What the seed says the bundle created, by kind and namespace/name (program.test.ts checks the imports). */
const BUNDLE_OBJECTS = [
    "Secret backend/ternent-postgres", "Secret backend/ternent-postgres-backup", "ConfigMap backend/ternent-postgres",
    "Service backend/ternent-postgres", "StatefulSet backend/ternent-postgres", "NetworkPolicy backend/ternent-postgres",
    "CronJob backend/ternent-postgres-backup", "Namespace backend-dr", "Secret backend-dr/ternent-postgres-backup",
    "CronJob backend-dr/ternent-postgres-restore-drill", "CronJob backend-dr/ternent-postgres-pitr-drill",
];
const CLAIM = "PersistentVolumeClaim backend/data-ternent-postgres-0";

/** Every object of the kinds involved in both namespaces (and the DR namespace itself): label → UID. */
async function inventory(cp: ControlPlane): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const kinds: [string, string][] = [["v1", "Secret"], ["v1", "ConfigMap"], ["v1", "Service"], ["v1", "PersistentVolumeClaim"],
        ["apps/v1", "StatefulSet"], ["batch/v1", "CronJob"], ["networking.k8s.io/v1", "NetworkPolicy"]];
    for (const ns of ["backend", "backend-dr"]) {
        for (const [apiVersion, kind] of kinds) {
            const list = await cp.must("GET", await cp.pathOf(apiVersion, kind, ns));
            for (const item of list.body.items as Any[]) {
                if (item.metadata.deletionTimestamp) continue;
                out.set(`${kind} ${ns}/${item.metadata.name}`, item.metadata.uid);
            }
        }
    }
    const dr = await cp.get("v1", "Namespace", undefined, "backend-dr");
    if (dr && !dr.metadata.deletionTimestamp) out.set("Namespace backend-dr", dr.metadata.uid);
    return out;
}

function objectId(o: RenderedObject): string {
    const m = metaOf(o.obj);
    return `${String(o.obj.kind)} ${m.namespace ? `${m.namespace}/` : ""}${m.name}`;
}

describe("control plane: adopting the kubectl bundle (adopt: true) on a real API server", function () {
    this.timeout(180_000);
    let cp: ControlPlane | undefined;
    let before_: Map<string, string> = new Map();
    let objects: RenderedObject[] = [];

    before(async function () {
        this.timeout(300_000);
        requireOrSkip(this, controlPlaneSkipReason());
        cp = await ControlPlane.start({ namespaces: ["backend"] });
        // The seed's steps 1-8 and 10-11 (one file here), then step 9.
        const applied = await cp.kubectlOk(["apply", "-f", BUNDLE]);
        assert.deepEqual(applied.warnings, [], "warnings while applying the bundle");
        await cp.kubectlOk(["-n", "backend-dr", "create", "secret", "generic", "ternent-postgres-backup",
            "--from-literal=WALG_S3_PREFIX=s3://ternent-postgres-backups/ternent-postgres",
            "--from-literal=AWS_ACCESS_KEY_ID=bundle-placeholder-key-id", "--from-literal=AWS_SECRET_ACCESS_KEY=bundle-placeholder-secret",
            "--from-literal=AWS_ENDPOINT=https://fra1.digitaloceanspaces.com", "--from-literal=AWS_REGION=fra1"]);
        // The StatefulSet controller creates the pod and, from the claim template, its claim.
        await cp.waitFor("claim backend/data-ternent-postgres-0 and pod ternent-postgres-0", async () =>
            (await cp!.request("GET", "/api/v1/namespaces/backend/persistentvolumeclaims/data-ternent-postgres-0")).status === 200 &&
            (await cp!.request("GET", "/api/v1/namespaces/backend/pods/ternent-postgres-0")).status === 200, 120_000);
        before_ = await inventory(cp);
    });

    after(async () => {
        await cp?.stop();
    });

    it("has every object the seed names, and the claim, before the program runs", () => {
        for (const id of [...BUNDLE_OBJECTS, CLAIM]) assert.ok(before_.has(id), `${id} missing; have ${[...before_.keys()].join(", ")}`);
    });

    it("renders prod with adopt: true and the immutable fields read from the live StatefulSet (migration step 1): it imports exactly the bundle's objects", async () => {
        const sts = await cp!.get("apps/v1", "StatefulSet", "backend", "ternent-postgres");
        const template = sts.spec.volumeClaimTemplates[0];
        const postgres = stackValue("prod", "postgres") as Any;
        const spaces = stackValue("prod", "spaces") as Any;
        const rendered = await renderStackObjects("prod", {
            adopt: true,
            postgresPassword: { secure: "v1:the-bundle-password" },
            spaces: { ...spaces, prefix: "ternent-postgres-encrypted" },
            postgres: {
                ...postgres,
                selectorLabels: sts.spec.selector.matchLabels,
                serviceName: sts.spec.serviceName,
                volumeClaimTemplate: template.metadata.name,
                storageSize: template.spec.resources.requests.storage,
                storageClass: template.spec.storageClassName,
            },
        });
        objects = applyOrder(rendered.objects);
        const imported = objects.filter((o) => o.options.import).map(objectId).sort();
        assert.deepEqual(imported, [...BUNDLE_OBJECTS].sort());
        for (const o of objects.filter((x) => x.options.import)) {
            const m = metaOf(o.obj);
            assert.equal(o.options.import, m.namespace ? `${m.namespace}/${m.name}` : m.name, objectId(o));
            assert.equal(o.options.retainOnDelete, true, objectId(o));
        }
    });

    it("takes the bundle's objects over in place and creates the rest: all accepted, no warning, each object as rendered", async () => {
        assert.ok(objects.length > 0, "rendered in the previous test");
        const refused: string[] = [];
        const warned: string[] = [];
        const altered: string[] = [];
        for (const o of objects) {
            const r = o.options.import ? await importAndUpdate(cp!, o, FIELD_MANAGER) : await serverSideApply(cp!, o.obj, { fieldManager: FIELD_MANAGER });
            if (r.status !== 200 && r.status !== 201) {
                refused.push(`${o.label}: ${r.status} ${r.message}`);
                continue;
            }
            warned.push(...r.warnings.map((w) => `${o.label}: ${w}`));
            // The claim template is ignored (ignoreChanges): it keeps the bundle's.
            const expected = o.obj.kind === "StatefulSet" ? { ...o.obj, spec: { ...(o.obj.spec as Any), volumeClaimTemplates: undefined } } : o.obj;
            altered.push(...differences(JSON.parse(JSON.stringify(expected)), r.live).map((d) => `${o.label}: ${d}`));
        }
        assert.deepEqual(refused, [], "objects the API server refused");
        assert.deepEqual(warned, [], "warnings of the API server");
        assert.deepEqual(altered, [], "rendered fields the live objects do not carry");
    });

    it("deletes and recreates nothing: every bundle object and the claim keep their UIDs", async () => {
        const after_ = await inventory(cp!);
        const lost: string[] = [];
        for (const [id, uid] of before_) {
            if (after_.get(id) !== uid) lost.push(`${id}: ${uid} -> ${after_.get(id) ?? "gone"}`);
        }
        assert.deepEqual(lost, []);
        const claim = await cp!.get("v1", "PersistentVolumeClaim", "backend", "data-ternent-postgres-0");
        assert.equal(claim.metadata.uid, before_.get(CLAIM));
        assert.equal(claim.metadata.deletionTimestamp, undefined);
    });

    it("leaves no field to the bundle's kubectl managers and drops its last-applied annotation", async () => {
        const left: string[] = [];
        for (const o of objects.filter((x) => x.options.import)) {
            const m = metaOf(o.obj);
            const live = await cp!.get(String(o.obj.apiVersion), String(o.obj.kind), m.namespace, m.name);
            const kubectl = managersOf(live).filter((x) => x.startsWith("kubectl"));
            if (kubectl.length > 0) left.push(`${o.label}: ${kubectl.join(", ")}`);
            if (live.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]) left.push(`${o.label}: last-applied-configuration`);
        }
        assert.deepEqual(left, []);
    });

    it("changes nothing on a second apply", async () => {
        const changed: string[] = [];
        for (const o of objects) {
            const m = metaOf(o.obj);
            const prev = await cp!.get(String(o.obj.apiVersion), String(o.obj.kind), m.namespace, m.name);
            const r = o.options.import ? await importAndUpdate(cp!, o, FIELD_MANAGER) : await serverSideApply(cp!, o.obj, { fieldManager: FIELD_MANAGER });
            assert.equal(r.status, 200, `${o.label}: ${r.message}`);
            assert.deepEqual(r.warnings, [], o.label);
            if (r.live.metadata.resourceVersion !== prev.metadata.resourceVersion) changed.push(o.label);
        }
        assert.deepEqual(changed, []);
    });
});
