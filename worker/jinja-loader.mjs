// Finds @huggingface/jinja from inside the worker. Node and bundlers resolve the bare name; a
// browser module worker has no import map, so there we try the package's file next to ours:
// this repository's node_modules, or a sibling package when Hearth itself is installed in
// node_modules. The page may also name the file outright (createEngine({jinjaUrl})).
let loading = null;

function candidates(explicitUrl) {
    const list = [];
    if (explicitUrl) list.push(explicitUrl);
    list.push('@huggingface/jinja');
    list.push(new URL('../node_modules/@huggingface/jinja/dist/index.js', import.meta.url).href);
    list.push(new URL('../../@huggingface/jinja/dist/index.js', import.meta.url).href);
    return list;
}

export function loadJinja(explicitUrl) {
    if (!loading) {
        loading = (async () => {
            const failures = [];
            for (const specifier of candidates(explicitUrl)) {
                try {
                    const mod = await import(/* @vite-ignore */ specifier);
                    if (typeof mod.Template === 'function') return mod;
                    failures.push(`${specifier}: no Template export`);
                } catch (err) {
                    failures.push(`${specifier}: ${err.message}`);
                }
            }
            loading = null; // let a later call (with a jinjaUrl, say) try again
            throw new Error(`cannot load @huggingface/jinja (${failures.join('; ')})`);
        })();
    }
    return loading;
}
