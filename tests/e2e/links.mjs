// Follows every internal link from the home page with linkinator: anchors,
// <link> elements, images, meta URLs, the stylesheet's own url()s and
// #fragments. Links off the site are not fetched (the machine may have no
// network, and another site's health is not ours to test).
//
// Share cards (/cards/…, linked from og:image) are drawn on first request,
// one at a time: a crawler asking for dozens at once queues them all, so
// they are taken out of the crawl and fetched one after another instead,
// each checked to be a 1200×630 PNG.

import { LinkChecker, LinkState } from 'linkinator';

/**
 * @returns {{ checked: number, skipped: number, broken: string[] }}
 */
export async function checkLinks(base) {
  const origin = new URL(base).origin;
  const checker = new LinkChecker();
  const cards = new Set();
  const { links } = await checker.check({
    path: new URL('/', base).href,
    recurse: true,
    checkCss: true,
    checkFragments: true,
    // Resolve relative links against the page's own URL, as a browser does.
    // Without this linkinator treats /tags as the folder /tags/ and reports
    // the skip link "#main" there as a broken link to /tags/.
    cleanUrls: true,
    concurrency: 8,
    timeout: 20_000,
    // Redirects inside the site are links to fix, not to follow quietly.
    redirects: 'error',
    linksToSkip: async (link) => {
      const url = new URL(link);
      if (url.origin === origin && url.pathname.startsWith('/cards/')) {
        cards.add(url.href);
        return true;
      }
      return url.origin !== origin;
    },
  });
  const broken = [];
  for (const link of links.filter((link) => link.state === LinkState.BROKEN)) {
    const from = link.parent ? new URL(link.parent).pathname + new URL(link.parent).search : '?';
    const why = link.failureDetails?.map((detail) => detail.message ?? `HTTP ${detail.status}`).join('; ');
    broken.push(`${link.url} (HTTP ${link.status ?? '?'}) linked from ${from}${why ? `: ${why}` : ''}`);
  }
  for (const card of cards) {
    const problem = await checkCard(card);
    if (problem) broken.push(`${card}: ${problem}`);
  }
  const unique = (state) => new Set(links.filter((link) => link.state === state).map((link) => link.url)).size;
  return {
    checked: unique(LinkState.OK) + unique(LinkState.BROKEN) + cards.size,
    skipped: unique(LinkState.SKIPPED) - cards.size,
    broken,
  };
}

/** Why the share card at `url` is not a 1200×630 PNG, or null. */
async function checkCard(url) {
  const response = await fetch(url);
  if (response.status !== 200) return `HTTP ${response.status}`;
  const type = response.headers.get('content-type');
  if (type !== 'image/png') return `content-type ${type}`;
  const bytes = new Uint8Array(await response.arrayBuffer());
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((byte, i) => bytes[i] === byte)) return 'not a PNG';
  // The IHDR chunk follows the signature: length, "IHDR", width, height.
  const view = new DataView(bytes.buffer);
  const [width, height] = [view.getUint32(16), view.getUint32(20)];
  return width === 1200 && height === 630 ? null : `${width}×${height}, not 1200×630`;
}
