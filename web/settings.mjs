// The system prompt and sampling settings: a form bound to localStorage, so they survive reloads.

const KEY = 'hearth.settings';

export const DEFAULTS = Object.freeze({
    systemPrompt: 'You are a helpful assistant.',
    temperature: 0.7,
    topP: 0.9,
    topK: 40,
    maxTokens: 256,
    seed: '',
});

const NUMERIC = { temperature: [0, 2], topP: [0, 1], topK: [0, 1000], maxTokens: [1, 32768] };

export function loadSettings() {
    try {
        return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(KEY) ?? '{}') };
    } catch {
        return { ...DEFAULTS };
    }
}

function saveSettings(settings) {
    localStorage.setItem(KEY, JSON.stringify(settings));
}

/** Reads the form's fields (named like the keys of DEFAULTS), clamping numbers to their range. */
function readForm(form) {
    const settings = {};
    for (const key of Object.keys(DEFAULTS)) {
        const field = form.elements.namedItem(key);
        if (!field) continue;
        if (key in NUMERIC) {
            const [min, max] = NUMERIC[key];
            const value = Number(field.value);
            settings[key] = Number.isFinite(value) && field.value !== '' ? Math.min(max, Math.max(min, value)) : DEFAULTS[key];
        } else if (key === 'seed') {
            settings.seed = /^\d+$/.test(field.value.trim()) ? field.value.trim() : '';
        } else {
            settings[key] = field.value;
        }
    }
    return settings;
}

function fillForm(form, settings) {
    for (const [key, value] of Object.entries(settings)) {
        const field = form.elements.namedItem(key);
        if (field) field.value = value;
    }
}

/** Binds the form: fills it, saves on every change; returns a getter for the current settings. */
export function bindSettingsForm(form, { onReset } = {}) {
    let current = loadSettings();
    fillForm(form, current);
    form.addEventListener('input', () => {
        current = readForm(form);
        saveSettings(current);
    });
    form.addEventListener('change', () => fillForm(form, (current = readForm(form))));
    form.addEventListener('reset', (event) => {
        event.preventDefault();
        current = { ...DEFAULTS };
        fillForm(form, current);
        saveSettings(current);
        onReset?.(current);
    });
    form.addEventListener('submit', (event) => event.preventDefault());
    return {
        get: () => current,
        setSystemPrompt(text) {
            current = { ...current, systemPrompt: text };
            fillForm(form, current);
            saveSettings(current);
        },
    };
}
