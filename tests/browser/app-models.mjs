// The repositories the app's tests use on the local Hub-protocol server (a folder of the models
// directory is a repository named local/<folder>).
export const LOCAL_REPO = 'local/stories260K';
export const LOCAL_FILE = 'stories260K-Q8_0.gguf';
export const HOSTILE_REPO = 'local/hostile';
export const HOSTILE_FILE = 'hostile-Q8_0.gguf';
export const HOSTILE_NAME = '<img src=x onerror=window.__pwned=1>';
