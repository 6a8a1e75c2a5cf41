// The local DR lab's public API: `npm run lab` (lab/cli.ts), the lab, fault, retention and benchmark
// tests and tools import it from here.
export * from "./database";
export * from "./lab";
export * from "./object-store";
export * from "./processes";
export * from "./rendered";
export * from "./spilo";
export * from "./tools";
