// Starts the chat app: service worker, settings, conversations, then the model to offer or load
// (a deep link, else the last model used if it is cached, else the default for this Hub).
import { byId } from './dom.mjs';
import { installGlobalErrorHandlers, showError } from './errors.mjs';
import { registerServiceWorker } from './sw-register.mjs';
import { readConfig, defaultModel } from './config.mjs';
import { bindSettingsForm } from './settings.mjs';
import { createChatView } from './chat-view.mjs';
import { createChatController } from './chat-controller.mjs';
import { createEngineHost, describeRuntime } from './engine-host.mjs';
import { createModelController } from './model-controller.mjs';
import { formatCount } from './format.mjs';

function setPanelOpen(open) {
    document.body.classList.toggle('panel-open', open);
    const toggle = byId('panel-toggle');
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Back to chat' : 'Models & settings';
}

/** After the service worker controls the page, let it cache what this first visit loaded. */
async function cacheWhatWasLoaded() {
    if (!navigator.serviceWorker) return;
    const registration = await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(r, 10000))]);
    const urls = [location.href, ...performance.getEntriesByType('resource').map((entry) => entry.name)];
    registration?.active?.postMessage({ type: 'cache-urls', urls });
}

async function start() {
    installGlobalErrorHandlers();
    const registration = await registerServiceWorker();
    if (registration.reloading) return;
    byId('runtime-mode').textContent = describeRuntime(null);

    const config = readConfig();
    const settings = bindSettingsForm(byId('settings-form'));
    const engineHost = createEngineHost();
    let loadedLabel = null;
    const chat = createChatController({
        getEngine: () => (loadedLabel ? engineHost.current() : null),
        settings,
        view: createChatView(),
        modelLabel: () => loadedLabel,
    });
    const models = createModelController({
        config,
        engineHost,
        onUnloaded() {
            loadedLabel = null;
        },
        onLoaded({ label, info }) {
            loadedLabel = label;
            const params = typeof info?.parameters === 'number' ? `, ${formatCount(info.parameters)} parameters` : '';
            const status = byId('model-status');
            status.textContent = `Loaded ${label.split('/').pop()}${info?.architecture ? ` (${info.architecture}${params})` : ''}`;
            status.title = label;
            byId('empty-hint').textContent = 'Say something to start.';
            byId('runtime-mode').textContent = describeRuntime(info);
            setPanelOpen(false);
            byId('prompt').focus();
        },
    });

    byId('panel-toggle').addEventListener('click', () => setPanelOpen(!document.body.classList.contains('panel-open')));
    document.documentElement.dataset.ready = 'booting';
    await chat.restore().catch((error) => showError(error, 'Could not open the saved conversations'));

    const cached = await models.refreshCache();
    setPanelOpen(true);
    if (config.invalidRepo) showError(new Error(`"${config.invalidRepo}" is not a Hub repository name (owner/name).`));
    if (config.deepLink) {
        await models.listRepo(config.deepLink.repo, { preferredFile: config.deepLink.file, revision: config.deepLink.revision });
        byId('load-button').focus();
    } else {
        const last = models.lastCachedSource(cached);
        if (last) {
            // Loads from the cache: works offline.
            models.load(last);
        } else {
            const fallback = defaultModel(config);
            await models.listRepo(fallback.repo, { preferredFile: fallback.file });
        }
    }
    document.documentElement.dataset.ready = 'true';
    cacheWhatWasLoaded().catch(() => {});
}

start().catch((error) => showError(error, 'The app could not start'));
