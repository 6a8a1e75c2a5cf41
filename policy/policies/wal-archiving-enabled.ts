// Continuous WAL archiving through WAL-G: archive_mode=on, a wal_level that archives, and an
// archive_command that ends in `wal-g wal-push` (followed through the wrapper script in the
// scripts ConfigMap), read from the postgresql.conf the StatefulSet really mounts.
import { stackPolicy } from "../lib/checks";
import { codeLines } from "../lib/k8s";
import { postgresOrNotApplicable, postgresRuntime, PgRuntime } from "../lib/postgres";
import { StackView } from "../lib/stack";

const WAL_PUSH = /(^|[\s/"'])wal-g["']?\s+wal-push(\s|$)/;

/** Why an archive_command does not ship WAL with WAL-G, or undefined when it does. */
function archiveCommandProblem(view: StackView, rt: PgRuntime, command: string): { problem?: string; unknown?: string } {
    if (!command.includes("%p")) {
        return { problem: `archive_command ${JSON.stringify(command)} does not pass %p (the WAL file) to anything` };
    }
    const tokens = command.trim().split(/\s+/).map((t) => t.replace(/^["']|["']$/g, ""));
    const first = tokens[0] ?? "";
    if (/(^|\/)wal-g$/.test(first)) {
        return tokens[1] === "wal-push" ? {} : { problem: `archive_command ${JSON.stringify(command)} runs wal-g ${tokens[1] ?? ""}, not wal-g wal-push` };
    }
    if (first.startsWith("/") && rt.container) {
        const file = view.fileText(rt.workload, rt.container.container, first);
        if (file.unknown) {
            return { unknown: `the archive wrapper ${first} (${file.source ?? "its volume"})` };
        }
        if (file.problem || file.text === undefined) {
            return { problem: `archive_command runs ${first}, but ${file.problem ?? "it cannot be read"}` };
        }
        if (!codeLines(file.text).some((l) => WAL_PUSH.test(l))) {
            return { problem: `archive_command runs ${first} (${file.source}), which never runs \`wal-g wal-push\`` };
        }
        return {};
    }
    return { problem: `archive_command ${JSON.stringify(command)} does not run WAL-G (expected \`wal-g wal-push %p\` or a wrapper script from the scripts ConfigMap)` };
}

export const walArchivingEnabled = stackPolicy<object>({
    name: "wal-archiving-enabled",
    description: "The Postgres server archives every WAL segment with WAL-G: archive_mode=on, wal_level replica or logical, no archive_library, and archive_command runs `wal-g wal-push %p` (directly or through the wrapper script in the scripts ConfigMap), as read from the postgresql.conf the StatefulSet mounts and its -c options.",
    remediationSteps: "Keep archive_mode = on and archive_command = '/ternent/scripts/archive-command.sh %p' in the postgresql.conf the program renders, and keep scripts/archive-command.sh running `wal-g wal-push`.",
    severity: "critical",
    validate(args, checks) {
        const view = new StackView(args);
        const sets = postgresOrNotApplicable(view);
        for (const w of sets) {
            const rt = postgresRuntime(view, w);
            rt.unknown.forEach((u) => checks.unknown(u));
            rt.problems.forEach((p) => checks.violation(`StatefulSet ${w.id}: ${p}.`, w.res.urn));
            if (rt.unknown.length > 0 || rt.problems.length > 0) {
                continue;
            }
            const get = (name: string) => rt.settings.get(name);
            const unseen = (name: string) => `StatefulSet ${w.id}: ${name} is not visible to the policy: postgres is not started with ` +
                "-c config_file=<file from a ConfigMap of this stack> nor -c " + name + "=…, so it reads $PGDATA/postgresql.conf from the volume.";
            const mode = get("archive_mode");
            if (!mode && !rt.confKnown) {
                checks.violation(unseen("archive_mode"), w.res.urn);
            } else if (!/^(on|always|true|yes|1)$/i.test(mode?.value ?? "off")) {
                checks.violation(`StatefulSet ${w.id}: archive_mode=${JSON.stringify(mode?.value ?? "off (default)")}` +
                    `${mode ? ` in ${mode.from}` : ""}: WAL is not archived, so nothing after the last base backup can be restored. ` +
                    "Fix: archive_mode = on in the rendered postgresql.conf.", w.res.urn);
            }
            const level = get("wal_level");
            if (level && !/^(replica|logical|archive|hot_standby)$/i.test(level.value)) {
                checks.violation(`StatefulSet ${w.id}: wal_level=${JSON.stringify(level.value)} in ${level.from} cannot be archived ` +
                    "(PostgreSQL needs replica or logical). Fix: wal_level = replica.", w.res.urn);
            }
            const library = get("archive_library");
            if (library && library.value.trim() !== "") {
                checks.violation(`StatefulSet ${w.id}: archive_library=${JSON.stringify(library.value)} in ${library.from} replaces ` +
                    "archive_command, so WAL does not go through WAL-G. Fix: remove archive_library.", w.res.urn);
            }
            const command = get("archive_command");
            if (!command && !rt.confKnown) {
                checks.violation(unseen("archive_command"), w.res.urn);
            } else if (!command || command.value.trim() === "") {
                checks.violation(`StatefulSet ${w.id}: archive_command is empty${command ? ` in ${command.from}` : ""}: ` +
                    "PostgreSQL keeps WAL but ships none. Fix: archive_command = '/ternent/scripts/archive-command.sh %p'.", w.res.urn);
            } else {
                const r = archiveCommandProblem(view, rt, command.value);
                if (r.unknown) {
                    checks.unknown(r.unknown);
                } else if (r.problem) {
                    checks.violation(`StatefulSet ${w.id}: ${r.problem} (${command.from}). ` +
                        `Fix: archive_command = '/ternent/scripts/archive-command.sh %p' with the script running \`wal-g wal-push "$1"\`.`, w.res.urn);
                }
            }
        }
    },
});
