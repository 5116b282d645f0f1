// Lighthouse's performance score of the home page: ten review cards, each
// with its poster, as a reader's phone on a slow network would load them
// (Lighthouse's default mobile emulation and simulated throttling).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { CHROMIUM_ARGS } from './browser.mjs';

const require = createRequire(import.meta.url);
const LIGHTHOUSE = require.resolve('lighthouse/cli/index.js');
/** The score the home page must reach, out of 100. */
export const MIN_PERFORMANCE = 95;

/** Requests every poster size the home page offers, so that Lighthouse
 * measures the site as readers meet it: each size is made once, in the
 * background or on its first request, and then served from disk. */
async function warmPosters(base) {
  const home = await (await fetch(new URL('/', base))).text();
  const urls = new Set(home.match(/\/images\/[0-9a-f]{32}-\d+\.(?:webp|jpg|png)/g) ?? []);
  for (const url of urls) await (await fetch(new URL(url, base))).arrayBuffer();
}

/**
 * @returns {{ score: number, metrics: string, problems: string[] }}
 */
export async function checkPerformance(base, { executablePath }) {
  await warmPosters(base);
  const profile = mkdtempSync(join(tmpdir(), 'marquee-lighthouse-'));
  try {
    const flags = [...CHROMIUM_ARGS, `--user-data-dir=${profile}`].join(' ');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [LIGHTHOUSE, new URL('/', base).href, '--only-categories=performance',
        '--output=json', '--output-path=stdout', '--quiet', `--chrome-flags=${flags}`],
      { env: { ...process.env, CHROME_PATH: executablePath }, maxBuffer: 64 * 1024 * 1024 },
    );
    const result = JSON.parse(stdout);
    const score = Math.round((result.categories.performance.score ?? 0) * 100);
    const audit = (id) => result.audits[id]?.displayValue ?? '?';
    const metrics = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time',
      'cumulative-layout-shift', 'speed-index'].map((id) => `${id} ${audit(id)}`).join(', ');
    const problems = score >= MIN_PERFORMANCE ? []
      : [`home page performance ${score} < ${MIN_PERFORMANCE} (${metrics})`];
    return { score, metrics, problems };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
