// The ha profile on a real API server: the operator's own postgresql CRD at the pinned version (both
// forms tools/operator-crd/fetch.sh caches) installed, then Pulumi.ha-example.yaml's objects applied
// server-side as the provider does. The server, not our validator, judges the rendered resource here.
// No operator runs: nothing creates the cluster's pods.

import { strict as assert } from "assert";
import { requireOrSkip } from "../setup/requirements";
import { ControlPlane, controlPlaneSkipReason } from "../../tools/controlplane/cluster";
import { applyOrder, metaOf, RenderedObject, serverSideApply } from "../../tools/controlplane/apply";
import { Crd, OPERATOR_RELEASE, operatorCrdSkipReason, operatorCrds } from "../../tools/operator-crd/schema";
import { applyEach, FIELD_MANAGER, renderStackFile, startFor } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/** Installs (or replaces) the CRD and waits until the server serves it. */
async function installCrd(cp: ControlPlane, crd: Crd): Promise<void> {
    const name = "postgresqls.acid.zalan.do";
    const body: Any = { ...(crd as unknown as Any), apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name } };
    delete body.status;
    const r = await cp.request("PATCH", `${CRD_PATH}/${name}`, {
        body: JSON.stringify(body), contentType: "application/apply-patch+yaml", query: { fieldManager: "crd-installer", force: "true" },
    });
    assert.ok(r.status === 200 || r.status === 201, `CRD refused: ${r.status} ${r.text}`);
    await cp.waitFor(`CRD ${name} Established`, async () => {
        const got = await cp.must("GET", `${CRD_PATH}/${name}`);
        return (got.body.status?.conditions ?? []).some((c: Any) => c.type === "Established" && c.status === "True");
    }, 60_000);
}

describe("control plane: the ha profile's objects with the operator's CRD on a real API server", function () {
    this.timeout(180_000);
    let cp: ControlPlane | undefined;
    let objects: RenderedObject[] = [];
    let cluster: RenderedObject;

    before(async function () {
        this.timeout(300_000);
        requireOrSkip(this, controlPlaneSkipReason() ?? operatorCrdSkipReason());
        const rendered = await renderStackFile("ha-example");
        // The two DeploymentPatches scale deploy/ternent-api, which belongs to the application.
        objects = applyOrder(rendered.objects);
        cluster = objects.find((o) => o.obj.kind === OPERATOR_RELEASE.kind)!;
        assert.ok(cluster, "ha-example renders the operator's postgresql resource");
        cp = await startFor(objects);
    });
    after(async () => {
        await cp?.stop();
    });

    for (const form of ["manifest", "registered"] as const) {
        it(`accepts every object with the CRD as the operator ${form === "manifest" ? "ships it (manifests/postgresql.crd.yaml)" : "registers it"}, without a warning, storing what was rendered`, async () => {
            await installCrd(cp!, operatorCrds()[form]);
            const { refused, warned, altered } = await applyEach(cp!, objects);
            assert.deepEqual(refused, []);
            assert.deepEqual(warned, []);
            assert.deepEqual(altered, []);
            const m = metaOf(cluster.obj);
            const live = await cp!.get(OPERATOR_RELEASE.apiVersion, OPERATOR_RELEASE.kind, m.namespace, m.name!);
            assert.equal(live.spec.clone.timestamp, "2025-06-01T06:00:00+00:00");
            assert.equal(live.spec.numberOfInstances, 2);
        });
    }

    it("refuses a clone timestamp without an offset and a field the CRD does not know (the server checks, not only our validator)", async () => {
        const bad = structuredClone(cluster.obj) as Any;
        bad.spec.clone.timestamp = "2025-06-01T06:00:00Z";
        const refused = await serverSideApply(cp!, bad, { fieldManager: FIELD_MANAGER, dryRun: true });
        assert.equal(refused.status, 422, refused.message);
        assert.match(refused.message ?? "", /spec\.clone\.timestamp/);
        const unknown = structuredClone(cluster.obj) as Any;
        unknown.spec.numberOfInstancez = 3;
        // Server-side apply (what the provider uses) builds a typed patch from the schema and refuses the field
        // outright: what tools/operator-crd/schema.ts reports as an unknown field.
        const typo = await serverSideApply(cp!, unknown, { fieldManager: FIELD_MANAGER, dryRun: true });
        assert.ok(typo.status >= 400, `status ${typo.status}`);
        assert.match(typo.message ?? "", /\.spec\.numberOfInstancez: field not declared in schema/);
    });

    it("changes nothing on a second apply", async () => {
        const m = metaOf(cluster.obj);
        const before = await cp!.get(OPERATOR_RELEASE.apiVersion, OPERATOR_RELEASE.kind, m.namespace, m.name!);
        const r = await serverSideApply(cp!, cluster.obj, { fieldManager: FIELD_MANAGER });
        assert.equal(r.status, 200, r.message);
        assert.equal(r.live.metadata.resourceVersion, before.metadata.resourceVersion);
    });
});
