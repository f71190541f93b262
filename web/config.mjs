// Where models come from: the Hub base URL (Hugging Face by default; ?hub=... points the app at
// another Hub-protocol server, e.g. the local one `make demo` starts) and the deep-link
// parameters of a Hub "Use this model" button (?repo=owner/name[&file=x.gguf][&revision=main]).

export const PUBLIC_HUB = 'https://huggingface.co';
const HUB_KEY = 'hearth.hubUrl';

// With the public Hub: a small real instruct model. With a local Hub server (no internet
// assumed): the tiny stories260K that `make demo` serves from ../shared/models.
export const PUBLIC_DEFAULT_MODEL = { repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF', file: 'qwen2.5-0.5b-instruct-q4_k_m.gguf' };
export const LOCAL_DEFAULT_MODEL = { repo: 'local/stories260K', file: null };

function cleanHubUrl(value) {
    try {
        const url = new URL(value);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
        return url.href.replace(/\/+$/, '');
    } catch {
        return null;
    }
}

/** Reads the page's query; a ?hub= given once is remembered for later visits. */
export function readConfig(search = location.search) {
    const params = new URLSearchParams(search);
    const fromQuery = params.has('hub') ? cleanHubUrl(params.get('hub')) : null;
    if (fromQuery) localStorage.setItem(HUB_KEY, fromQuery);
    const hubUrl = fromQuery ?? cleanHubUrl(localStorage.getItem(HUB_KEY) ?? '') ?? PUBLIC_HUB;
    const repo = params.get('repo')?.trim() || null;
    return {
        hubUrl,
        isLocalHub: hubUrl !== PUBLIC_HUB,
        deepLink: repo && /^[\w.-]+\/[\w.-]+$/.test(repo)
            ? { repo, file: params.get('file')?.trim() || null, revision: params.get('revision')?.trim() || 'main' }
            : null,
        invalidRepo: repo && !/^[\w.-]+\/[\w.-]+$/.test(repo) ? repo : null,
    };
}

export function setHubUrl(value) {
    const url = cleanHubUrl(value);
    if (!url) throw new Error(`Not a valid Hub URL: ${value}`);
    localStorage.setItem(HUB_KEY, url);
    return url;
}

export function defaultModel(config) {
    return config.isLocalHub ? LOCAL_DEFAULT_MODEL : PUBLIC_DEFAULT_MODEL;
}
