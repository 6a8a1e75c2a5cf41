// Shared by the control-plane tests: render a stack (optionally with config overrides) and read its
// objects, start a control plane with the namespaces the program expects to exist, and wait for what
// the controllers create.

import { flattenStackConfig, loadStackFile, runProgram, stackFilePath } from "../../tools/harness";
import { renderRun, renderStack } from "../../tools/render";
import { ControlPlane } from "../../tools/controlplane/cluster";
import { strict as assert } from "assert";
import { differences, existingNamespaces, renderedObjects, RenderedObject, serverSideApply } from "../../tools/controlplane/apply";
import * as yaml from "js-yaml";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Fixed clock of the renders (config validation reads it through TERNENT_NOW). */
export const NOW = "2025-06-15T12:00:00Z";

/** The field manager the tests apply with (the provider's are `pulumi-kubernetes-<random>`). */
export const FIELD_MANAGER = "pulumi-kubernetes-controlplanetest";

export interface StackRender {
    readonly objects: RenderedObject[];
    readonly patches: string[];
}

/** `npm run render -- --stack <stack>` (tools/render.ts renderStack, into a temp dir removed afterwards). */
export async function renderStackFile(stack: string): Promise<StackRender> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-cp-render-"));
    const saved = process.env.TERNENT_NOW;
    process.env.TERNENT_NOW = NOW;
    try {
        const rendered = await renderStack(stack, dir);
        if (rendered.problems.length > 0) throw new Error(`render of ${stack} has schema problems: ${JSON.stringify(rendered.problems)}`);
        return renderedObjects(rendered);
    } finally {
        if (saved === undefined) delete process.env.TERNENT_NOW;
        else process.env.TERNENT_NOW = saved;
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * Renders a stack file of the repository with `overrides` (keys without the project prefix, values
 * as in a stack file) replacing whole top-level keys, as renderStack would render that stack file.
 */
export async function renderStackObjects(stack: string, overrides: Record<string, unknown> = {}): Promise<StackRender> {
    const base = loadStackFile(stackFilePath(stack));
    const extra = flattenStackConfig(overrides);
    const config = { ...base.config, ...extra.config };
    const secretKeys = [...new Set([...base.secretKeys.filter((k) => !(k in extra.config)), ...extra.secretKeys])];
    const run = await runProgram({ stack, now: NOW, config, secretKeys });
    const rendered = renderRun(run, secretKeys);
    if (rendered.problems.length > 0) throw new Error(`render of ${stack} has schema problems: ${JSON.stringify(rendered.problems)}`);
    return renderedObjects(rendered);
}

/** The stack file's value of one key (without the project prefix), parsed. */
export function stackValue(stack: string, key: string): unknown {
    const doc = yaml.load(fs.readFileSync(stackFilePath(stack), "utf8")) as { config?: Record<string, unknown> };
    return doc.config?.[`ternent-postgres:${key}`];
}

/** A control plane with the namespaces the objects need but the program does not create. */
export function startFor(objects: readonly RenderedObject[]): Promise<ControlPlane> {
    return ControlPlane.start({ namespaces: existingNamespaces(objects) });
}

/**
 * Applies every object once, server-side as the provider does, in the given order: what the server
 * refused, the warnings it gave, and the rendered fields it did not store as sent.
 */
export async function applyEach(cp: ControlPlane, objects: readonly RenderedObject[]): Promise<{ refused: string[]; warned: string[]; altered: string[] }> {
    const refused: string[] = [];
    const warned: string[] = [];
    const altered: string[] = [];
    for (const o of objects) {
        const r = await serverSideApply(cp, o.obj, { fieldManager: FIELD_MANAGER });
        if (r.status !== 200 && r.status !== 201) {
            refused.push(`${o.label} (${o.file}): ${r.status} ${r.message}`);
            continue;
        }
        warned.push(...r.warnings.map((w) => `${o.label}: ${w}`));
        altered.push(...differences(o.obj, r.live).map((d) => `${o.label}: ${d}`));
    }
    return { refused, warned, altered };
}

/**
 * Waits until the Job has a pod, or the Job controller reports that it could not create one (Pod
 * Security and the other admission plugins refuse with a FailedCreate event). Returns the pod names
 * or throws with the controller's message.
 */
export async function podsOfJob(cp: ControlPlane, namespace: string, job: string, timeoutMs = 90_000): Promise<string[]> {
    let pods: string[] = [];
    let refused: string | undefined;
    await cp.waitFor(`a pod of job ${namespace}/${job}`, async () => {
        const list = await cp.must("GET", `/api/v1/namespaces/${namespace}/pods`, { query: { labelSelector: `batch.kubernetes.io/job-name=${job}` } });
        pods = (list.body.items as { metadata: { name: string } }[]).map((p) => p.metadata.name);
        if (pods.length > 0) return true;
        const events = await cp.must("GET", `/api/v1/namespaces/${namespace}/events`, { query: { fieldSelector: `involvedObject.name=${job},reason=FailedCreate` } });
        const msgs = (events.body.items as { message: string }[]).map((e) => e.message);
        if (msgs.length > 0) {
            refused = msgs.join("; ");
            return true;
        }
        return false;
    }, timeoutMs);
    if (refused) throw new Error(`job ${namespace}/${job} could not create its pod: ${refused}`);
    return pods;
}

/**
 * What Pod Security would say about the namespace's existing pods under `restricted`: a server-side
 * dry run of the enforce label (the API server answers with one warning per violating pod set).
 */
export async function restrictedFindings(cp: ControlPlane, namespace: string): Promise<string[]> {
    const r = await cp.must("PATCH", `/api/v1/namespaces/${namespace}`, {
        body: { metadata: { labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" } } },
        contentType: "application/merge-patch+json",
        query: { dryRun: "All" },
    });
    return r.warnings;
}

/** The bundle's manifests (test/controlplane/fixtures/bundle.yaml, a reconstruction from the seed). */
export const BUNDLE = path.join(__dirname, "fixtures", "bundle.yaml");

/** What the seed says the bundle created, by kind and namespace/name. */
export const BUNDLE_OBJECTS = [
    "Secret backend/ternent-postgres", "Secret backend/ternent-postgres-backup", "ConfigMap backend/ternent-postgres",
    "Service backend/ternent-postgres", "StatefulSet backend/ternent-postgres", "NetworkPolicy backend/ternent-postgres",
    "CronJob backend/ternent-postgres-backup", "Namespace backend-dr", "Secret backend-dr/ternent-postgres-backup",
    "CronJob backend-dr/ternent-postgres-restore-drill", "CronJob backend-dr/ternent-postgres-pitr-drill",
];

/** The claim the StatefulSet controller makes from the bundle's claim template. */
export const BUNDLE_CLAIM = "PersistentVolumeClaim backend/data-ternent-postgres-0";

/**
 * Creates the bundle the way its README does: `kubectl apply` (client-side) of its files, and step 9's
 * `kubectl create secret generic`; then waits for the StatefulSet controller's pod and claim.
 */
export async function createBundle(cp: ControlPlane): Promise<void> {
    const applied = await cp.kubectlOk(["apply", "-f", BUNDLE]);
    assert.deepEqual(applied.warnings, [], "warnings while applying the bundle");
    await cp.kubectlOk(["-n", "backend-dr", "create", "secret", "generic", "ternent-postgres-backup",
        "--from-literal=WALG_S3_PREFIX=s3://ternent-postgres-backups/ternent-postgres",
        "--from-literal=AWS_ACCESS_KEY_ID=bundle-placeholder-key-id", "--from-literal=AWS_SECRET_ACCESS_KEY=bundle-placeholder-secret",
        "--from-literal=AWS_ENDPOINT=https://fra1.digitaloceanspaces.com", "--from-literal=AWS_REGION=fra1"]);
    await cp.waitFor("claim backend/data-ternent-postgres-0 and pod ternent-postgres-0", async () =>
        (await cp.request("GET", "/api/v1/namespaces/backend/persistentvolumeclaims/data-ternent-postgres-0")).status === 200 &&
        (await cp.request("GET", "/api/v1/namespaces/backend/pods/ternent-postgres-0")).status === 200, 120_000);
}

/** Every object of the kinds involved in both namespaces, and the DR namespace itself: "Kind ns/name" → UID. */
export async function inventory(cp: ControlPlane): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const kinds: [string, string][] = [["v1", "Secret"], ["v1", "ConfigMap"], ["v1", "Service"], ["v1", "PersistentVolumeClaim"],
        ["apps/v1", "StatefulSet"], ["batch/v1", "CronJob"], ["networking.k8s.io/v1", "NetworkPolicy"]];
    for (const ns of ["backend", "backend-dr"]) {
        for (const [apiVersion, kind] of kinds) {
            const list = await cp.must("GET", await cp.pathOf(apiVersion, kind, ns));
            for (const item of list.body.items as { metadata: { name: string; uid: string; deletionTimestamp?: string } }[]) {
                if (item.metadata.deletionTimestamp) continue;
                out.set(`${kind} ${ns}/${item.metadata.name}`, item.metadata.uid);
            }
        }
    }
    const dr = await cp.get("v1", "Namespace", undefined, "backend-dr");
    if (dr && !dr.metadata.deletionTimestamp) out.set("Namespace backend-dr", dr.metadata.uid);
    return out;
}

/**
 * The adopt settings of migration steps 1-3: `adopt: true`, the bundle's password, a new prefix, and the
 * StatefulSet's immutable fields as the live bundle has them (on top of the stack file's values).
 */
export async function adoptOverrides(cp: ControlPlane, stack: string): Promise<Record<string, unknown>> {
    const sts = await cp.get("apps/v1", "StatefulSet", "backend", "ternent-postgres");
    const template = sts.spec.volumeClaimTemplates[0];
    return {
        adopt: true,
        postgresPassword: { secure: "v1:the-bundle-password" },
        spaces: { ...(stackValue(stack, "spaces") as Record<string, unknown>), prefix: "ternent-postgres-encrypted" },
        postgres: {
            ...(stackValue(stack, "postgres") as Record<string, unknown>),
            selectorLabels: sts.spec.selector.matchLabels,
            serviceName: sts.spec.serviceName,
            volumeClaimTemplate: template.metadata.name,
            storageSize: template.spec.resources.requests.storage,
            storageClass: template.spec.storageClassName,
        },
    };
}
