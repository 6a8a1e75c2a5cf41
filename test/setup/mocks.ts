// Loaded once by mocha (--require, see .mocharc.js) before any test imports Pulumi resources:
// every Pulumi resource in the tests is registered against the mock engine, never a real one.
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, ProgramMocks } from "../../tools/harness";

void pulumi.runtime.setMocks(new ProgramMocks(), PROJECT, "dev", false, "organization");
