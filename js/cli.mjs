#!/usr/bin/env node
// The hearth CLI on the WebAssembly engine: `node js/cli.mjs run|tokenize|info|bench ...` with the
// native tool's flags and JSON (tools/cli), plus --variant mt|st|auto to pick the build.
import { Args, UsageError } from './cli/args.mjs';
import { cmdRun } from './cli/cmd-run.mjs';
import { cmdTokenize } from './cli/cmd-tokenize.mjs';
import { cmdInfo } from './cli/cmd-info.mjs';
import { cmdBench } from './cli/cmd-bench.mjs';

const COMMANDS = { run: cmdRun, tokenize: cmdTokenize, info: cmdInfo, bench: cmdBench };

const USAGE = `usage:
  node js/cli.mjs run -m FILE -p TEXT [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]
                  [--seed S] [-t THREADS] [--ctx N] [--kv f16|f32] [--ignore-eos] [--json]
  node js/cli.mjs tokenize -m FILE -p TEXT [--json]
  node js/cli.mjs info -m FILE [--ctx N] [--json]
  node js/cli.mjs bench -m FILE [--pp 64] [--tg 32] [-t THREADS] [--reps 3] [--ctx N] [--json]
every command that loads a model also takes --variant mt|st|auto (default auto: mt under Node)
`;

async function main(argv) {
    const [command, ...rest] = argv;
    if (!command || command === '-h' || command === '--help') {
        (command ? process.stdout : process.stderr).write(USAGE);
        return command ? 0 : 2;
    }
    const run = COMMANDS[command];
    if (!run) {
        process.stderr.write(`hearth: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
    try {
        return await run(new Args(rest), process.stdout);
    } catch (err) {
        process.stderr.write(`hearth: ${err.message}\n`);
        return err instanceof UsageError ? 2 : 1;
    }
}

// An explicit exit: the threaded build's worker pool must not decide when Node ends.
const code = await main(process.argv.slice(2));
process.exit(code);
