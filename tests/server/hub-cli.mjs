// The Hub server standalone (also serves the app with COOP/COEP when --app-port is given):
//   node tests/server/hub-cli.mjs --models ../shared/models --port 8081 --app-port 8080 --app-root .
// Each subfolder of --models becomes the repository local/<folder>; --repo owner/name=DIR adds one.
import { resolve as resolvePath } from 'node:path';
import { createAppServer } from './app-server.mjs';
import { HubServer } from './hub-server.mjs';
import { reposFromModelsDir } from './hub-repo-files.mjs';

function parseArgs(argv) {
    const args = { repos: [], host: '127.0.0.1' };
    for (let i = 0; i < argv.length; i++) {
        const key = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${key} needs a value`);
            return argv[++i];
        };
        if (key === '--models') args.models = value();
        else if (key === '--port') args.port = Number(value());
        else if (key === '--app-port') args.appPort = Number(value());
        else if (key === '--app-root') args.appRoot = value();
        else if (key === '--host') args.host = value();
        else if (key === '--repo') args.repos.push(value());
        else if (key === '--help' || key === '-h') args.help = true;
        else throw new Error(`unknown option ${key}`);
    }
    return args;
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) {
        console.log('node tests/server/hub-cli.mjs [--models DIR] [--repo owner/name=DIR]... [--port 8081] [--app-port 8080 --app-root .] [--host 127.0.0.1]');
        return;
    }
    const servers = [];
    const repos = args.models ? await reposFromModelsDir(args.models) : {};
    for (const spec of args.repos) {
        const eq = spec.indexOf('=');
        if (eq < 0) throw new Error(`--repo wants owner/name=DIR, got ${spec}`);
        repos[spec.slice(0, eq)] = resolvePath(spec.slice(eq + 1));
    }
    if (Object.keys(repos).length > 0 || args.port !== undefined) {
        const hub = new HubServer({ repos });
        await hub.listen({ port: args.port ?? 8081, host: args.host });
        servers.push(hub);
        console.log(`Hub server on ${hub.url}: ${Object.keys(repos).join(', ') || 'no repositories'}`);
    }
    if (args.appPort !== undefined) {
        const app = createAppServer({ root: resolvePath(args.appRoot ?? '.') });
        await app.listen({ port: args.appPort, host: args.host });
        servers.push(app);
        console.log(`App server on ${app.url} (root ${resolvePath(args.appRoot ?? '.')}, COOP/COEP on)`);
    }
    if (servers.length === 0) throw new Error('nothing to serve: give --models, --repo, --port or --app-port');
    const stop = async () => {
        await Promise.all(servers.map((s) => s.close()));
        process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
}

main().catch((err) => {
    console.error(err.message ?? err);
    process.exit(1);
});
