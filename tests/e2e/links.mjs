// Follows every internal link from the home page with linkinator: anchors,
// <link> elements, images, meta URLs, the stylesheet's own url()s and
// #fragments. Links off the site are not fetched (the machine may have no
// network, and another site's health is not ours to test).

import { LinkChecker, LinkState } from 'linkinator';

/**
 * @returns {{ checked: number, skipped: number, broken: string[] }}
 */
export async function checkLinks(base) {
  const origin = new URL(base).origin;
  const checker = new LinkChecker();
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
    linksToSkip: async (link) => new URL(link).origin !== origin,
  });
  const broken = [];
  for (const link of links.filter((link) => link.state === LinkState.BROKEN)) {
    const from = link.parent ? new URL(link.parent).pathname + new URL(link.parent).search : '?';
    const why = link.failureDetails?.map((detail) => detail.message ?? `HTTP ${detail.status}`).join('; ');
    broken.push(`${link.url} (HTTP ${link.status ?? '?'}) linked from ${from}${why ? `: ${why}` : ''}`);
  }
  const unique = (state) => new Set(links.filter((link) => link.state === state).map((link) => link.url)).size;
  return {
    checked: unique(LinkState.OK) + unique(LinkState.BROKEN),
    skipped: unique(LinkState.SKIPPED),
    broken,
  };
}
