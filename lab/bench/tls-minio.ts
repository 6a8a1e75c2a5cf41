/**
 * MinIO on loopback with TLS for the peer benchmark (lab/bench-peers.ts): pgBackRest only talks https,
 * so every tool in the comparison goes through the same https endpoint. A throwaway CA and a server
 * certificate for `localhost` (pgBackRest 2.45 checks the host name, not an IP SAN) are made with
 * openssl; MinIO gets a single static KMS key so barman-cloud's `-e AES256` (server-side encryption)
 * works. Everything lives in one temp directory and goes with it.
 */
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { RunResult, findTool, freePort, run, runOk, track, waitFor } from "..";

export interface TlsMinioKeys {
    id: string;
    secret: string;
}

/** A throwaway CA and a certificate for localhost (and 127.0.0.1), valid for two days. */
export async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
    fs.mkdirSync(dir, { recursive: true });
    const p = (f: string): string => path.join(dir, f);
    const ext = p("server.ext");
    fs.writeFileSync(ext, [
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "basicConstraints=CA:FALSE",
        "keyUsage=digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        "",
    ].join("\n"));
    const ossl = (args: string[]): Promise<RunResult> => runOk("openssl", args, { timeoutMs: 60_000 });
    await ossl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2", "-subj", "/CN=ternent bench throwaway CA"]);
    await ossl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("private.key"), "-out", p("server.csr"), "-subj", "/CN=localhost"]);
    await ossl(["x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("public.crt"), "-days", "2", "-extfile", ext]);
    for (const f of ["ca.crt", "public.crt"]) fs.chmodSync(p(f), 0o644);
    return { ca: p("ca.crt"), cert: p("public.crt"), key: p("private.key") };
}

export class TlsMinio {
    readonly rootUser = "benchroot";
    readonly rootPassword = crypto.randomBytes(12).toString("hex");
    port = 0;
    private proc?: ChildProcess;

    private constructor(readonly dir: string, readonly ca: string) {}

    /** Start MinIO with the certificate in dir/certs (made here) and a static KMS key. */
    static async start(dir: string): Promise<TlsMinio> {
        fs.mkdirSync(path.join(dir, "data"), { recursive: true });
        const certs = await makeCertificates(path.join(dir, "pki"));
        const certsDir = path.join(dir, "certs");
        fs.mkdirSync(path.join(certsDir, "CAs"), { recursive: true });
        fs.copyFileSync(certs.cert, path.join(certsDir, "public.crt"));
        fs.copyFileSync(certs.key, path.join(certsDir, "private.key"));
        fs.copyFileSync(certs.ca, path.join(certsDir, "CAs", "ca.crt"));
        // mc trusts the CAs in its config directory.
        fs.mkdirSync(path.join(dir, "mc", "certs", "CAs"), { recursive: true });
        fs.copyFileSync(certs.ca, path.join(dir, "mc", "certs", "CAs", "ca.crt"));
        const m = new TlsMinio(dir, certs.ca);
        m.port = await freePort();
        const consolePort = await freePort();
        const log = fs.openSync(path.join(dir, "minio.log"), "a");
        m.proc = spawn(
            findTool("minio"),
            ["server", "--quiet", "--certs-dir", certsDir, "--address", `127.0.0.1:${m.port}`, "--console-address", `127.0.0.1:${consolePort}`, path.join(dir, "data")],
            {
                detached: true,
                stdio: ["ignore", log, log],
                env: {
                    PATH: process.env.PATH,
                    HOME: dir,
                    MINIO_ROOT_USER: m.rootUser,
                    MINIO_ROOT_PASSWORD: m.rootPassword,
                    MINIO_BROWSER: "off",
                    MINIO_UPDATE: "off",
                    // One static key: enough for SSE-S3 (barman-cloud -e AES256); not a production KMS.
                    MINIO_KMS_SECRET_KEY: `bench-key:${crypto.randomBytes(32).toString("base64")}`,
                },
            },
        );
        fs.closeSync(log);
        track(m.proc);
        await waitFor(`MinIO (TLS) on ${m.endpoint}`, async () => {
            if (m.proc?.exitCode !== null) throw new Error(`MinIO exited: ${fs.readFileSync(path.join(dir, "minio.log"), "utf8").slice(-2000)}`);
            return (await m.healthy()) === 200;
        }, 60_000, 200);
        return m;
    }

    /** https://localhost:PORT: the name the certificate is for. */
    get endpoint(): string {
        return `https://localhost:${this.port}`;
    }

    private healthy(): Promise<number | undefined> {
        return new Promise((resolve) => {
            const req = https.get(`${this.endpoint}/minio/health/ready`, { ca: fs.readFileSync(this.ca), timeout: 2000 }, (res) => {
                res.resume();
                resolve(res.statusCode);
            });
            req.on("error", () => resolve(undefined));
            req.on("timeout", () => req.destroy());
        });
    }

    mcEnv(keys?: TlsMinioKeys): NodeJS.ProcessEnv {
        const id = keys?.id ?? this.rootUser;
        const secret = keys?.secret ?? this.rootPassword;
        return {
            PATH: process.env.PATH,
            HOME: this.dir,
            MC_CONFIG_DIR: path.join(this.dir, "mc"),
            MC_HOST_lab: `https://${id}:${secret}@localhost:${this.port}`,
            MC_NO_COLOR: "1",
        };
    }

    async mc(args: string[], timeoutMs = 600_000): Promise<RunResult> {
        const r = await run(findTool("mc"), args, { env: this.mcEnv(), timeoutMs });
        if (r.code !== 0) throw new Error(`mc ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
        return r;
    }

    /** A user limited to the bucket: "rw" (s3:*) or "ro" (get and list), like the lab's. */
    async addUser(keys: TlsMinioKeys, access: "rw" | "ro", bucket: string): Promise<void> {
        const actions = access === "rw" ? ["s3:*"] : ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"];
        const name = `bench-${access}`;
        const file = path.join(this.dir, `${name}.json`);
        fs.writeFileSync(file, JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }] }));
        await this.mc(["admin", "user", "add", "lab", keys.id, keys.secret]);
        await this.mc(["admin", "policy", "create", "lab", name, file]);
        await this.mc(["admin", "policy", "attach", "lab", name, "--user", keys.id]);
    }

    /** Bytes and object count under bucket/prefix. */
    async usage(bucket: string, prefix: string): Promise<{ bytes: number; objects: number }> {
        const r = await this.mc(["ls", "--recursive", "--json", `lab/${bucket}/${prefix}`]);
        let bytes = 0;
        let objects = 0;
        for (const line of r.stdout.split("\n")) {
            if (!line.trim()) continue;
            const o = JSON.parse(line);
            if (o.type !== "file") continue;
            bytes += o.size;
            objects++;
        }
        return { bytes, objects };
    }

    async stop(): Promise<void> {
        const p = this.proc;
        if (!p || p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise<void>((r) => p.once("exit", () => r()));
        p.kill("SIGTERM");
        const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(t);
    }
}
