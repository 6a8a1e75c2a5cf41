// The defaults of every key (the `dev` stack uses all of them; docs/architecture.md shows them as YAML).

import OPERATOR_RELEASE from "../lib/postgres-operator.json";
import WALG_RELEASE from "../lib/walg-release.json";
import type { Weekday } from "../lib/contract";
import type { Schedules } from "./sections/schedules";
import type { KeyPermission } from "./sections/spaces";

export const DEFAULTS = {
    namespaces: { primary: "backend", dr: "backend-dr" },
    postgres: {
        image: "postgres:15.18-bookworm",
        storageClass: "do-block-storage",
        storageSize: "10Gi",
        volumeClaimTemplate: "data",
        serviceName: "ternent-postgres",
        database: "ternent",
        user: "ternent",
        archiveTimeoutSeconds: 60,
        // Cheap profile: the Postgres container requests at most 250m CPU and 512Mi memory.
        resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
        selectorLabels: { "app.kubernetes.io/name": "ternent-postgres", "app.kubernetes.io/component": "database" },
    },
    walg: {
        // The one pin of the WAL-G release (lib/walg-release.json): lab/install.sh downloads the same
        // asset. Two independent public pins agree on the digest; the init container verifies it at
        // every start and fails closed on a mismatch.
        version: WALG_RELEASE.version,
        url: WALG_RELEASE.url,
        sha256: WALG_RELEASE.sha256,
        installerImage: "curlimages/curl:8.11.1",
        // zstd: half the bytes of lz4 in the bucket (base backup and WAL) at no measurable cost in backup
        // or restore time (npm run bench -- --peers, README "Figures"); stores less than barman-cloud's gzip.
        compression: "zstd",
        uploadConcurrency: 4,
        downloadConcurrency: 4,
        // backup-fetch gives up on an unreadable object after 7 min of sleeps (1 + 2 + 4) plus 4 × 25 s of
        // request retries = 520 s worst case, instead of WAL-G's 67 minutes (15 rounds, 15 request retries).
        retries: { fileRetries: 3, requestRetries: 5, maxSeconds: 600 },
    },
    spaces: { region: "fra1", prefix: "ternent-postgres", useExisting: false, drKeyPermission: "read" as KeyPermission },
    schedules: {
        backup: "0 2 * * *",
        retention: "30 3 * * *",
        restoreDrill: "0 5 * * *",
        pitrDrill: "0 6 1 * *",
        canary: "*/5 * * * *",
        // Every minute: a stalled archiver is reported within ready-age limit (archive_timeout) + 60 s.
        verify: "* * * * *",
    } as Required<Schedules>,
    retention: { daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "sunday" as Weekday, dryRun: false },
    network: { apiPodSelector: { app: "ternent-api" } },
    drills: { smokeSql: "", pitrTarget: "random" },
    profile: "single" as "single" | "ha",
    // The ha profile (docs/ha.md): two pods (a leader and a replica on another node), asynchronous
    // replication, the operator's Helm chart's namespace, and the Spilo image the pinned operator defaults to.
    ha: {
        instances: 2,
        replication: "async" as "async" | "sync",
        operatorNamespace: "postgres-operator",
        clusterName: "ternent-postgres-ha",
        teamId: "ternent",
        image: OPERATOR_RELEASE.spiloImage,
    },
    migration: { scaleApi: true, apiReplicas: 1 },
    recovery: { scaleApi: true, apiReplicas: 1 },
    rollback: { scaleApi: true, apiReplicas: 1 },
} as const;
