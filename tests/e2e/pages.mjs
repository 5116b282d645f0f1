// Every kind of page Marquee serves, as the checks visit them. The site is
// the sample content plus a generated set (see scripts/e2e), so listings
// paginate and tags have depth.

/** The token of the editor's status page, when the server has one. */
export const STATUS_TOKEN = process.env.MARQUEE_STATUS_TOKEN ?? '';

/** An HTML page: what it is, where, the status it must answer with and,
 * for some, a sentence it must contain (text, after tags are removed). */
export const PAGES = [
  { name: 'home', path: '/', status: 200 },
  { name: 'home, page 2', path: '/page/2', status: 200 },
  { name: 'review with everything (Anora)', path: '/reviews/anora', status: 200, contains: 'This review may reveal later elements of the plot.' },
  { name: 'review with a spoiler block', path: '/reviews/the-brutalist', status: 200, contains: 'Spoiler: What the epilogue does' },
  { name: 'tags index', path: '/tags', status: 200 },
  { name: 'tag page', path: '/tags/drama', status: 200 },
  { name: 'ratings', path: '/ratings/4', status: 200 },
  { name: 'ratings, page 2', path: '/ratings/4/page/2', status: 200 },
  { name: 'films by year', path: '/films/2024', status: 200 },
  { name: 'director', path: '/directors/sean-baker', status: 200 },
  { name: 'stats (ratings table)', path: '/stats', status: 200, contains: 'from five stars down to half a star' },
  { name: 'search with results', path: '/search?q=new+york', status: 200, contains: '1 review matches “new york”.' },
  { name: 'search with no results', path: '/search?q=zyzzyva', status: 200, contains: 'No reviews match “zyzzyva”.' },
  { name: 'search with filters and facet counts', path: '/search?q=film&tag=drama&rating=3', status: 200, contains: 'Tag: Drama Remove' },
  { name: 'search, numbered pages', path: '/search?q=camera&page=2', status: 200 },
  { name: 'search past its last page', path: '/search?q=camera&page=999', status: 404 },
  { name: 'search, a typo corrected', path: '/search?q=anorra', status: 200, contains: 'Showing results for anora.' },
  { name: 'search, did you mean', path: '/search?q=anorra&exact=1', status: 200, contains: 'Did you mean anora?' },
  { name: 'search, a lone quote', path: '/search?q=%22', status: 200 },
  { name: 'search, a lone star', path: '/search?q=*', status: 200 },
  { name: 'search, NEAR', path: '/search?q=NEAR', status: 200 },
  { name: 'search, NEAR( and OR', path: '/search?q=NEAR(%20OR', status: 200 },
  { name: 'search, unbalanced quotes', path: '/search?q=%22big%20apple', status: 200 },
  { name: 'search, markup and column filter', path: '/search?q=%3Cb%3E%20title%3Aanora%20-%20%5E', status: 200 },
  { name: 'standalone page (/about)', path: '/about', status: 200 },
  { name: 'film page (two kinds of entry)', path: '/film/perfect-days-2023', status: 200, contains: 'Each time the film was watched' },
  { name: 'film page, diary and lists only', path: '/film/flow-2024', status: 200 },
  { name: 'diary', path: '/diary', status: 200 },
  { name: 'diary, a year', path: '/diary/2024', status: 200 },
  { name: 'diary, page 2', path: '/diary/page/2', status: 200 },
  { name: 'diary past its last page', path: '/diary/page/999', status: 404 },
  { name: 'a year in review', path: '/stats/2025', status: 200, contains: '2025 in review' },
  { name: 'release calendar', path: '/releases', status: 200, contains: 'Release calendar' },
  { name: 'lists', path: '/lists', status: 200 },
  { name: 'a ranked list', path: '/lists/best-of-2024', status: 200, contains: 'The best films of 2024' },
  { name: 'not found', path: '/no-such-page', status: 404 },
  // The editor's page answers only with the server's token (scripts/e2e
  // sets MARQUEE_STATUS_TOKEN for both the server and these checks).
  ...(STATUS_TOKEN
    ? [{ name: "editor's status page", path: `/status?token=${encodeURIComponent(STATUS_TOKEN)}`, status: 200 }]
    : []),
];

/** Non-HTML documents: only their status and content type are checked here
 * (scripts/feed-check reads the feeds themselves). */
export const DOCUMENTS = [
  { name: 'RSS feed', path: '/feed.xml', types: ['application/rss+xml'] },
  { name: 'Atom feed', path: '/atom.xml', types: ['application/atom+xml'] },
  { name: 'JSON Feed', path: '/feed.json', types: ['application/feed+json'] },
  { name: 'diary feed', path: '/diary/feed.xml', types: ['application/rss+xml'] },
  { name: 'lists feed', path: '/lists/feed.xml', types: ['application/rss+xml'] },
  { name: 'release calendar of every date', path: '/releases.ics', types: ['text/calendar'] },
  { name: 'sitemap', path: '/sitemap.xml', types: ['application/xml', 'text/xml'] },
  { name: 'robots.txt', path: '/robots.txt', types: ['text/plain'] },
  { name: 'favicon', path: '/favicon.ico', types: ['image/x-icon', 'image/vnd.microsoft.icon'] },
  { name: 'release calendar', path: '/reviews/anora/release/uk.ics', types: ['text/calendar'] },
];

/** Screenshots for a person to look at. */
export const SCREENSHOT_PAGES = [
  { name: 'home', path: '/' },
  { name: 'tag', path: '/tags/drama' },
  { name: 'anora', path: '/reviews/anora' },
];

/** The viewports and colour schemes every axe check runs in. */
export const VARIANTS = [
  { name: 'desktop-light', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
  { name: 'desktop-dark', viewport: { width: 1280, height: 800 }, colorScheme: 'dark' },
  { name: 'phone-light', viewport: { width: 390, height: 844 }, colorScheme: 'light' },
  { name: 'phone-dark', viewport: { width: 390, height: 844 }, colorScheme: 'dark' },
];
