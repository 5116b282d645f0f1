// Runs every end-to-end check against a running Marquee and prints one
// summary. Exits 1 if any check found a problem. scripts/e2e starts the
// server and calls this; by hand:
//
//   node tests/e2e/run.mjs --base http://127.0.0.1:3000 \
//     [--chromium /usr/bin/chromium] [--screenshots artifacts/screenshots]

import { parseArgs } from 'node:util';

import { checkInBrowser } from './browser.mjs';
import { checkHtml } from './html.mjs';
import { checkLighthouse } from './lighthouse.mjs';
import { checkLinks } from './links.mjs';
import { STATUS_TOKEN, VARIANTS } from './pages.mjs';

const { values: options } = parseArgs({
  options: {
    base: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    screenshots: { type: 'string', default: 'artifacts/screenshots' },
  },
});
if (!options.base) {
  console.error('usage: node run.mjs --base http://127.0.0.1:PORT [--chromium PATH] [--screenshots DIR]');
  process.exit(2);
}

/** Prints a titled list (at most `limit` entries) and returns its length. */
function report(title, entries, limit = 200) {
  if (entries.length === 0) return 0;
  console.log(`\n${title} (${entries.length}):`);
  for (const entry of entries.slice(0, limit)) console.log(`  - ${entry}`);
  if (entries.length > limit) console.log(`  … and ${entries.length - limit} more`);
  return entries.length;
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;

console.log(`Checking ${options.base}`);
if (!STATUS_TOKEN) console.log("MARQUEE_STATUS_TOKEN is not set: the editor's status page is not checked");
const html = await checkHtml(options.base);
console.log(`[${elapsed()}] Nu Html Checker: ${html.pages} pages and the stylesheet; ${html.documents} other documents`);
const links = await checkLinks(options.base);
console.log(`[${elapsed()}] linkinator: ${links.checked} internal links`);
const browser = await checkInBrowser(options.base, {
  executablePath: options.chromium,
  screenshotDir: options.screenshots,
});
console.log(`[${elapsed()}] axe-core: ${browser.runs} page runs`);
const lighthouse = await checkLighthouse(options.base, { executablePath: options.chromium });
const scoreLine = Object.entries(lighthouse.scores)
  .map(([path, scores]) => `${path} ${Object.entries(scores).map(([category, score]) => `${category} ${score}`).join(', ')}`)
  .join('; ');
console.log(`[${elapsed()}] Lighthouse: ${scoreLine} (home page: ${lighthouse.metrics})`);

const failures =
  report('HTML and CSS errors (Nu Html Checker), bad status or content type', html.errors) +
  report('Accessibility violations (axe-core)', browser.violations) +
  report('Broken links (linkinator)', links.broken) +
  report('Browser problems (console, overflow, layout shift, focus, CSP)', browser.problems) +
  report('Lighthouse scores', lighthouse.problems);
report('Nu Html Checker warnings (not failures)', html.warnings);
report('Screenshots', browser.screenshots);

console.log(`
Summary (${elapsed()}):
  HTML pages validated   ${html.pages} (+ stylesheet), errors: ${html.errors.length}, warnings: ${html.warnings.length}
  axe runs               ${browser.runs} (${browser.runs / VARIANTS.length} pages x ${VARIANTS.map((variant) => variant.name).join(', ')}), violations: ${browser.violations.length}
  browser problems       ${browser.problems.length} (console, overflow, layout shift, CSP; ${browser.focusStops} focus stops checked)
  internal links         ${links.checked} checked, broken: ${links.broken.length}
  Lighthouse             ${scoreLine} (performance at least 95, the others 100)
  screenshots            ${browser.screenshots.length} in ${options.screenshots}
${failures === 0 ? 'PASS: no errors, violations or broken links.' : `FAIL: ${failures} problems (listed above).`}`);
process.exitCode = failures === 0 ? 0 : 1;
