/**
 * @module The script for `<script defer src=".../t.js" data-site="example.com">`, built to a
 * minified IIFE.
 *
 * Its modules run in import order as one scope (esbuild hoists them: no function between
 * them costs bytes): settings, the page, navigation, clicks. Then the first pageview, and
 * the calls that the page queued on `window.glimt` before the script arrived.
 */
import './navigation.ts';
import './clicks.ts';
import type { Track } from './api.ts';
import { pageview, send } from './page.ts';

pageview();
window.glimt?.q?.map((args) => (send as Track)(...(args as Parameters<Track>)));
window.glimt = send;
