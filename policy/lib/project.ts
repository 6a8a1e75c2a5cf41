// The Pulumi project the pack is written for (Pulumi.yaml `name`); its config keys are
// `ternent-postgres:<key>`. No dependencies: the program and its tools import the name from here, so it
// is written once and the pack stays self-contained.

export const PROJECT = "ternent-postgres";
