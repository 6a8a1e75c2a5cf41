// Runs Perl scripts through one long-lived `perl perl-serve.pl` (fork per run, modules loaded once):
// the retention simulations call the real planner and the stand-in wal-g hundreds of times without a
// process start per simulated day. Same inputs and outputs as running the script itself.
import { ChildProcessWithoutNullStreams, spawn } from "child_process";
import * as path from "path";
import * as readline from "readline";

export interface PerlRun { code: number | null; stdout: string; stderr: string }

export class PerlServer {
    private readonly child: ChildProcessWithoutNullStreams;
    private readonly waiting: ((r: PerlRun) => void)[] = [];
    private failure?: Error;

    constructor() {
        this.child = spawn("perl", [path.join(__dirname, "perl-serve.pl")], { stdio: ["pipe", "pipe", "pipe"] });
        let stderr = "";
        this.child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        this.child.on("exit", (code) => {
            this.failure = new Error(`perl-serve.pl exited ${code}: ${stderr}`);
        });
        readline.createInterface({ input: this.child.stdout }).on("line", (line) => this.waiting.shift()?.(JSON.parse(line) as PerlRun));
    }

    /** Runs `perl SCRIPT ARGS…` with this stdin and these environment additions. */
    run(argv: readonly string[], stdin = "", env: Record<string, string> = {}): Promise<PerlRun> {
        if (this.failure) return Promise.reject(this.failure);
        return new Promise((resolve) => {
            this.waiting.push(resolve);
            this.child.stdin.write(JSON.stringify({ argv, stdin, env }) + "\n");
        });
    }

    close(): void {
        this.child.stdin.end();
    }
}
