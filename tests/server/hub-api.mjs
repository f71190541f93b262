// The Hub's JSON API over a repository's files (a Map path -> RepoFile, see hub-repo-files.mjs), as
// hub-server.mjs answers it: the tree listing with its pages, and the model info.
import { createHash } from 'node:crypto';

export const FAKE_COMMIT = '0123456789abcdef0123456789abcdef01234567';

/**
 * The entries of GET /api/models/{repo}/tree/{rev}/{dir}: directories (sorted) then files, one level
 * or, with recursive, all below; null when dir names nothing in the repository.
 */
export async function treeEntries(repo, dir, recursive) {
    const prefix = dir ? `${dir.replace(/\/+$/, '')}/` : '';
    const items = [];
    const dirs = new Set();
    for (const file of repo.values()) {
        if (!file.path.startsWith(prefix)) continue;
        const parts = file.path.slice(prefix.length).split('/');
        for (let i = 1; i < parts.length && (recursive || i === 1); i++) {
            dirs.add(prefix + parts.slice(0, i).join('/'));
        }
        if (parts.length > 1 && !recursive) continue;
        await file.info();
        items.push({
            type: 'file',
            oid: file.gitOid,
            size: file.size,
            path: file.path,
            ...(file.isLfs ? { lfs: { oid: file.sha, size: file.size, pointerSize: 134 } } : {}),
        });
    }
    if (dir && items.length === 0 && dirs.size === 0) return null;
    const directories = [...dirs].sort().map((d) => ({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d }));
    return [...directories, ...items];
}

/**
 * One page of entries from the request's cursor, and the Link header to the next page (the Hub's
 * pagination), or no link on the last page. base: the server's URL.
 */
export function treePage(entries, url, base, pageSize) {
    const cursor = Math.max(0, Number(url.searchParams.get('cursor') ?? 0) || 0);
    const page = entries.slice(cursor, cursor + pageSize);
    if (cursor + pageSize >= entries.length) return { page, link: null };
    const next = new URL(url.pathname, base);
    for (const [k, v] of url.searchParams) if (k !== 'cursor') next.searchParams.set(k, v);
    next.searchParams.set('cursor', String(cursor + pageSize));
    return { page, link: `<${next.href}>; rel="next"` };
}

/** GET /api/models/{repo}: what the Hub says of a model, as far as clients read it. */
export function modelInfo(repoName, repo) {
    return { id: repoName, modelId: repoName, sha: FAKE_COMMIT, siblings: [...repo.keys()].map((rfilename) => ({ rfilename })) };
}
