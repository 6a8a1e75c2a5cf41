// ternent-postgres:walg: the pinned WAL-G release, its installer image, compression, concurrency, and
// walg.retries: the one retry policy of every pod that runs wal-g, bounded by maxSeconds.

import { fetchRetryWorstCase, FetchRetryWorstCase, THROTTLE_DELAYS_MS } from "../../policy/lib/walg-retry";
import { DEFAULTS } from "../defaults";
import { show } from "../errors";
import { checkImage, SHA256 } from "../formats";
import { Reader } from "../reader";

const COMPRESSIONS = ["lz4", "zstd", "lzma", "brotli", "none"];

export interface WalgConfig {
    readonly version: string;
    readonly url: string;
    readonly sha256: string;
    readonly installerImage: string;
    readonly compression: string;
    readonly uploadConcurrency: number;
    readonly downloadConcurrency: number;
    /** restore.sh serves restore_command through one `wal-g daemon` (TERNENT_RESTORE_WALG_DAEMON). */
    readonly restoreDaemon: boolean;
    /** The one retry policy of every WAL-G consumer (policy/lib/walg-retry.ts). */
    readonly retries: WalgRetries;
}

/** WAL-G's retries, bounded: every pod that runs wal-g gets the same settings (components/walg.ts walgTuning). */
export interface WalgRetries {
    /** WALG_DOWNLOAD_FILE_RETRIES: rounds backup-fetch retries a file that failed (sleeping 1, 2, 4, 5, … min). */
    readonly fileRetries: number;
    /** WALG_S3_MAX_RETRIES: retries of one S3 request (connection errors, 5xx, throttling). */
    readonly requestRetries: number;
    /** The bound: the worst case below must not exceed it (seconds). */
    readonly maxSeconds: number;
    /** Worst-case wait of backup-fetch on one object that never reads, with these settings and walg.downloadConcurrency. */
    readonly worstCase: FetchRetryWorstCase;
}

export function readWalg(r: Reader, value: unknown): WalgConfig {
    const d = DEFAULTS.walg;
    const o = r.object("walg", value, ["version", "url", "sha256", "installerImage", "compression", "uploadConcurrency", "downloadConcurrency", "restoreDaemon", "retries"]) ?? {};
    const version = r.string("walg.version", o.version, d.version);
    if (!/^v\d+\.\d+\.\d+$/.test(version)) {
        r.problem("walg.version", version, "is not a pinned release: allowed is vMAJOR.MINOR.PATCH (e.g. v3.0.9), never latest");
    }
    const url = r.string("walg.url", o.url, d.url);
    if (!/^https:\/\/[^\s/]+\/\S+$/.test(url)) {
        r.problem("walg.url", url, "is not allowed: must be an https:// URL of a pinned release asset");
    } else if (/\/latest(\/|$)/i.test(url)) {
        r.problem("walg.url", url, "points at \"latest\": allowed is the URL of one pinned release asset (…/releases/download/<version>/<asset>)");
    } else if (!url.includes(version)) {
        r.warn(`${r.key("walg.url")} = ${show(url)} does not mention ${r.key("walg.version")} = ${show(version)}: check that the asset is that release`);
    }
    if ((o.sha256 === undefined && (o.url !== undefined || o.version !== undefined)) || o.sha256 === "") {
        r.problems.push(`${r.key("walg.sha256")} is missing: walg.url/walg.version are set, so the digest of that asset must be set too ` +
            "(allowed: 64 lower-case hex digits, the sha256 of the file walg.url points at)");
    }
    const sha256 = r.string("walg.sha256", o.sha256 === "" ? undefined : o.sha256, d.sha256);
    if (!SHA256.test(sha256)) {
        const why = /^[0-9a-fA-F]{64}$/.test(sha256) ? "has upper-case hex digits" : `has ${sha256.length} characters`;
        r.problem("walg.sha256", sha256, `${why}: allowed are exactly 64 lower-case hex digits (the sha256 of the file walg.url points at)`);
    }
    const installerImage = r.string("walg.installerImage", o.installerImage, d.installerImage);
    const img = checkImage(installerImage);
    if (img.error) {
        r.problem("walg.installerImage", installerImage, img.error);
    }
    const compression = r.oneOf("walg.compression", o.compression, d.compression, COMPRESSIONS);
    const uploadConcurrency = r.integer("walg.uploadConcurrency", o.uploadConcurrency, d.uploadConcurrency, 1, 64);
    const downloadConcurrency = r.integer("walg.downloadConcurrency", o.downloadConcurrency, d.downloadConcurrency, 1, 64);
    const restoreDaemon = r.bool("walg.restoreDaemon", o.restoreDaemon, d.restoreDaemon);
    const retries = readRetries(r, o.retries, downloadConcurrency);
    return { version, url, sha256, installerImage, compression, uploadConcurrency, downloadConcurrency, restoreDaemon, retries };
}

/** walg.retries: the counts WAL-G gets and the bound their worst case must stay under. */
function readRetries(r: Reader, value: unknown, downloadConcurrency: number): WalgRetries {
    const d = DEFAULTS.walg.retries;
    const o = r.object("walg.retries", value, ["fileRetries", "requestRetries", "maxSeconds"]) ?? {};
    const before = r.problems.length;
    const fileRetries = r.integer("walg.retries.fileRetries", o.fileRetries, d.fileRetries, 0, 15,
        " (WALG_DOWNLOAD_FILE_RETRIES: rounds backup-fetch retries a failed file, sleeping 1, 2, 4, 5, 5, … minutes)");
    const requestRetries = r.integer("walg.retries.requestRetries", o.requestRetries, d.requestRetries, 0, 15,
        " (WALG_S3_MAX_RETRIES: retries of one S3 request)");
    const maxSeconds = r.integer("walg.retries.maxSeconds", o.maxSeconds, d.maxSeconds, 60, 21_600,
        " (seconds WAL-G may spend retrying one unreadable object; the restore Job runs at most 6 h)");
    const worstCase = fetchRetryWorstCase({
        fileRetries, requestRetries, downloadConcurrency,
        minThrottleDelayMs: THROTTLE_DELAYS_MS.min, maxThrottleDelayMs: THROTTLE_DELAYS_MS.max,
    });
    if (r.problems.length === before && worstCase.seconds > maxSeconds) {
        r.problems.push(`${r.key("walg.retries")} = ${show({ fileRetries, requestRetries, maxSeconds })} with ` +
            `${r.key("walg.downloadConcurrency")} = ${downloadConcurrency} lets backup-fetch retry one unreadable object for up to ` +
            `${worstCase.seconds} s (${worstCase.sleeps} rounds sleeping ${worstCase.sleepSeconds} s, ${worstCase.attempts} attempts × ` +
            `${worstCase.requestWaitSeconds} s of request retries), more than maxSeconds = ${maxSeconds}: allowed are settings whose worst case ` +
            `is at most maxSeconds (lower fileRetries, requestRetries or downloadConcurrency, or raise maxSeconds)`);
    }
    return { fileRetries, requestRetries, maxSeconds, worstCase };
}
