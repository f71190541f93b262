// The download progress bar: bytes, rate, ETA, and where an interrupted download resumed from.
import { byId } from './dom.mjs';
import { formatBytes, formatRate, formatDuration } from './format.mjs';

export function createDownloadView({ onCancel }) {
    const box = byId('download');
    const bar = byId('download-bar');
    const label = byId('download-label');
    const resume = byId('download-resume');
    byId('download-cancel').addEventListener('click', () => onCancel());

    return {
        start(name) {
            box.hidden = false;
            bar.removeAttribute('value'); // indeterminate until the size is known
            label.textContent = `Starting ${name}…`;
            resume.hidden = true;
        },
        update({ phase, loaded = 0, total = 0, rate, eta, file, resumedFrom }) {
            if (total > 0) {
                bar.max = total;
                bar.value = Math.min(loaded, total);
            }
            const percent = total > 0 ? ` (${Math.floor((100 * loaded) / total)}%)` : '';
            // The engine reports the download, then the copy into its memory ('load').
            const what = phase === 'load' ? 'Loading into memory' : `Downloading${file ? ` ${file}` : ''}`;
            let speed = '';
            if (phase !== 'load') {
                const left = loaded >= total ? 'finishing' : Number.isFinite(eta) ? `${formatDuration(eta)} left` : 'estimating time left';
                speed = ` · ${formatRate(rate)} · ${left}`;
            }
            label.textContent = `${what}: ${formatBytes(loaded)} of ${total > 0 ? formatBytes(total) : '?'}${percent}${speed}`;
            if (resumedFrom > 0) {
                resume.hidden = false;
                resume.textContent = `Resumed an interrupted download from ${formatBytes(resumedFrom)}.`;
            }
        },
        finish() {
            box.hidden = true;
        },
    };
}
