// The CrossGuard policy pack: `pulumi preview --policy-pack policy`. Constructing the PolicyPack
// starts the analyzer's gRPC server, so nothing else imports this file (tests and the offline runner
// import policies/all.ts). Policies, config keys and defaults: README.md.
import { PolicyPack } from "@pulumi/policy";
import { pack, policies } from "./policies/all";

new PolicyPack(pack.name, {
    description: pack.description,
    enforcementLevel: pack.enforcementLevel,
    policies,
});
