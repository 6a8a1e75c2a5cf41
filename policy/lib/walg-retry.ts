// How long WAL-G 3.0.9 can keep retrying before it gives up, from the settings a pod gets. The pack's
// own (walg-retries-bounded); the stack config validation and the pods' env import it from here. No
// dependencies. Read from WAL-G v3.0.9 and the aws-sdk-go v1.55 it links:
//
// - S3 requests (every WAL-G command): `WALG_S3_MAX_RETRIES` (default 15) retries of one request, for
//   connection errors (refused, reset, timeout), 5xx and throttling. Retry k (0-based) waits
//   2^k × U[min, 2·min): min = 30 ms, capped at 300 s for errors; min =
//   `WALG_S3_MIN_THROTTLING_RETRY_DELAY` ms (default 500), capped at
//   `WALG_S3_MAX_THROTTLING_RETRY_DELAY` ms (default 300000) when throttled (429, 502, 503, 504,
//   SlowDown). A delay above its cap is replaced by U[cap/2, cap). A Retry-After header adds its own
//   wait (not bounded here).
// - backup-fetch (internal/extract.go ExtractAll): a file that fails (download, decryption,
//   decompression, a tar error) is retried in rounds; after each failed round the concurrency halves
//   (from `WALG_DOWNLOAD_CONCURRENCY`, default 10) until it is 1, then `WALG_DOWNLOAD_FILE_RETRIES`
//   (default 15) counts down; every round that fails sleeps 1, 2, 4, 5, 5, … minutes. A file that never
//   reads is tried N + 1 times with N = max(floor(log2(concurrency)), fileRetries) sleeps. With the
//   defaults that is 15 sleeps, 67 minutes; a corrupt object is retried as patiently as a network error.

/** The WAL-G environment variables the retry policy sets, and WAL-G 3.0.9's defaults for them. */
export const WALG_RETRY_ENV = {
    fileRetries: "WALG_DOWNLOAD_FILE_RETRIES",
    requestRetries: "WALG_S3_MAX_RETRIES",
    minThrottleDelayMs: "WALG_S3_MIN_THROTTLING_RETRY_DELAY",
    maxThrottleDelayMs: "WALG_S3_MAX_THROTTLING_RETRY_DELAY",
    downloadConcurrency: "WALG_DOWNLOAD_CONCURRENCY",
} as const;

export const WALG_RETRY_DEFAULTS: RetrySettings = {
    fileRetries: 15,
    requestRetries: 15,
    minThrottleDelayMs: 500,
    maxThrottleDelayMs: 300_000,
    downloadConcurrency: 10,
};

/** The throttling delays the program sets (not configurable): 0.5 s doubling, at most 10 s per wait. */
export const THROTTLE_DELAYS_MS = { min: 500, max: 10_000 } as const;

export interface RetrySettings {
    /** WALG_DOWNLOAD_FILE_RETRIES */
    readonly fileRetries: number;
    /** WALG_S3_MAX_RETRIES */
    readonly requestRetries: number;
    /** WALG_S3_MIN_THROTTLING_RETRY_DELAY (ms) */
    readonly minThrottleDelayMs: number;
    /** WALG_S3_MAX_THROTTLING_RETRY_DELAY (ms) */
    readonly maxThrottleDelayMs: number;
    /** WALG_DOWNLOAD_CONCURRENCY */
    readonly downloadConcurrency: number;
}

const ERROR_MIN_DELAY_S = 0.03;
const ERROR_MAX_DELAY_S = 300;
const FETCH_FIRST_SLEEP_S = 60;
const FETCH_MAX_SLEEP_S = 300;

/** Worst-case wait before retry k (0-based) of one S3 request. */
function requestDelaySeconds(k: number, s: RetrySettings): number {
    const grow = (min: number, cap: number): number => Math.min(2 ** k * 2 * min, cap);
    return Math.max(grow(ERROR_MIN_DELAY_S, ERROR_MAX_DELAY_S), grow(s.minThrottleDelayMs / 1000, s.maxThrottleDelayMs / 1000));
}

/** Worst-case seconds one S3 request waits between its attempts before it fails. */
export function requestRetryWaitSeconds(s: RetrySettings): number {
    let total = 0;
    for (let k = 0; k < s.requestRetries; k++) {
        total += requestDelaySeconds(k, s);
    }
    return total;
}

export interface FetchRetryWorstCase {
    /** Rounds that fail and sleep before backup-fetch gives up on a file that never reads. */
    readonly sleeps: number;
    /** Seconds of those sleeps (1, 2, 4, 5, 5, … minutes). */
    readonly sleepSeconds: number;
    /** Attempts at the file (sleeps + 1). */
    readonly attempts: number;
    /** Worst-case retry wait of the S3 request of one attempt. */
    readonly requestWaitSeconds: number;
    /** Everything backup-fetch can spend waiting on one unreadable object: sleeps + attempts × request wait. */
    readonly seconds: number;
}

/** Worst case of `wal-g backup-fetch` on an object that can never be read (corrupt, wrong key, storage down). */
export function fetchRetryWorstCase(s: RetrySettings): FetchRetryWorstCase {
    const halvings = s.downloadConcurrency > 1 ? Math.floor(Math.log2(s.downloadConcurrency)) : 0;
    const sleeps = Math.max(halvings, s.fileRetries);
    let sleepSeconds = 0;
    for (let i = 0; i < sleeps; i++) {
        sleepSeconds += Math.min(FETCH_FIRST_SLEEP_S * 2 ** i, FETCH_MAX_SLEEP_S);
    }
    const requestWaitSeconds = requestRetryWaitSeconds(s);
    const attempts = sleeps + 1;
    return { sleeps, sleepSeconds, attempts, requestWaitSeconds, seconds: Math.ceil(sleepSeconds + attempts * requestWaitSeconds) };
}

/** The retry environment every WAL-G consumer gets (literal strings, as rendered). */
export function retryEnv(fileRetries: number, requestRetries: number): Record<string, string> {
    return {
        [WALG_RETRY_ENV.fileRetries]: String(fileRetries),
        [WALG_RETRY_ENV.requestRetries]: String(requestRetries),
        [WALG_RETRY_ENV.minThrottleDelayMs]: String(THROTTLE_DELAYS_MS.min),
        [WALG_RETRY_ENV.maxThrottleDelayMs]: String(THROTTLE_DELAYS_MS.max),
    };
}
