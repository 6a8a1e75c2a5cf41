// policy/lib/walg-retry.ts: the worst case of WAL-G 3.0.9's retries, checked against the numbers the issue
// measured with real WAL-G (67 minutes with the defaults, 7 minutes with 3 file retries) and against
// the aws-sdk-go backoff it links (2^k × [min, 2·min), capped).
import { strict as assert } from "assert";
import {
    fetchRetryWorstCase, requestRetryWaitSeconds, retryEnv, RetrySettings, THROTTLE_DELAYS_MS, WALG_RETRY_DEFAULTS,
} from "../../../policy/lib/walg-retry";

const policy = (fileRetries: number, requestRetries: number, downloadConcurrency: number): RetrySettings => ({
    fileRetries, requestRetries, downloadConcurrency, minThrottleDelayMs: THROTTLE_DELAYS_MS.min, maxThrottleDelayMs: THROTTLE_DELAYS_MS.max,
});

describe("policy/lib/walg-retry (worst case of WAL-G's retries)", () => {
    it("WAL-G's defaults sleep 67 minutes on an unreadable object (15 rounds: 1, 2, 4, then 5 minutes)", () => {
        const w = fetchRetryWorstCase(WALG_RETRY_DEFAULTS);
        assert.equal(w.sleeps, 15);
        assert.equal(w.sleepSeconds, 60 + 120 + 240 + 12 * 300);
        assert.equal(Math.round(w.sleepSeconds / 60), 67);
        assert.equal(w.attempts, 16);
    });

    it("3 file retries with concurrency 4 sleep 7 minutes (the drills' old setting, ~7 min measured)", () => {
        const w = fetchRetryWorstCase(policy(3, 0, 4));
        assert.equal(w.sleeps, 3);
        assert.equal(w.sleepSeconds, 420);
        assert.equal(w.seconds, 420);
    });

    it("halves the concurrency before counting retries: concurrency 4 with 0 retries still sleeps twice, concurrency 1 not at all", () => {
        assert.equal(fetchRetryWorstCase(policy(0, 0, 4)).sleeps, 2);
        assert.equal(fetchRetryWorstCase(policy(0, 0, 3)).sleeps, 1);
        assert.equal(fetchRetryWorstCase(policy(0, 0, 1)).sleeps, 0);
        assert.equal(fetchRetryWorstCase(policy(0, 0, 1)).attempts, 1);
    });

    it("bounds one S3 request's retries by the larger of the error and the throttling backoff, each wait capped", () => {
        // Throttled: 1, 2, 4, 8 s, then capped at 10 s.
        assert.equal(requestRetryWaitSeconds(policy(0, 5, 1)), 1 + 2 + 4 + 8 + 10);
        // Errors only grow past the 10 s throttling cap at the 9th retry: 2^8 × 60 ms = 15.36 s.
        assert.equal(requestRetryWaitSeconds(policy(0, 9, 1)), 1 + 2 + 4 + 8 + 10 * 4 + 15.36);
        // WAL-G's defaults: 15 retries, throttling capped at 300 s.
        assert.equal(Math.round(requestRetryWaitSeconds(WALG_RETRY_DEFAULTS)), 1 + 2 + 4 + 8 + 16 + 32 + 64 + 128 + 256 + 300 * 6);
    });

    it("adds one request's retry wait per attempt", () => {
        const w = fetchRetryWorstCase(policy(3, 5, 4));
        assert.equal(w.requestWaitSeconds, 25);
        assert.equal(w.seconds, 420 + 4 * 25);
    });

    it("renders the policy as the WAL-G environment every consumer gets", () => {
        assert.deepEqual(retryEnv(3, 5), {
            WALG_DOWNLOAD_FILE_RETRIES: "3", WALG_S3_MAX_RETRIES: "5",
            WALG_S3_MIN_THROTTLING_RETRY_DELAY: "500", WALG_S3_MAX_THROTTLING_RETRY_DELAY: "10000",
        });
    });
});
