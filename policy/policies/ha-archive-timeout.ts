// The operator's cluster archives WAL with WAL-G into a prefix this stack sets, and forces a segment
// switch at least every maxArchiveTimeoutSeconds: Spilo's own default archive_timeout is 1800 s.
import { stackPolicy } from "../lib/checks";
import { clusterEnv, knownClusters, literal } from "../lib/operator";
import { pgDurationSeconds, PgConfError } from "../lib/pgconf";
import { StackView } from "../lib/stack";
import { at, show, UNKNOWN } from "../lib/values";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";
import { archiveTimeoutFix, archiveTimeoutSchema } from "./archive-timeout";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["ha-archive-timeout"];

export interface HaArchiveTimeoutConfig {
    readonly maxArchiveTimeoutSeconds: number;
}

export const haArchiveTimeout = stackPolicy<HaArchiveTimeoutConfig>({
    name: "ha-archive-timeout",
    description: `Every postgresql resource of the Zalando operator archives with WAL-G (USE_WALG_BACKUP=true, WALE_S3_PREFIX and WALG_S3_PREFIX set in spec.env) and sets 0 < spec.postgresql.parameters.archive_timeout ≤ maxArchiveTimeoutSeconds (default ${DEFAULTS.maxArchiveTimeoutSeconds}); Spilo's own default is 1800 s.`,
    remediationSteps: "Set ternent-postgres:postgres.archiveTimeoutSeconds to at most 60; the program renders archive_timeout and the WAL-G settings into the cluster.",
    severity: "high",
    configSchema: archiveTimeoutSchema(DEFAULTS.maxArchiveTimeoutSeconds),
    validate(args, checks, config) {
        const view = new StackView(args);
        const max = config.maxArchiveTimeoutSeconds;
        const fix = archiveTimeoutFix(view, max);
        for (const cl of knownClusters(view, checks)) {
            const useWalg = literal(clusterEnv(view, cl, "USE_WALG_BACKUP"));
            if (useWalg.value !== "true") {
                checks.violation(`postgresql ${cl.id}: USE_WALG_BACKUP is ${useWalg.value === undefined ? `not a literal "true" (${useWalg.describe})` : show(useWalg.value)}: ` +
                    "Spilo then archives with WAL-E, which cannot encrypt with the libsodium key nor be read by the drills. Fix: render the ha profile's env.", cl.res.urn);
            }
            for (const name of ["WALE_S3_PREFIX", "WALG_S3_PREFIX"]) {
                const p = clusterEnv(view, cl, name);
                if (p.kind === "missing") {
                    checks.violation(`postgresql ${cl.id}: ${p.where}: Spilo would archive under spilo/<cluster>/<uid>/wal/<major> instead of the ` +
                        "stack's prefix, where neither the drills nor the retention job look.", cl.res.urn);
                }
            }
            const value = at(cl.spec, "postgresql", "parameters", "archive_timeout");
            if (value === UNKNOWN) {
                checks.unknown(`archive_timeout of postgresql ${cl.id}`);
                continue;
            }
            if (value === undefined) {
                checks.violation(`postgresql ${cl.id}: spec.postgresql.parameters.archive_timeout is not set: Spilo's default is 1800 s, so up to ` +
                    `30 minutes of commits can be lost with the volume; the maximum is ${max} s (policy config maxArchiveTimeoutSeconds). ${fix}`, cl.res.urn);
                continue;
            }
            let seconds: number;
            try {
                seconds = pgDurationSeconds(String(value));
            } catch (e) {
                if (!(e instanceof PgConfError)) throw e;
                checks.violation(`postgresql ${cl.id}: archive_timeout=${show(value)} is not a duration. ${fix}`, cl.res.urn);
                continue;
            }
            if (seconds <= 0 || seconds > max) {
                checks.violation(`postgresql ${cl.id}: archive_timeout=${show(value)} is ${seconds} s: ${seconds <= 0 ? "forced WAL switches are off" : `up to ${seconds} s of commits can be lost with the volume`}; ` +
                    `allowed is 1 to ${max} s (policy config maxArchiveTimeoutSeconds). ${fix}`, cl.res.urn);
            }
        }
    },
});
