/**
 * @module Names the well-known sites a visit comes from, so that `google.de`, `www.google.com`
 * and the Google app all count as one source, "Google".
 */

/** Hosts as they appear after `stripPrefix`: no leading `www.` or `m.`. */
const HOSTS_BY_SOURCE: Record<string, readonly string[]> = {
  Google: ['google.com', 'news.google.com', 'com.google.android.googlequicksearchbox'],
  Bing: ['bing.com', 'cn.bing.com'],
  DuckDuckGo: ['duckduckgo.com'],
  Yahoo: ['yahoo.com', 'search.yahoo.com'],
  Yandex: ['yandex.ru', 'yandex.com', 'ya.ru'],
  Baidu: ['baidu.com'],
  Ecosia: ['ecosia.org'],
  Brave: ['search.brave.com'],
  Qwant: ['qwant.com'],
  Startpage: ['startpage.com'],
  Facebook: ['facebook.com', 'l.facebook.com', 'lm.facebook.com', 'fb.com'],
  Instagram: ['instagram.com', 'l.instagram.com'],
  LinkedIn: ['linkedin.com', 'lnkd.in'],
  Twitter: ['twitter.com', 't.co', 'x.com'],
  Reddit: ['reddit.com', 'old.reddit.com', 'out.reddit.com'],
  YouTube: ['youtube.com', 'youtu.be'],
  'Hacker News': ['news.ycombinator.com'],
  GitHub: ['github.com'],
  Pinterest: ['pinterest.com'],
  TikTok: ['tiktok.com'],
  Wikipedia: ['wikipedia.org'],
  ChatGPT: ['chatgpt.com', 'chat.openai.com'],
  Perplexity: ['perplexity.ai'],
  Threads: ['threads.net'],
  Bluesky: ['bsky.app'],
  Telegram: ['t.me', 'web.telegram.org'],
  WhatsApp: ['web.whatsapp.com', 'wa.me'],
  Slack: ['slack.com', 'app.slack.com'],
  Discord: ['discord.com'],
};

const SOURCE_BY_HOST = new Map(
  Object.entries(HOSTS_BY_SOURCE).flatMap(([source, hosts]) => hosts.map((host) => [host, source] as const)),
);

/** Families too large to list: country domains (`google.co.uk`, `yahoo.co.jp`) and language wikis. */
const SOURCE_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^google\.(?:com?\.)?[a-z]{2,3}$/, 'Google'],
  [/(?:^|\.)yahoo\.(?:com?\.)?[a-z]{2,3}$/, 'Yahoo'],
  [/^yandex\.(?:com?\.)?[a-z]{2,3}$/, 'Yandex'],
  [/\.wikipedia\.org$/, 'Wikipedia'],
];

/**
 * The source name for a lower-case hostname (as `URL#hostname` gives it), or undefined
 * when the site is not one we know. The Map answers most referrers in one lookup; the
 * rules run only for the rest.
 */
export function knownSourceName(host: string): string | undefined {
  const stripped = stripPrefix(host);
  const exact = SOURCE_BY_HOST.get(stripped);
  if (exact !== undefined) return exact;
  for (const [pattern, source] of SOURCE_RULES) {
    if (pattern.test(stripped)) return source;
  }
  return undefined;
}

/** The host as the referrer dimension shows it: lower case, without one leading `www.`. */
export function bareHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.startsWith('www.') ? lower.slice(4) : lower;
}

/** `m.` is the mobile site of the same source (m.facebook.com, m.youtube.com). */
function stripPrefix(host: string): string {
  if (host.startsWith('www.')) return host.slice(4);
  if (host.startsWith('m.')) return host.slice(2);
  return host;
}
