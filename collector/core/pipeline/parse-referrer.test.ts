import { describe, expect, it } from 'vitest';
import { bareHost, knownSourceName } from './parse-referrer.ts';

const known: Array<[string, string]> = [
  ['google.com', 'Google'],
  ['www.google.com', 'Google'],
  ['www.google.de', 'Google'],
  ['google.co.uk', 'Google'],
  ['www.google.com.au', 'Google'],
  ['m.google.com', 'Google'],
  ['news.google.com', 'Google'],
  ['com.google.android.googlequicksearchbox', 'Google'],
  ['www.bing.com', 'Bing'],
  ['duckduckgo.com', 'DuckDuckGo'],
  ['search.yahoo.com', 'Yahoo'],
  ['uk.search.yahoo.com', 'Yahoo'],
  ['yahoo.co.jp', 'Yahoo'],
  ['yandex.ru', 'Yandex'],
  ['yandex.com.tr', 'Yandex'],
  ['www.baidu.com', 'Baidu'],
  ['www.ecosia.org', 'Ecosia'],
  ['search.brave.com', 'Brave'],
  ['www.qwant.com', 'Qwant'],
  ['www.startpage.com', 'Startpage'],
  ['facebook.com', 'Facebook'],
  ['m.facebook.com', 'Facebook'],
  ['l.facebook.com', 'Facebook'],
  ['lm.facebook.com', 'Facebook'],
  ['fb.com', 'Facebook'],
  ['www.instagram.com', 'Instagram'],
  ['l.instagram.com', 'Instagram'],
  ['www.linkedin.com', 'LinkedIn'],
  ['lnkd.in', 'LinkedIn'],
  ['t.co', 'Twitter'],
  ['twitter.com', 'Twitter'],
  ['x.com', 'Twitter'],
  ['www.reddit.com', 'Reddit'],
  ['old.reddit.com', 'Reddit'],
  ['out.reddit.com', 'Reddit'],
  ['www.youtube.com', 'YouTube'],
  ['m.youtube.com', 'YouTube'],
  ['youtu.be', 'YouTube'],
  ['news.ycombinator.com', 'Hacker News'],
  ['github.com', 'GitHub'],
  ['www.pinterest.com', 'Pinterest'],
  ['www.tiktok.com', 'TikTok'],
  ['en.wikipedia.org', 'Wikipedia'],
  ['de.m.wikipedia.org', 'Wikipedia'],
  ['chatgpt.com', 'ChatGPT'],
  ['chat.openai.com', 'ChatGPT'],
  ['www.perplexity.ai', 'Perplexity'],
  ['www.threads.net', 'Threads'],
  ['bsky.app', 'Bluesky'],
  ['t.me', 'Telegram'],
  ['web.telegram.org', 'Telegram'],
  ['web.whatsapp.com', 'WhatsApp'],
  ['wa.me', 'WhatsApp'],
  ['app.slack.com', 'Slack'],
  ['discord.com', 'Discord'],
];

const unknown = [
  'example.com',
  'mail.google.com',
  'googleusercontent.com',
  'notgoogle.com',
  'google.example.com',
  'wikipedia.org.evil.com',
  'mastodon.social',
  '',
];

describe('knownSourceName', () => {
  it.each(known)('%s is %s', (host, source) => {
    expect(knownSourceName(host)).toBe(source);
  });

  it.each(unknown)('%j is not a known source', (host) => {
    expect(knownSourceName(host)).toBeUndefined();
  });
});

describe('bareHost', () => {
  it.each([
    ['www.Example.COM', 'example.com'],
    ['example.com', 'example.com'],
    ['www.www.example.com', 'www.example.com'],
    ['m.example.com', 'm.example.com'],
  ])('%s becomes %s', (host, bare) => {
    expect(bareHost(host)).toBe(bare);
  });
});
