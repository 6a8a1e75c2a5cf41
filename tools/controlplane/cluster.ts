// A throwaway Kubernetes control plane on loopback for the control-plane tests (test/controlplane/):
// etcd, kube-apiserver (upstream default admission plugins, PodSecurity among them, plus
// NodeRestriction) and kube-controller-manager (the Job, CronJob and StatefulSet controllers and the
// few they need), all built by tools/controlplane/build.sh. Every start gets a new temp directory, a
// throwaway CA and certificates (openssl), free ports on 127.0.0.1 and an admin kubeconfig; stop()
// ends the processes and removes the directory (a Node exit does too). No node and no scheduler run:
// pods are admitted and stored, never scheduled.
//
// TERNENT_CACHE (default ~/.cache/ternent-postgres) locates the binaries; TERNENT_CONTROLPLANE_KEEP=1
// keeps the directory (certificates, logs, kubeconfig) after stop() for debugging.

import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { cacheDir, freePort, run, RunResult, sleep } from "../../lab";

export interface ControlPlaneStatus {
    readonly ok: boolean;
    readonly kubernetes: string;
    readonly etcd: string;
    readonly bin: string;
    /** The kubectl of the same release (build.sh builds it too). */
    readonly kubectl: string;
    readonly reason: string | null;
}

/** Where build.sh puts the binaries and its status.json. */
export function controlPlaneRoot(): string {
    return path.join(cacheDir(), "controlplane");
}

/** Why the control plane cannot be started here (binaries not built, no openssl), or undefined. */
export function controlPlaneSkipReason(): string | undefined {
    const file = path.join(controlPlaneRoot(), "status.json");
    if (!fs.existsSync(file)) {
        return `the control plane is not built (${file} missing): run bash tools/controlplane/build.sh`;
    }
    const status = JSON.parse(fs.readFileSync(file, "utf8")) as ControlPlaneStatus;
    if (!status.ok) return `tools/controlplane/build.sh failed: ${status.reason ?? "unknown reason"}`;
    for (const bin of ["etcd", "kube-apiserver", "kube-controller-manager", "kubectl"]) {
        if (!fs.existsSync(path.join(status.bin, bin))) return `${path.join(status.bin, bin)} missing: run bash tools/controlplane/build.sh`;
    }
    if (!hasCommand("openssl")) return "openssl not found (the certificates are generated with it)";
    return undefined;
}

function hasCommand(cmd: string): boolean {
    try {
        execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

function readStatus(): ControlPlaneStatus {
    const reason = controlPlaneSkipReason();
    if (reason) throw new Error(reason);
    return JSON.parse(fs.readFileSync(path.join(controlPlaneRoot(), "status.json"), "utf8")) as ControlPlaneStatus;
}

// ---------------------------------------------------------------------------------------------
// Processes: each server in its own process group, killed on stop() and on Node's exit.

const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
let exitHook = false;
function installExitHook(): void {
    if (exitHook) return;
    exitHook = true;
    process.on("exit", () => {
        for (const pgid of liveGroups) {
            try {
                process.kill(-pgid, "SIGKILL");
            } catch {
                /* gone */
            }
        }
        if (process.env.TERNENT_CONTROLPLANE_KEEP !== "1") {
            for (const dir of liveDirs) fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    // Node's default action for these signals skips the exit hooks, which would leak the servers.
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
        process.once(signal, () => process.exit(code));
    }
}

interface Server {
    readonly name: string;
    readonly child: ChildProcess;
    readonly log: string;
    exited: boolean;
}

function startServer(name: string, bin: string, args: string[], dir: string): Server {
    installExitHook();
    const log = path.join(dir, `${name}.log`);
    const fd = fs.openSync(log, "a");
    const child = spawn(bin, args, { detached: true, stdio: ["ignore", fd, fd], cwd: dir, env: { ...process.env, HOME: dir } });
    fs.closeSync(fd);
    const server: Server = { name, child, log, exited: false };
    if (child.pid !== undefined) liveGroups.add(child.pid);
    child.once("exit", () => {
        server.exited = true;
        if (child.pid !== undefined) liveGroups.delete(child.pid);
    });
    return server;
}

async function stopServer(s: Server): Promise<void> {
    if (s.exited || s.child.pid === undefined) return;
    const pgid = s.child.pid;
    try {
        process.kill(-pgid, "SIGTERM");
    } catch {
        return;
    }
    for (let i = 0; i < 100 && !s.exited; i++) await sleep(100);
    if (!s.exited) {
        try {
            process.kill(-pgid, "SIGKILL");
        } catch {
            /* gone */
        }
        for (let i = 0; i < 50 && !s.exited; i++) await sleep(100);
    }
    liveGroups.delete(pgid);
}

function tail(file: string, bytes = 4000): string {
    try {
        const text = fs.readFileSync(file, "utf8");
        return text.slice(-bytes);
    } catch {
        return "";
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates (a throwaway CA per start)

function openssl(dir: string, args: string[]): void {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** Issues <name>.crt/<name>.key signed by ca.crt; `sans` like "IP:127.0.0.1,DNS:localhost". */
function issue(dir: string, name: string, subject: string, usage: "server" | "client" | "both", sans?: string): void {
    const ext = [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        `extendedKeyUsage=${usage === "server" ? "serverAuth" : usage === "client" ? "clientAuth" : "serverAuth,clientAuth"}`,
        ...(sans ? [`subjectAltName=${sans}`] : []),
    ].join("\n");
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    openssl(dir, ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.crt`]);
}

function makeCertificates(dir: string): void {
    openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-sha256", "-subj", "/CN=ternent-controlplane-test-ca",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"]);
    issue(dir, "etcd", "/CN=etcd", "both", "IP:127.0.0.1,DNS:localhost");
    issue(dir, "apiserver-etcd-client", "/CN=kube-apiserver-etcd-client", "client");
    issue(dir, "apiserver", "/CN=kube-apiserver", "server",
        "IP:127.0.0.1,IP:10.245.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local");
    issue(dir, "admin", "/O=system:masters/CN=ternent-controlplane-admin", "client");
    issue(dir, "controller-manager", "/CN=system:kube-controller-manager", "client");
    // Service account tokens are signed with this key (kube-apiserver) and checked with its public half.
    openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "sa.key"]);
    openssl(dir, ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
    for (const f of fs.readdirSync(dir)) {
        if (f.endsWith(".key")) fs.chmodSync(path.join(dir, f), 0o600);
    }
}

function kubeconfig(server: string, dir: string, user: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: test",
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority: ${path.join(dir, "ca.crt")}`,
        "users:",
        `- name: ${user}`,
        "  user:",
        `    client-certificate: ${path.join(dir, `${user}.crt`)}`,
        `    client-key: ${path.join(dir, `${user}.key`)}`,
        "contexts:",
        "- name: test",
        "  context:",
        "    cluster: test",
        `    user: ${user}`,
        "current-context: test",
        "",
    ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// The API, through Node's https with the admin certificate

export interface ApiResponse {
    readonly status: number;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly body: any;
    readonly text: string;
    /** The server's Warning headers (text only), e.g. Pod Security warn-mode findings. */
    readonly warnings: string[];
}

export interface RequestOptions {
    readonly body?: unknown;
    readonly contentType?: string;
    readonly query?: Record<string, string>;
}

/** kubectl's result with the warnings it printed to stderr. */
export interface KubectlResult extends RunResult {
    readonly warnings: string[];
}

/** The Kinds that the program renders and the tests touch: GroupVersionKind → REST path segment. */
export interface ResourceInfo {
    readonly plural: string;
    readonly namespaced: boolean;
}

export class ControlPlane {
    private readonly servers: Server[] = [];
    private readonly discovery = new Map<string, Map<string, ResourceInfo>>();
    readonly server: string;
    readonly kubeconfig: string;
    readonly version: string;

    private constructor(readonly dir: string, readonly status: ControlPlaneStatus, port: number) {
        this.server = `https://127.0.0.1:${port}`;
        this.kubeconfig = path.join(dir, "admin.kubeconfig");
        this.version = status.kubernetes;
    }

    /** Starts etcd, kube-apiserver and kube-controller-manager; creates namespace `backend` and the StorageClass. */
    static async start(opts: { namespaces?: string[] } = {}): Promise<ControlPlane> {
        const status = readStatus();
        installExitHook();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-cp-"));
        liveDirs.add(dir);
        const [etcdClient, etcdPeer, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
        const cp = new ControlPlane(dir, status, apiPort);
        try {
            makeCertificates(dir);
            fs.writeFileSync(cp.kubeconfig, kubeconfig(cp.server, dir, "admin"), { mode: 0o600 });
            fs.writeFileSync(path.join(dir, "controller-manager.kubeconfig"), kubeconfig(cp.server, dir, "controller-manager"), { mode: 0o600 });
            const bin = (name: string): string => path.join(status.bin, name);
            const etcdUrl = `https://127.0.0.1:${etcdClient}`;
            const peerUrl = `http://127.0.0.1:${etcdPeer}`;
            cp.servers.push(startServer("etcd", bin("etcd"), [
                "--name=test", `--data-dir=${path.join(dir, "etcd-data")}`,
                `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
                `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=test=${peerUrl}`,
                "--cert-file=etcd.crt", "--key-file=etcd.key", "--client-cert-auth", "--trusted-ca-file=ca.crt",
                "--log-level=warn",
                // Test data: durability is not needed, and fsync is what makes etcd slow on a busy disk.
                "--unsafe-no-fsync",
            ], dir));
            cp.servers.push(startServer("kube-apiserver", bin("kube-apiserver"), [
                "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${apiPort}`,
                `--cert-dir=${path.join(dir, "apiserver-certs")}`,
                "--tls-cert-file=apiserver.crt", "--tls-private-key-file=apiserver.key", "--client-ca-file=ca.crt",
                `--etcd-servers=${etcdUrl}`, "--etcd-cafile=ca.crt", "--etcd-certfile=apiserver-etcd-client.crt", "--etcd-keyfile=apiserver-etcd-client.key",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file=sa.pub", "--service-account-signing-key-file=sa.key",
                "--service-cluster-ip-range=10.245.0.0/16",
                "--authorization-mode=Node,RBAC",
                // The upstream default set (PodSecurity, ServiceAccount, LimitRanger, ResourceQuota,
                // DefaultStorageClass, StorageObjectInUseProtection, webhooks, ...) stays on; NodeRestriction is
                // added as every kubeadm-style cluster does. No PodSecurity configuration file: namespaces
                // without labels are `privileged`, as on a managed cluster.
                "--enable-admission-plugins=NodeRestriction",
                "--allow-privileged=true", "--profiling=false", "--v=1",
            ], dir));
            await cp.waitReady();
            cp.servers.push(startServer("kube-controller-manager", bin("kube-controller-manager"), [
                `--kubeconfig=${path.join(dir, "controller-manager.kubeconfig")}`,
                "--secure-port=0", "--leader-elect=false", "--use-service-account-credentials=true",
                "--service-account-private-key-file=sa.key", "--root-ca-file=ca.crt",
                // What creates the pods and claims under test, and what those need (service accounts, garbage
                // collection of finished jobs' pods, claim binding/protection).
                "--controllers=serviceaccount-token-controller,serviceaccount-controller,namespace-controller,job-controller,cronjob-controller," +
                "statefulset-controller,garbage-collector-controller,ttl-after-finished-controller,persistentvolume-binder-controller," +
                "persistentvolumeclaim-protection-controller,root-ca-certificate-publisher-controller",
                "--v=1",
            ], dir));
            // The namespace the program deploys into exists on the real cluster before the program runs.
            for (const ns of opts.namespaces ?? ["backend"]) {
                await cp.must("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } });
            }
            // DOKS's default StorageClass name (the program's postgres.storageClass default); no provisioner runs.
            await cp.must("POST", "/apis/storage.k8s.io/v1/storageclasses", {
                body: {
                    apiVersion: "storage.k8s.io/v1", kind: "StorageClass",
                    metadata: { name: "do-block-storage", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
                    provisioner: "dobs.csi.digitalocean.com", allowVolumeExpansion: true, reclaimPolicy: "Delete", volumeBindingMode: "Immediate",
                },
            });
            // The ServiceAccount admission refuses pods until the namespace's `default` account exists.
            for (const ns of opts.namespaces ?? ["backend"]) {
                await cp.waitFor(`serviceaccount ${ns}/default (kube-controller-manager)`, async () =>
                    (await cp.request("GET", `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200, 120_000);
            }
            return cp;
        } catch (e) {
            const logs = cp.servers.map((s) => `--- ${s.name} (${s.log}):\n${tail(s.log, 2500)}`).join("\n");
            await cp.stop();
            throw new Error(`control plane did not start: ${(e as Error).message}\n${logs}`, { cause: e });
        }
    }

    private async waitReady(): Promise<void> {
        await this.waitFor("kube-apiserver /readyz", async () => (await this.request("GET", "/readyz")).status === 200, 180_000);
    }

    /** Polls fn until true; fails early with the logs when a server died. */
    async waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        let last = "";
        for (;;) {
            const dead = this.servers.find((s) => s.exited);
            if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${tail(dead.log)}`);
            try {
                if (await fn()) return;
            } catch (e) {
                last = (e as Error).message;
            }
            if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
            await sleep(300);
        }
    }

    /** Stops every process (controller manager, API server, etcd) and removes the directory. */
    async stop(): Promise<void> {
        for (const s of [...this.servers].reverse()) await stopServer(s);
        if (process.env.TERNENT_CONTROLPLANE_KEEP === "1") {
            console.log(`      control plane directory kept: ${this.dir}`);
            return;
        }
        fs.rmSync(this.dir, { recursive: true, force: true });
        liveDirs.delete(this.dir);
    }

    /** The log of one server (for failure messages). */
    logOf(name: "etcd" | "kube-apiserver" | "kube-controller-manager"): string {
        return path.join(this.dir, `${name}.log`);
    }

    request(method: string, apiPath: string, opts: RequestOptions = {}): Promise<ApiResponse> {
        const url = new URL(this.server + apiPath);
        for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
        const payload = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
        return new Promise((resolve, reject) => {
            const req = https.request(url, {
                method,
                ca: fs.readFileSync(path.join(this.dir, "ca.crt")),
                cert: fs.readFileSync(path.join(this.dir, "admin.crt")),
                key: fs.readFileSync(path.join(this.dir, "admin.key")),
                headers: {
                    Accept: "application/json",
                    ...(payload !== undefined ? { "Content-Type": opts.contentType ?? "application/json", "Content-Length": Buffer.byteLength(payload) } : {}),
                },
                timeout: 60_000,
            }, (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (d) => (text += d));
                res.on("end", () => {
                    const warnings: string[] = [];
                    for (let i = 0; i < res.rawHeaders.length; i += 2) {
                        if (res.rawHeaders[i].toLowerCase() === "warning") {
                            // `299 - "text"`
                            const m = /^\d{3} \S+ "(.*)"/.exec(res.rawHeaders[i + 1]);
                            warnings.push(m ? m[1].replace(/\\"/g, "\"") : res.rawHeaders[i + 1]);
                        }
                    }
                    let body: unknown;
                    try {
                        body = text ? JSON.parse(text) : undefined;
                    } catch {
                        body = undefined;
                    }
                    resolve({ status: res.statusCode ?? 0, body, text, warnings });
                });
            });
            req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath}: timeout`)));
            req.on("error", reject);
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    /** request() that throws with the server's message unless the status is 2xx. */
    async must(method: string, apiPath: string, opts: RequestOptions = {}): Promise<ApiResponse> {
        const r = await this.request(method, apiPath, opts);
        if (r.status < 200 || r.status > 299) {
            throw new Error(`${method} ${apiPath}: ${r.status} ${r.body?.message ?? r.text}`);
        }
        return r;
    }

    /** The REST resource of apiVersion/kind (from the server's discovery documents). */
    async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
        let kinds = this.discovery.get(apiVersion);
        if (!kinds) {
            const r = await this.must("GET", apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
            kinds = new Map();
            for (const res of r.body.resources as { name: string; kind: string; namespaced: boolean }[]) {
                if (!res.name.includes("/")) kinds.set(res.kind, { plural: res.name, namespaced: res.namespaced });
            }
            this.discovery.set(apiVersion, kinds);
        }
        const info = kinds.get(kind);
        if (!info) throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
        return info;
    }

    /** The REST path of an object (collection path when name is undefined). */
    async pathOf(apiVersion: string, kind: string, namespace: string | undefined, name?: string): Promise<string> {
        const info = await this.resourceFor(apiVersion, kind);
        const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const ns = info.namespaced ? `/namespaces/${namespace ?? "default"}` : "";
        return `${base}${ns}/${info.plural}${name !== undefined ? `/${name}` : ""}`;
    }

    /** GET an object; undefined when it does not exist. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<any> {
        const r = await this.request("GET", await this.pathOf(apiVersion, kind, namespace, name));
        if (r.status === 404) return undefined;
        if (r.status !== 200) throw new Error(`GET ${kind} ${namespace ?? ""}/${name}: ${r.status} ${r.body?.message ?? r.text}`);
        return r.body;
    }

    /** Runs kubectl against this control plane (`--kubeconfig` added). */
    async kubectl(args: string[], input?: string): Promise<KubectlResult> {
        const r = await run(this.status.kubectl, ["--kubeconfig", this.kubeconfig, ...args], {
            input, timeoutMs: 120_000, env: { ...process.env, HOME: this.dir, KUBECONFIG: this.kubeconfig },
        });
        const warnings = r.stderr.split("\n").filter((l) => /^Warning: /.test(l)).map((l) => l.replace(/^Warning: /, ""));
        return { ...r, warnings };
    }

    /** kubectl that throws with its output unless it exits 0. */
    async kubectlOk(args: string[], input?: string): Promise<KubectlResult> {
        const r = await this.kubectl(args, input);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code ?? r.signal}:\n${r.stderr}${r.stdout}`);
        return r;
    }
}
