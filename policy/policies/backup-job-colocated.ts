// The backup CronJob can reach the database files. Over the replication protocol (backup.sh without
// PGDATA, no volume: WAL-G streams BASE_BACKUP from PGHOST) it needs only the server's address. Reading
// the files (PGDATA set): the data volume is ReadWriteOnce, so the backup pod needs REQUIRED pod
// affinity to the Postgres pod (same node) and must mount the same claim.
import { stackPolicy } from "../lib/checks";
import { selectorMatches, TYPES } from "../lib/k8s";
import { dataVolume, postgresContainer, postgresRuntime } from "../lib/postgres";
import { StackView } from "../lib/stack";
import { asArr, asStr, at, UNKNOWN } from "../lib/values";
import { envLookup, roleContainer } from "../lib/workloads";

const HOSTNAME = "kubernetes.io/hostname";

export const backupJobColocated = stackPolicy<object>({
    name: "backup-job-colocated",
    description: "The backup CronJob either streams the backup over the replication protocol (no PGDATA, no volume, PGHOST set) or has a required pod affinity term (topologyKey kubernetes.io/hostname) whose selector matches the Postgres pod's labels in its namespace and mounts the StatefulSet's data PersistentVolumeClaim with the same PGDATA.",
    remediationSteps: "Keep the backup CronJob's requiredDuringSchedulingIgnoredDuringExecution pod affinity on the Postgres selector labels (ternent-postgres:postgres.selectorLabels) and its volume on the StatefulSet's claim.",
    severity: "high",
    validate(args, checks) {
        const view = new StackView(args);
        const sts = view.postgres()[0];
        const jobs = view.byRole("backup").filter((w) => w.res.type === TYPES.CronJob);
        if (!sts || jobs.length === 0) {
            args.notApplicable(!sts ? "the stack has no Postgres StatefulSet" : "the stack has no backup CronJob; base-backup-daily reports that");
        }
        if (sts.unknownParts.length > 0) {
            checks.unknown(`the pod template of StatefulSet ${sts.id}`);
            return;
        }
        const pgc = postgresContainer(sts);
        const rt = postgresRuntime(view, sts);
        const data = pgc ? dataVolume(sts, pgc, rt.pgdata) : {};
        for (const w of jobs) {
            if (w.unknownParts.length > 0) {
                checks.unknown(`the pod template of CronJob ${w.id}`);
                continue;
            }
            const bc = roleContainer(w);
            const claims = asArr(at(w.podSpec, "volumes")).filter((v) => at(v, "persistentVolumeClaim") !== undefined);
            const pgdata = bc && claims.length === 0 ? envLookup(view, w, bc, "PGDATA") : undefined;
            if (pgdata?.kind === "unknown") {
                // No volume, and whether PGDATA is set is unknown until apply (an envFrom Secret during
                // preview): decide on `up`, when the values are known.
                checks.unknown(pgdata.where);
                continue;
            }
            if (bc && pgdata?.kind === "missing") {
                // Remote backup: nothing on the node to share; it must know where the server is.
                const host = envLookup(view, w, bc, "PGHOST");
                if (host.kind === "missing" || (host.kind === "value" && host.value === "")) {
                    checks.violation(`CronJob ${w.id} takes the backup over the replication protocol (no PGDATA, no volume) but sets no PGHOST: ` +
                        "WAL-G would connect to a local socket that is not there. Fix: PGHOST = the database's Service.", w.res.urn);
                }
                continue;
            }
            const required = at(w.podSpec, "affinity", "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution");
            if (required === UNKNOWN) {
                checks.unknown(`the pod affinity of CronJob ${w.id}`);
            } else {
                let unknown = false;
                const ok = asArr(required).some((term) => {
                    const m = selectorMatches(at(term, "labelSelector"), sts.podLabels);
                    if (m === UNKNOWN || at(term, "topologyKey") === UNKNOWN) {
                        unknown = true;
                        return false;
                    }
                    const namespaces = asArr(at(term, "namespaces")).map(asStr);
                    const sameNs = namespaces.length > 0 ? namespaces.includes(sts.meta.namespace)
                        : at(term, "namespaceSelector") !== undefined || w.meta.namespace === sts.meta.namespace;
                    return m === true && at(term, "topologyKey") === HOSTNAME && sameNs;
                });
                if (!ok && unknown) {
                    checks.unknown(`the pod affinity terms of CronJob ${w.id}`);
                } else if (!ok) {
                    const preferred = asArr(at(w.podSpec, "affinity", "podAffinity", "preferredDuringSchedulingIgnoredDuringExecution")).length > 0;
                    checks.violation(`CronJob ${w.id} has no required pod affinity term with topologyKey ${HOSTNAME} whose ` +
                        `selector matches the Postgres pod labels ${JSON.stringify(sts.podLabels)} in ${sts.meta.namespace}` +
                        `${preferred ? " (a preferred term is not enough: the scheduler may still pick another node)" : ""}: ` +
                        "the ReadWriteOnce data volume cannot attach on another node, so the backup pod would hang Pending. " +
                        "Fix: requiredDuringSchedulingIgnoredDuringExecution on the selector labels (ternent-postgres:postgres.selectorLabels).", w.res.urn);
                }
            }
            if (!data.claim) {
                checks.violation(`StatefulSet ${sts.id}: the policy cannot tell which claim holds PGDATA ${rt.pgdata ?? "/var/lib/postgresql/data"}, ` +
                    `so it cannot check that CronJob ${w.id} mounts it.`, sts.res.urn);
                continue;
            }
            const volumes = asArr(at(w.podSpec, "volumes"));
            const vol = volumes.find((v) => asStr(at(v, "persistentVolumeClaim", "claimName")) === data.claim);
            const c = roleContainer(w);
            const volName = vol ? asStr(at(vol, "name")) : undefined;
            const mount = c && volName ? asArr(at(c.container, "volumeMounts")).find((m) => asStr(at(m, "name")) === volName) : undefined;
            if (!vol || !mount) {
                checks.violation(`CronJob ${w.id} does not mount claim ${data.claim} (the StatefulSet's data volume) into its backup ` +
                    `container${vol ? "" : `: no volume uses that claim (found ${JSON.stringify(volumes.map((v) => at(v, "persistentVolumeClaim", "claimName")).filter(Boolean))})`}` +
                    "; backup-push would read an empty directory.", w.res.urn);
                continue;
            }
            if (c && rt.pgdata) {
                const pgdata = envLookup(view, w, c, "PGDATA");
                const mountPath = asStr(at(mount, "mountPath"))?.replace(/\/+$/, "");
                if (pgdata.kind === "value" && pgdata.value !== rt.pgdata) {
                    checks.violation(`${pgdata.where}, but the primary's PGDATA is ${rt.pgdata}: backup.sh would back up the wrong directory.`, w.res.urn);
                } else if (pgdata.kind === "value" && mountPath && !pgdata.value.startsWith(`${mountPath}/`) && pgdata.value !== mountPath) {
                    checks.violation(`${pgdata.where} is not under the claim's mount path ${mountPath}.`, w.res.urn);
                }
            }
        }
    },
});
