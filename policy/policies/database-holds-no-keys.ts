// The database process holds no storage key: the postgres container gets neither the Spaces key pair
// nor the libsodium key through env, envFrom or a mounted Secret. Every backend inherits the postmaster's
// environment and runs as the user that can read what the container mounts, so one SQL injection that
// reaches a program (COPY … FROM PROGRAM 'env') would hand out a key that can delete the whole archive
// and the key that decrypts it. archive_command and restore_command read them from the 0400 file an init
// container writes (scripts/walg-secret.sh), which this policy does not look into.
import { stackPolicy } from "../lib/checks";
import { TYPES } from "../lib/k8s";
import { postgresContainer, postgresOrNotApplicable } from "../lib/postgres";
import { secretEntries, StackView } from "../lib/stack";
import { asArr, asStr, at } from "../lib/values";

/** Environment names (and Secret keys) that carry a storage credential. */
export const STORAGE_KEY_NAMES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "WALG_LIBSODIUM_KEY"];

export const databaseHoldsNoKeys = stackPolicy<object>({
    name: "database-holds-no-keys",
    description: "The postgres container of the database gets no Spaces key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and no WAL-G libsodium key through env, envFrom or a mounted Secret.",
    remediationSteps: "Give the WAL-G Secret to the init container walg-secret only (it writes the 0400 file TERNENT_WALG_ENV_FILE that archive-command.sh reads); never envFrom it into the postgres container.",
    severity: "critical",
    validate(args, checks) {
        const view = new StackView(args);
        const sets = postgresOrNotApplicable(view);
        for (const sts of sets) {
            if (sts.unknownParts.length > 0) {
                checks.unknown(`the pod template of StatefulSet ${sts.id}`);
                continue;
            }
            const c = postgresContainer(sts);
            if (!c) {
                continue;
            }
            const env = view.resolveEnv(sts.meta.namespace, c.container);
            for (const name of STORAGE_KEY_NAMES) {
                const v = env.vars.get(name);
                if (v) {
                    const from = v.from === "secret" || v.from === "configMap" ? ` (from ${v.from} ${v.name} key ${v.key})` : "";
                    checks.violation(`StatefulSet ${sts.id}: container ${c.name} gets ${name}${from} in its environment: every backend and every ` +
                        "program it runs (COPY … FROM PROGRAM) inherits it. Fix: the WAL-G Secret goes to the init container walg-secret only.", sts.res.urn);
                }
            }
            // Secrets whose keys could not be listed yet (preview) hide what they carry.
            for (const s of env.opaque) {
                checks.unknown(`whether ${s} carries a storage key into container ${c.name} of StatefulSet ${sts.id}`);
            }
            const volumes = asArr(at(sts.podSpec, "volumes"));
            for (const m of asArr(at(c.container, "volumeMounts"))) {
                const vol = volumes.find((v) => asStr(at(v, "name")) === asStr(at(m, "name")));
                const names = [asStr(at(vol, "secret", "secretName")),
                    ...asArr(at(vol, "projected", "sources")).map((s) => asStr(at(s, "secret", "name")))].filter((n): n is string => !!n);
                for (const secretName of names) {
                    const secret = view.k8s(TYPES.Secret, sts.meta.namespace, secretName);
                    if (!secret) {
                        continue;
                    }
                    const { entries, wholeUnknown } = secretEntries(secret.props);
                    if (wholeUnknown) {
                        checks.unknown(`the keys of Secret ${sts.meta.namespace}/${secretName} mounted into ${c.name}`);
                        continue;
                    }
                    const carried = STORAGE_KEY_NAMES.filter((k) => entries.has(k));
                    if (carried.length > 0) {
                        checks.violation(`StatefulSet ${sts.id}: container ${c.name} mounts Secret ${secretName} (${carried.join(", ")}) at ` +
                            `${asStr(at(m, "mountPath"))}: the database user can read it. Fix: mount it in the init container walg-secret only.`, sts.res.urn);
                    }
                }
            }
        }
    },
});
