// Loads the app's modules. If any of them cannot load (a missing file, an old browser, offline
// before the first visit finished), the page says so instead of sitting there frozen.
import('./main.mjs').catch((error) => {
    const banner = document.getElementById('error-banner');
    document.getElementById('error-text').textContent = `The app could not start: ${error && error.message ? error.message : error}`;
    banner.hidden = false;
    document.documentElement.dataset.ready = 'failed';
});
