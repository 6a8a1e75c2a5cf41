// Values the pods get that follow from the config: the canary's worst-case interval (the PITR drill's
// accuracy), verify.sh's limits, and the current generation's object prefix.

import { generationNames } from "../lib/contract";
import { maxIntervalSeconds, parseCron } from "../policy/lib/cron";
import type { DerivedValues } from "./schema";
import type { PostgresConfig } from "./sections/postgres";
import type { Schedules } from "./sections/schedules";
import type { SpacesConfig } from "./sections/spaces";

/** Derived values of checked sections (every cron here parses). */
export function deriveValues(postgres: PostgresConfig, schedules: Schedules, spaces: SpacesConfig, dataGeneration: number): DerivedValues {
    const canaryIntervalSeconds = schedules.canary ? maxIntervalSeconds(parseCron(schedules.canary)) : undefined;
    const verifyMaxArchiveAgeSeconds = canaryIntervalSeconds !== undefined
        ? canaryIntervalSeconds + postgres.archiveTimeoutSeconds + 300
        : 3600 + postgres.archiveTimeoutSeconds;
    const verifyMaxReadyAgeSeconds = postgres.archiveTimeoutSeconds;
    const currentPrefix = generationNames.prefix(spaces.prefix, dataGeneration);
    return { canaryIntervalSeconds, verifyMaxArchiveAgeSeconds, verifyMaxReadyAgeSeconds, currentPrefix };
}
