// The defaults of every key (the `dev` stack uses all of them; docs/architecture.md shows them as YAML).

import OPERATOR_RELEASE from "../lib/postgres-operator.json";
import WALG_RELEASE from "../lib/walg-release.json";
import type { Weekday } from "../lib/contract";
import type { Schedules } from "./sections/schedules";
import type { KeyPermission } from "./sections/spaces";

export const DEFAULTS = {
    // The bundle's namespaces, for the stack named prod only: any other stack gets its own
    // (backend-<stack>, backend-<stack>-dr), so two stacks on one cluster never share an object
    // (config/sections/namespaces.ts).
    namespaces: { primary: "backend", dr: "backend-dr" },
    namespacesStack: "prod",
    postgres: {
        image: "postgres:15.18-bookworm",
        // DOKS's class whose volumes survive their claim (reclaimPolicy Retain): deleting the PVC must not
        // delete the database. do-block-storage (Delete) only where the policy pack allows it (not prod).
        storageClass: "do-block-storage-retain",
        storageSize: "10Gi",
        volumeClaimTemplate: "data",
        // A headless Service of its own (pod DNS names resolve); the ClusterIP Service ternent-postgres the
        // API uses stays. An adopted bundle keeps its value (immutable): ternent-postgres.
        serviceName: "ternent-postgres-headless",
        database: "ternent",
        user: "ternent",
        // The API's own role (least privilege, Secret ternent-postgres-app); the superuser is for this
        // project's jobs only.
        appUser: "ternent_app",
        archiveTimeoutSeconds: 60,
        // Guaranteed QoS (requests = limits: the last pod the kubelet evicts) and still cheap: half a core
        // (the cheap profile's queries are short; a CPU limit only throttles) and 1Gi, the old limit
        // (shared_buffers 128MB + 50 connections x work_mem 4MB + maintenance 64MB + /dev/shm fit).
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } },
        // /dev/shm for dynamic_shared_memory_type posix (a memory emptyDir; counts towards the limit).
        shmSize: "256Mi",
        // Base backups over the replication protocol (no PVC mount, any node): see README "Backups".
        backupMode: "remote" as "remote" | "local",
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
        // zstd: half the bytes of lz4 in the bucket (base backup and WAL: 67 vs 140 MB at pgbench scale 10)
        // at no measurable cost in backup or restore time; at 1.18 GB + 64 WAL segments 213 MB against
        // barman-cloud's gzip 283 MB (npm run bench -- --peers, README "Figures").
        compression: "zstd",
        uploadConcurrency: 4,
        downloadConcurrency: 4,
        // Replay through one `wal-g daemon` instead of one wal-g process per WAL segment (restore.sh):
        // 7.9 vs 7.0 segments/s, restore to first query 12.3 vs 13.2 s, pgBackRest 14.0 s (1.18 GB + 71
        // segments, 3 rounds of npm run bench -- --peers, README "Figures").
        restoreDaemon: true,
        // backup-fetch gives up on an unreadable object after 7 min of sleeps (1 + 2 + 4) plus 4 × 25 s of
        // request retries = 520 s worst case, instead of WAL-G's 67 minutes (15 rounds, 15 request retries).
        retries: { fileRetries: 3, requestRetries: 5, maxSeconds: 600 },
    },
    spaces: { region: "fra1", prefix: "ternent-postgres", useExisting: false, drKeyPermission: "read" as KeyPermission },
    schedules: {
        backup: "0 2 * * *",
        retention: "30 3 * * *",
        restoreDrill: "0 5 * * *",
        // After the restore drill's window (05:00 + 10 min start + 120 min run): drills never overlap.
        pitrDrill: "0 8 1 * *",
        canary: "*/5 * * * *",
        // Every minute: a stalled archiver is reported within ready-age limit (archive_timeout) + 60 s.
        verify: "* * * * *",
    } as Required<Schedules>,
    retention: { daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "sunday" as Weekday, dryRun: false },
    network: { apiPodSelector: { app: "ternent-api" } },
    // Drill scratch: a generic ephemeral volume of storageSize x scratchFactor (the restored data directory
    // plus the WAL replayed into it), never the node's root disk.
    drills: { smokeSql: "", pitrTarget: "random", scratchFactor: 1.5, scratchStorageClass: "do-block-storage", maxMinutes: 120 },
    alerts: { onSuccess: false },
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
