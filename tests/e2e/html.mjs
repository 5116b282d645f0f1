// Status, content type and the Nu Html Checker (vnu) for every kind of
// page, plus the stylesheet through vnu's CSS checker. Each page is fetched
// once and handed to vnu as a file, so the 404 page is validated too (vnu
// refuses to fetch a URL that answers 404).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DOCUMENTS, PAGES } from './pages.mjs';

const require = createRequire(import.meta.url);
const VNU_JAR = require.resolve('vnu-jar/build/dist/vnu.jar');

/** The media type of a response, without parameters. */
const mediaType = (response) =>
  (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();

/** The text of an HTML document, near enough for a phrase search. */
const textOf = (html) =>
  html.replace(/<[^>]*>/g, '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

async function fetchPage(base, path) {
  const response = await fetchOnce(new URL(path, base)).catch((error) => {
    // vnu runs synchronously for seconds; meanwhile the server may close
    // the idle keep-alive connection, which the next fetch then finds
    // closed. A GET is safe to repeat, on a new connection.
    if (error?.cause?.code !== 'UND_ERR_SOCKET') throw error;
    return fetchOnce(new URL(path, base));
  });
  return { response, body: await response.text() };
}

const fetchOnce = (url) => fetch(url, { redirect: 'manual' });

/**
 * Runs vnu over files and returns its messages grouped by file path.
 * `--exit-zero-always` because the messages, not the exit code, are the
 * result; a message vnu could not attach to a file still counts.
 */
function runVnu(files, extraArgs) {
  const run = spawnSync(
    'java',
    [
      '-Dnu.validator.servlet.allow-forbidden-hosts=true',
      '-jar', VNU_JAR,
      '--format', 'json',
      '--exit-zero-always',
      ...extraArgs,
      ...files,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.error) throw run.error;
  let messages;
  try {
    ({ messages } = JSON.parse(run.stderr));
  } catch {
    throw new Error(`vnu did not report JSON (exit ${run.status}):\n${run.stderr}${run.stdout}`);
  }
  return messages;
}

/** An error, or vnu unable to check the document at all. */
const isError = (message) => message.type === 'error' || message.type === 'non-document-error';
const isWarning = (message) => message.type === 'info' && message.subType === 'warning';

const describe = (message) =>
  `${message.lastLine ?? '?'}:${message.firstColumn ?? message.lastColumn ?? '?'} ${message.message}` +
  (message.extract ? `\n        ${JSON.stringify(message.extract)}` : '');

/**
 * @returns {{ pages: number, documents: number, errors: string[], warnings: string[] }}
 */
export async function checkHtml(base) {
  const errors = [];
  const warnings = [];
  const dir = mkdtempSync(join(tmpdir(), 'marquee-vnu-'));
  try {
    const files = new Map();
    let stylesheet = null;
    for (const [index, page] of PAGES.entries()) {
      const { response, body } = await fetchPage(base, page.path);
      if (response.status !== page.status) {
        errors.push(`${page.path} (${page.name}): HTTP ${response.status}, expected ${page.status}`);
      }
      if (page.contains && !textOf(body).includes(page.contains)) {
        errors.push(`${page.path} (${page.name}): does not say "${page.contains}"`);
      }
      if (mediaType(response) !== 'text/html') {
        errors.push(`${page.path}: content type "${response.headers.get('content-type')}", expected text/html`);
        continue;
      }
      const file = join(dir, `page-${String(index).padStart(2, '0')}.html`);
      writeFileSync(file, body);
      files.set(file, page);
      stylesheet ??= body.match(/<link rel="stylesheet" href="([^"]+)"/)?.[1] ?? null;
    }

    for (const message of runVnu([...files.keys()], [])) {
      const file = message.url ? decodeURIComponent(new URL(message.url).pathname) : '';
      const page = files.get(file);
      const where = page ? `${page.path} (${page.name})` : `vnu (${file || 'no file'})`;
      if (isError(message)) errors.push(`${where} ${describe(message)}`);
      else if (isWarning(message)) warnings.push(`${where} ${describe(message)}`);
    }

    if (!stylesheet) {
      errors.push('no <link rel="stylesheet"> found on the pages');
    } else {
      const { response, body } = await fetchPage(base, stylesheet);
      if (response.status !== 200 || mediaType(response) !== 'text/css') {
        errors.push(`${stylesheet}: HTTP ${response.status} ${response.headers.get('content-type')}, expected 200 text/css`);
      } else {
        const file = join(dir, 'style.css');
        writeFileSync(file, body);
        for (const message of runVnu([file], ['--css'])) {
          if (isError(message)) errors.push(`${stylesheet} ${describe(message)}`);
          else if (isWarning(message)) warnings.push(`${stylesheet} ${describe(message)}`);
        }
      }
    }

    for (const doc of DOCUMENTS) {
      const { response } = await fetchPage(base, doc.path);
      const type = mediaType(response);
      if (response.status !== 200) {
        errors.push(`${doc.path} (${doc.name}): HTTP ${response.status}, expected 200`);
      } else if (!doc.types.includes(type)) {
        errors.push(`${doc.path} (${doc.name}): content type "${type}", expected ${doc.types.join(' or ')}`);
      }
    }
    return { pages: files.size, documents: DOCUMENTS.length, errors, warnings };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
