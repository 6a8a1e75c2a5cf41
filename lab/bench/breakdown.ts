/**
 * Where a WAL-G restore's time per WAL segment goes (lab/bench-peers.ts, after the rounds): K real
 * segments of the load (copied from the floor's local archive) are pushed once into local file
 * storage (WALG_FILE_PREFIX) and into the bucket under three settings, then fetched back:
 *   - process start: `wal-g wal-fetch` of a segment that does not exist, file storage (exit 74): the
 *     cost of one wal-g process (start-up, configuration, storage set-up) that every segment pays when
 *     restore_command starts one
 *   - through one `wal-g daemon` (no process per segment), file storage:
 *       none, no encryption   = reading and writing 16 MiB
 *       the rendered compression (lz4, brotli…), no encryption  - the above = decompression
 *       compression + libsodium  - compression alone = decryption
 *   - through the daemon from the bucket (TLS), compression + libsodium - the same from file storage = the
 *     transfer (S3 GET over TLS on loopback)
 * Pushes are timed too (one process per segment, as archive_command runs them): compression and
 * encryption on the archiving side. Every measure is repeated `repeats` times (median, min, max).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { chownTree, run, track, waitFor } from "..";
import { BenchContext, ensureOk } from "./tools";

const now = (): number => performance.now() / 1000;

interface Setting {
    name: string;
    env: Record<string, string>;
    store: "file" | "s3";
}

export async function walgBreakdown(c: BenchContext, segmentsDir: string, repeats: number, stat: (v: number[]) => unknown) {
    const segs = fs.readdirSync(segmentsDir).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();
    if (segs.length === 0) throw new Error(`breakdown: no WAL segments in ${segmentsDir}`);
    const dir = path.join(c.root, "breakdown");
    const pgdata = path.join(dir, "pgdata");
    fs.mkdirSync(path.join(pgdata, "pg_wal"), { recursive: true });
    const client = path.join(c.scriptsDir, "walg-daemon-client.pl");
    if (c.osUser) {
        for (const p of [dir, pgdata, path.join(pgdata, "pg_wal")]) fs.chownSync(p, c.osUser.uid, c.osUser.gid);
        chownTree(segmentsDir, c.osUser);
    }
    const base = (s: Setting): NodeJS.ProcessEnv => {
        const env: NodeJS.ProcessEnv = {
            PATH: "/usr/bin:/bin",
            HOME: dir,
            PGDATA: pgdata,
            ...c.walgSettings,
            ...s.env,
        };
        if (s.store === "file") {
            env.WALG_FILE_PREFIX = path.join(dir, `store-${s.name}`);
        } else {
            Object.assign(env, {
                WALG_S3_PREFIX: `s3://${c.bucket}/breakdown-${s.name}`,
                AWS_ENDPOINT: c.minio.endpoint,
                AWS_REGION: "us-east-1",
                AWS_ACCESS_KEY_ID: c.keys.rw.id,
                AWS_SECRET_ACCESS_KEY: c.keys.rw.secret,
                AWS_S3_FORCE_PATH_STYLE: "true",
                WALG_S3_CA_CERT_FILE: c.minio.ca,
            });
        }
        if (s.env.WALG_LIBSODIUM_KEY === undefined && s.name.includes("sodium")) Object.assign(env, { WALG_LIBSODIUM_KEY: c.libsodiumKey, WALG_LIBSODIUM_KEY_TRANSFORM: "hex" });
        return env;
    };
    const walg = path.join(c.binDir, "wal-g");
    // the compression the program renders (ConfigMap ternent-postgres-walg)
    const method = c.walgSettings.WALG_COMPRESSION_METHOD ?? "lz4";
    const settings: Setting[] = [
        { name: "none-plain", env: { WALG_COMPRESSION_METHOD: "none" }, store: "file" },
        { name: `${method}-plain`, env: { WALG_COMPRESSION_METHOD: method }, store: "file" },
        { name: `${method}-sodium`, env: { WALG_COMPRESSION_METHOD: method }, store: "file" },
        { name: `${method}-sodium-s3`, env: { WALG_COMPRESSION_METHOD: method }, store: "s3" },
    ];
    for (const s of settings.filter((x) => x.store === "file")) {
        fs.mkdirSync(path.join(dir, `store-${s.name}`));
        if (c.osUser) fs.chownSync(path.join(dir, `store-${s.name}`), c.osUser.uid, c.osUser.gid);
    }
    const push: Record<string, number[]> = {};
    const fetch: Record<string, number[]> = {};
    const start: number[] = [];
    // push once per setting (timed per repeat only for the first push; storage must hold each segment once)
    for (const s of settings) {
        const t = now();
        for (const seg of segs) {
            ensureOk(`wal-g wal-push (${s.name})`, await run(walg, ["wal-push", path.join(segmentsDir, seg)], { env: base(s), user: c.osUser, cwd: dir, timeoutMs: 300_000 }));
        }
        push[s.name] = [(now() - t) / segs.length];
    }
    for (let r = 0; r < repeats; r++) {
        // process start: a wal-fetch of a segment that is not there
        let t = now();
        for (let i = 0; i < segs.length; i++) {
            const res = await run(walg, ["wal-fetch", "00000063000000630000006" + (i % 10), path.join(dir, "missing")], { env: base(settings[1]), user: c.osUser, cwd: dir, timeoutMs: 300_000 });
            if (res.code !== 74) throw new Error(`breakdown: wal-fetch of a missing segment exited ${res.code}, not 74: ${res.stderr.slice(-500)}`);
        }
        start.push((now() - t) / segs.length);
        for (const s of settings) {
            const sock = path.join(dir, `d-${s.name}.sock`);
            const d: ChildProcess = spawn(walg, ["daemon", sock], { env: base(s), detached: true, stdio: "ignore", uid: c.osUser?.uid, gid: c.osUser?.gid, cwd: dir });
            track(d);
            try {
                await waitFor(`wal-g daemon ${sock}`, async () => {
                    if (d.exitCode !== null) throw new Error(`wal-g daemon exited ${d.exitCode}`);
                    return fs.existsSync(sock);
                }, 30_000, 50);
                t = now();
                for (const seg of segs) {
                    ensureOk(`daemon wal-fetch ${seg} (${s.name})`, await run("perl", [client, sock, "f", seg, `pg_wal/${seg}`], { user: c.osUser, timeoutMs: 300_000 }));
                }
                (fetch[s.name] ??= []).push((now() - t) / segs.length);
                for (const seg of segs) fs.rmSync(path.join(pgdata, "pg_wal", seg), { force: true });
            } finally {
                try {
                    process.kill(-d.pid!, "SIGTERM");
                } catch {
                    /* gone */
                }
            }
        }
    }
    // one perl client start per segment is inside the daemon figures: measure it alone
    let t = now();
    for (let i = 0; i < segs.length; i++) await run("perl", ["-MIO::Socket::UNIX", "-e", "1"]);
    const perlStart = (now() - t) / segs.length;
    t = now();
    for (let i = 0; i < segs.length; i++) await run(walg, ["--version"]);
    const bareStart = (now() - t) / segs.length;
    await c.minio.mc(["rm", "--recursive", "--force", `lab/${c.bucket}/breakdown-${method}-sodium-s3/`]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    const ms = (x: number): number => Math.round(x * 10000) / 10;
    return {
        segments: segs.length,
        repeats,
        compression: method,
        unit: "seconds per 16 MiB segment",
        processStart: stat(start),
        walgVersionOnly: Math.round(bareStart * 10000) / 10000,
        perlClientStart: Math.round(perlStart * 10000) / 10000,
        daemonFetch: Object.fromEntries(Object.entries(fetch).map(([k, v]) => [k, stat(v)])),
        pushPerSegment: Object.fromEntries(Object.entries(push).map(([k, v]) => [k, Math.round(v[0] * 1000) / 1000])),
        perSegmentMs: {
            processStart: ms(med(start)),
            readWrite: ms(med(fetch["none-plain"])),
            decompression: ms(med(fetch[`${method}-plain`]) - med(fetch["none-plain"])),
            decryption: ms(med(fetch[`${method}-sodium`]) - med(fetch[`${method}-plain`])),
            transferTls: ms(med(fetch[`${method}-sodium-s3`]) - med(fetch[`${method}-sodium`])),
        },
    };
}
