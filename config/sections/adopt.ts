// ternent-postgres:adopt: taking over the kubectl bundle's objects needs the password its database was
// initialised with and a new prefix (the bundle's archive is unencrypted).

import { Obj, Reader } from "../reader";

/** Problems of adopt: true. `postgresPassword` and `spaces` as given (raw). */
export function checkAdoption(r: Reader, adopt: boolean, postgresPassword: string | undefined, spaces: unknown): void {
    if (!adopt) {
        return;
    }
    if (postgresPassword === undefined) {
        r.problems.push(`${r.key("postgresPassword")} is missing: ${r.key("adopt")} is true, so Secret ternent-postgres must keep the password the ` +
            "existing database was initialised with; set it with `pulumi config set --secret postgresPassword …`");
    }
    if (spaces === null || typeof spaces !== "object" || (spaces as Obj).prefix === undefined) {
        r.problems.push(`${r.key("spaces.prefix")} is not set: ${r.key("adopt")} is true, and encrypted backups must start under a new prefix ` +
            "because the bundle's archive is unencrypted; set spaces.prefix to a prefix the bundle never used");
    }
}
