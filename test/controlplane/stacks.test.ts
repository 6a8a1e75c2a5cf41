// The rendered objects of dev and prod against a real control plane (etcd, kube-apiserver with the
// default admission plugins including Pod Security, kube-controller-manager), one control plane per
// stack so that their namespaces can never collide. Built by tools/controlplane/build.sh; without it
// these tests skip outside CI and fail under CI=true.

import { strict as assert } from "assert";
import { requireOrSkip } from "../setup/requirements";
import { ControlPlane, controlPlaneSkipReason } from "../../tools/controlplane/cluster";
import { applyOrder, metaOf, RenderedObject, serverSideApply, withIgnoredChanges } from "../../tools/controlplane/apply";
import { applyEach, FIELD_MANAGER, podsOfJob, renderStackFile, renderStackObjects, restrictedFindings, stackValue, startFor } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

const STATEFULSET_REFUSAL = /spec: Forbidden: updates to statefulset spec for fields other than/;

for (const stack of ["dev", "prod"] as const) {
    describe(`control plane: the ${stack} stack's objects on a real API server`, function () {
        this.timeout(180_000);
        let cp: ControlPlane | undefined;
        let objects: RenderedObject[] = [];
        const find = (kind: string, name: string): RenderedObject => {
            const o = objects.find((x) => x.obj.kind === kind && metaOf(x.obj).name === name);
            if (!o) throw new Error(`${stack} renders no ${kind} ${name}`);
            return o;
        };

        before(async function () {
            this.timeout(300_000);
            requireOrSkip(this, controlPlaneSkipReason());
            const rendered = await renderStackFile(stack);
            assert.deepEqual(rendered.patches, [], "dev and prod render no patches");
            objects = applyOrder(rendered.objects);
            cp = await startFor(objects);
        });

        after(async () => {
            await cp?.stop();
        });

        it("accepts every object by server-side apply, with no warning, and stores what was rendered", async () => {
            const { refused, warned, altered } = await applyEach(cp!, objects);
            assert.deepEqual(refused, [], "objects the API server refused");
            assert.deepEqual(warned, [], "warnings of the API server");
            assert.deepEqual(altered, [], "rendered fields the server did not store as sent");
            assert.ok(objects.length >= 15, `${objects.length} objects`);
        });

        it("changes nothing on a second apply (every resourceVersion stays)", async () => {
            const changed: string[] = [];
            for (const o of objects) {
                const m = metaOf(o.obj);
                const before = await cp!.get(String(o.obj.apiVersion), String(o.obj.kind), m.namespace, m.name);
                assert.ok(before, `${o.label} exists`);
                const r = await serverSideApply(cp!, o.obj, { fieldManager: FIELD_MANAGER });
                assert.equal(r.status, 200, `${o.label}: ${r.message}`);
                assert.deepEqual(r.warnings, [], o.label);
                if (r.live.metadata.resourceVersion !== before.metadata.resourceVersion) {
                    changed.push(`${o.label}: resourceVersion ${before.metadata.resourceVersion} -> ${r.live.metadata.resourceVersion}`);
                }
            }
            assert.deepEqual(changed, []);
        });

        it("creates the database pod and, for each CronJob, `kubectl create job --from=cronjob/<name>` creates a pod that Pod Security admits", async () => {
            const sts = find("StatefulSet", "ternent-postgres");
            const ns = metaOf(sts.obj).namespace!;
            await cp!.waitFor(`pod ${ns}/ternent-postgres-0 (StatefulSet controller)`, async () =>
                (await cp!.request("GET", `/api/v1/namespaces/${ns}/pods/ternent-postgres-0`)).status === 200, 90_000);
            const cronJobs = objects.filter((o) => o.obj.kind === "CronJob");
            assert.ok(cronJobs.length >= 6, `${cronJobs.length} CronJobs`);
            const problems: string[] = [];
            for (const cj of cronJobs) {
                const m = metaOf(cj.obj);
                const job = `${m.name}-manual`.slice(0, 63);
                const r = await cp!.kubectl(["-n", m.namespace!, "create", "job", `--from=cronjob/${m.name}`, job]);
                if (r.code !== 0) {
                    problems.push(`${cj.label}: kubectl create job exited ${r.code}: ${r.stderr.trim()}`);
                    continue;
                }
                problems.push(...r.warnings.map((w) => `${cj.label}: warning: ${w}`));
                try {
                    const pods = await podsOfJob(cp!, m.namespace!, job);
                    assert.ok(pods.length >= 1);
                } catch (e) {
                    problems.push(`${cj.label}: ${(e as Error).message}`);
                }
            }
            assert.deepEqual(problems, []);
        });

        it("enforces `restricted` in the DR namespace, and the pods of the primary namespace (where nothing is enforced) meet it too", async () => {
            const drNs = objects.find((o) => o.obj.kind === "Namespace")!;
            const live = await cp!.get("v1", "Namespace", undefined, metaOf(drNs.obj).name);
            assert.equal(live.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
            const primary = metaOf(find("StatefulSet", "ternent-postgres").obj).namespace!;
            const pods = await cp!.must("GET", `/api/v1/namespaces/${primary}/pods`);
            assert.ok(pods.body.items.length >= 5, `${pods.body.items.length} pods in ${primary}`);
            assert.deepEqual(await restrictedFindings(cp!, primary), []);

            // The same check finds a pod that is not `restricted` (so an empty answer above means something).
            await cp!.must("POST", "/api/v1/namespaces", { body: { metadata: { name: "psa-control" } } });
            await cp!.waitFor("serviceaccount psa-control/default", async () =>
                (await cp!.request("GET", "/api/v1/namespaces/psa-control/serviceaccounts/default")).status === 200, 60_000);
            await cp!.must("POST", "/api/v1/namespaces/psa-control/pods", {
                body: { metadata: { name: "root" }, spec: { containers: [{ name: "c", image: "postgres:15.18-bookworm" }] } },
            });
            const findings = await restrictedFindings(cp!, "psa-control");
            assert.ok(findings.some((f) => /^root: .*runAsNonRoot != true/.test(f)), JSON.stringify(findings));
        });

        if (stack === "prod") {
            it("refuses in place what the program declares immutable: serviceName and selector (a replacement, which protect refuses); the claim template only through ignoreChanges", async () => {
                const sts = find("StatefulSet", "ternent-postgres");
                assert.equal(sts.options.protect, true, "prod protects the StatefulSet");
                assert.deepEqual(sts.options.ignoreChanges, ["spec.volumeClaimTemplates"]);
                const postgres = stackValue("prod", "postgres") as Any;
                const variant = async (pg: Any): Promise<Any> => {
                    const r = await renderStackObjects("prod", { postgres: { ...postgres, ...pg } });
                    return r.objects.find((o) => o.obj.kind === "StatefulSet")!.obj;
                };
                const dryRun = async (obj: Any) => serverSideApply(cp!, obj, { fieldManager: FIELD_MANAGER, dryRun: true });

                const serviceName = await dryRun(await variant({ serviceName: "ternent-postgres-other" }));
                assert.equal(serviceName.status, 422, "serviceName");
                assert.match(serviceName.message!, STATEFULSET_REFUSAL);
                const selector = await dryRun(await variant({ selectorLabels: { app: "ternent-postgres" } }));
                assert.equal(selector.status, 422, "selector");
                assert.match(selector.message!, STATEFULSET_REFUSAL);

                // The claim template: refused as such, accepted the way the provider sends it (live value kept).
                const bigger = await variant({ storageSize: "20Gi" });
                const raw = await dryRun(bigger);
                assert.equal(raw.status, 422, "volumeClaimTemplates without ignoreChanges");
                assert.match(raw.message!, STATEFULSET_REFUSAL);
                const live = await cp!.get("apps/v1", "StatefulSet", "backend", "ternent-postgres");
                const sent = await dryRun(withIgnoredChanges(bigger, live, sts.options.ignoreChanges, FIELD_MANAGER));
                assert.equal(sent.status, 200, sent.message);
                assert.equal(sent.live.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "10Gi");

                // What may change in place does (a new image and resources: the pod template).
                const template = await dryRun(await variant({ image: "postgres:15.19-bookworm", resources: { requests: { cpu: "500m" } } }));
                assert.equal(template.status, 200, template.message);
                assert.deepEqual(template.warnings, []);
            });
        }
    });
}
