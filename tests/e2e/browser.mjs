// The checks that need a real browser: axe-core on every kind of page in
// light and dark colour schemes at desktop and phone widths, and what a
// person would notice (an error in the console, a page wider than the
// phone, a layout shift, a focus ring that does not show, markup a strict
// Content-Security-Policy would block), plus the screenshots.

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { PAGES, SCREENSHOT_PAGES, VARIANTS } from './pages.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** The flags TOOLING.md found to work for headless Chromium here. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Any layout shift at all is a failure: the pages have no web fonts, no
 * script and sized images, so nothing should move once painted. */
const MAX_LAYOUT_SHIFT = 0;

/** How many Tab presses the keyboard check makes on each page. */
const MAX_TABS = 40;

/** Collects layout shifts from the first paint on, before any page code.
 * Playwright injects it through the DevTools protocol, so a strict CSP on
 * the page does not block it. */
function watchLayoutShifts() {
  window.__layoutShift = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!entry.hadRecentInput) window.__layoutShift += entry.value;
    }
  }).observe({ type: 'layout-shift', buffered: true });
}

/** What a strict CSP (no inline script or style) would block, and what a
 * phone would have to scroll sideways for. Runs in the page. */
function inspectPage() {
  const problems = [];
  for (const element of document.querySelectorAll('*')) {
    const tag = element.localName;
    if (element.hasAttribute('style')) problems.push(`inline style= on <${tag}>`);
    if (tag === 'style') problems.push('inline <style> element');
    if (tag === 'script' && element.getAttribute('type') !== 'application/ld+json') {
      problems.push(`<script${element.src ? ` src=${element.src}` : ''}>: pages need no JavaScript`);
    }
    for (const attribute of element.getAttributeNames()) {
      if (attribute.startsWith('on')) problems.push(`event handler ${attribute}= on <${tag}>`);
    }
  }
  const overflow = document.documentElement.scrollWidth - window.innerWidth;
  if (overflow > 0) {
    const wide = [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 3)
      .map((element) => element.localName + (element.className ? `.${String(element.className).split(' ')[0]}` : ''));
    problems.push(`the page is ${overflow}px wider than the viewport (${wide.join(', ')})`);
  }
  return problems;
}

/** Whether the focused element shows it: an outline of at least 2px (the
 * site's focus style; a box shadow would not tell focus from decoration,
 * as the current navigation link has one), and it is on screen. Runs in
 * the page. */
function describeFocus() {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  // The browser scrolls a focused element into view, so it must be there.
  const onScreen = box.width > 1 && box.height > 1 && box.bottom > 0 && box.right > 0 &&
    box.left < window.innerWidth && box.top < window.innerHeight;
  const name = element.localName + (element.id ? `#${element.id}` : '') +
    (element.getAttribute('href') ? `[href="${element.getAttribute('href')}"]` : '');
  return { name, visible: outlined && onScreen };
}

async function runAxe(page) {
  // Evaluated through the DevTools protocol rather than added as a
  // <script>, so a strict Content-Security-Policy cannot block it.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(
    (tags) => window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    }),
    AXE_TAGS,
  );
}

/**
 * @returns {{ runs: number, focusStops: number, violations: string[], problems: string[], screenshots: string[] }}
 */
export async function checkInBrowser(base, { executablePath, screenshotDir }) {
  const violations = [];
  const problems = [];
  const screenshots = [];
  let runs = 0;
  let focusStops = 0;
  mkdirSync(screenshotDir, { recursive: true });
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    for (const variant of VARIANTS) {
      const page = await browser.newPage();
      await page.setViewportSize(variant.viewport);
      await page.emulateMedia({ colorScheme: variant.colorScheme, reducedMotion: 'reduce' });
      await page.addInitScript(watchLayoutShifts);
      let current = null;
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        // The 404 page's own status is logged as an error; it is expected.
        const fromExpected404 = current?.status === 404 && message.location().url === new URL(current.path, base).href;
        if (!fromExpected404) problems.push(`${current?.path} [${variant.name}] console: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`${current?.path} [${variant.name}] page error: ${error.message}`));
      // Leaving a page cancels what it was still loading (a lazy poster the
      // Tab pass scrolled to): the browser's doing, not a failed request.
      let leaving = false;
      page.on('requestfailed', (request) => {
        const cancelled = request.failure()?.errorText === 'net::ERR_ABORTED';
        if (cancelled && leaving) return;
        problems.push(`${current?.path} [${variant.name}] request failed: ${request.url()} ${request.failure()?.errorText}`);
      });
      const visit = async (path) => {
        leaving = true;
        try {
          return await page.goto(new URL(path, base).href, { waitUntil: 'load' });
        } finally {
          leaving = false;
        }
      };

      for (const target of PAGES) {
        current = target;
        const where = `${target.path} (${target.name}) [${variant.name}]`;
        const response = await visit(target.path);
        if (response?.status() !== target.status) {
          problems.push(`${where}: HTTP ${response?.status()}, expected ${target.status}`);
        }
        const results = await runAxe(page);
        runs += 1;
        for (const violation of results.violations) {
          const nodes = violation.nodes.slice(0, 5).map((node) =>
            `\n        ${node.target.join(' ')}: ${node.failureSummary?.split('\n').slice(1).join(' ').trim()}`);
          violations.push(`${where} ${violation.id} (${violation.impact}): ${violation.help}${nodes.join('')}`);
        }
        for (const problem of await page.evaluate(inspectPage)) problems.push(`${where}: ${problem}`);
        const shift = await page.evaluate(() => window.__layoutShift);
        if (typeof shift !== 'number') problems.push(`${where}: layout shifts could not be measured`);
        else if (shift > MAX_LAYOUT_SHIFT) problems.push(`${where}: layout shift ${shift.toFixed(4)}`);
      }

      // Keyboard: every stop a Tab reaches shows where focus is. The
      // outline does not depend on the colour scheme, so once per width.
      if (variant.colorScheme === 'light') {
        for (const target of PAGES) {
          current = target;
          await visit(target.path);
          for (let tab = 0; tab < MAX_TABS; tab += 1) {
            await page.keyboard.press('Tab');
            const focus = await page.evaluate(describeFocus);
            if (!focus) break;
            focusStops += 1;
            if (!focus.visible) {
              problems.push(`${target.path} [${variant.name}]: no visible focus on ${focus.name} (Tab ${tab + 1})`);
            }
          }
        }
      }

      for (const shot of SCREENSHOT_PAGES) {
        current = { ...shot, status: 200 };
        await visit(shot.path);
        // A full-page picture shows the posters below the fold too: load
        // the lazy ones before taking it.
        await page.evaluate(() => Promise.all([...document.images].map((image) => {
          image.loading = 'eager';
          return image.decode().catch(() => {});
        })));
        const path = join(screenshotDir, `${shot.name}-${variant.name}.png`);
        await page.screenshot({ path, fullPage: true });
        screenshots.push(path);
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return { runs, focusStops, violations, problems, screenshots };
}
