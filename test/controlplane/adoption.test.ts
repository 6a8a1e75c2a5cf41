// Adopting the kubectl bundle on a real API server: the bundle's objects are created first, the way
// its README applies them (`kubectl apply`, client-side, and `kubectl create secret generic` for the
// DR Secret), then the prod stack with `adopt: true` goes on top the way pulumi-kubernetes does an
// import followed by an update (tools/controlplane/apply.ts): nothing may be deleted or recreated,
// the StatefulSet and its claim keep their UIDs.

import { strict as assert } from "assert";
import { requireOrSkip } from "../setup/requirements";
import { ControlPlane, controlPlaneSkipReason } from "../../tools/controlplane/cluster";
import {
    applyOrder, differences, importAndUpdate, importReplacements, managersOf, metaOf, RenderedObject, serverSideApply,
} from "../../tools/controlplane/apply";
import { adoptOverrides, BUNDLE_CLAIM, BUNDLE_OBJECTS, createBundle, FIELD_MANAGER, inventory, renderStackObjects } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

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
        await createBundle(cp);
        before_ = await inventory(cp);
    });

    after(async () => {
        await cp?.stop();
    });

    it("has every object the seed names, and the claim, before the program runs", () => {
        for (const id of [...BUNDLE_OBJECTS, BUNDLE_CLAIM]) assert.ok(before_.has(id), `${id} missing; have ${[...before_.keys()].join(", ")}`);
    });

    it("renders prod with adopt: true and the immutable fields read from the live StatefulSet (migration step 1): it imports exactly the bundle's objects", async () => {
        const rendered = await renderStackObjects("prod", await adoptOverrides(cp!, "prod"));
        objects = applyOrder(rendered.objects);
        const imported = objects.filter((o) => o.options.import).map(objectId).sort();
        assert.deepEqual(imported, [...BUNDLE_OBJECTS].sort());
        for (const o of objects.filter((x) => x.options.import)) {
            const m = metaOf(o.obj);
            assert.equal(o.options.import, m.namespace ? `${m.namespace}/${m.name}` : m.name, objectId(o));
            assert.equal(o.options.retainOnDelete, true, objectId(o));
        }
    });

    it("sends every field the provider replaces an object for as the bundle has it (an imported object cannot be replaced)", async () => {
        assert.ok(objects.length > 0, "rendered in the previous test");
        const replaced: string[] = [];
        for (const o of objects.filter((x) => x.options.import)) {
            const m = metaOf(o.obj);
            replaced.push(...importReplacements(o, await cp!.get(String(o.obj.apiVersion), String(o.obj.kind), m.namespace, m.name)));
        }
        assert.deepEqual(replaced, []);
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
        assert.equal(claim.metadata.uid, before_.get(BUNDLE_CLAIM));
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
