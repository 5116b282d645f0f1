// Lighthouse's four scores (performance, accessibility, best practices,
// SEO) on the home page (ten review cards, each with its poster) and a
// review page, as a reader's phone on a slow network would load them
// (Lighthouse's default mobile emulation and simulated throttling).
//
// Accessibility, best practices and SEO are audits of the page itself:
// each must be 100. Performance is computed from timings taken on a shared
// machine; it measures 100 here on a quiet one, and must reach 95.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { CHROMIUM_ARGS } from './browser.mjs';

const require = createRequire(import.meta.url);
const LIGHTHOUSE = require.resolve('lighthouse/cli/index.js');
/** The score each category must reach, out of 100. */
export const MIN_SCORES = {
  performance: 95,
  accessibility: 100,
  'best-practices': 100,
  seo: 100,
};
/** The pages scored. */
export const SCORED_PAGES = ['/', '/reviews/anora'];

/** Requests every poster size a page offers, so that Lighthouse measures
 * the site as readers meet it: each size is made once, in the background
 * or on its first request, and then served from disk. */
async function warmPosters(base, path) {
  const page = await (await fetch(new URL(path, base))).text();
  const urls = new Set(page.match(/\/images\/[0-9a-f]{32}-\d+\.(?:webp|jpg|png)/g) ?? []);
  for (const url of urls) await (await fetch(new URL(url, base))).arrayBuffer();
}

/** Lighthouse's report of one page, every category. */
async function lighthouse(url, executablePath) {
  const profile = mkdtempSync(join(tmpdir(), 'marquee-lighthouse-'));
  try {
    const flags = [...CHROMIUM_ARGS, `--user-data-dir=${profile}`].join(' ');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [LIGHTHOUSE, url, `--only-categories=${Object.keys(MIN_SCORES).join(',')}`,
        '--output=json', '--output-path=stdout', '--quiet', `--chrome-flags=${flags}`],
      { env: { ...process.env, CHROME_PATH: executablePath }, maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(stdout);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The audits of a category that did not pass, for the report. */
function failedAudits(result, category) {
  return result.categories[category].auditRefs
    .map((ref) => result.audits[ref.id])
    .filter((audit) => audit && audit.score !== null && audit.score < 1
      && audit.scoreDisplayMode !== 'informative' && audit.scoreDisplayMode !== 'manual')
    .map((audit) => `${audit.id} (${audit.title})`);
}

/**
 * @returns {{ scores: Record<string, Record<string, number>>, metrics: string, problems: string[] }}
 */
export async function checkLighthouse(base, { executablePath }) {
  const scores = {};
  const problems = [];
  let metrics = '';
  for (const path of SCORED_PAGES) {
    await warmPosters(base, path);
    const result = await lighthouse(new URL(path, base).href, executablePath);
    scores[path] = {};
    for (const [category, minimum] of Object.entries(MIN_SCORES)) {
      const score = Math.round((result.categories[category]?.score ?? 0) * 100);
      scores[path][category] = score;
      if (score < minimum) {
        const failed = failedAudits(result, category);
        problems.push(`${path}: ${category} ${score} < ${minimum}${failed.length ? `: ${failed.join(', ')}` : ''}`);
      }
    }
    if (path === '/') {
      const audit = (id) => result.audits[id]?.displayValue ?? '?';
      metrics = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time',
        'cumulative-layout-shift', 'speed-index'].map((id) => `${id} ${audit(id)}`).join(', ');
    }
  }
  return { scores, metrics, problems };
}
