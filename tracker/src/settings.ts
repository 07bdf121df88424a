/**
 * The settings, read once from the script's own tag. A flag (`data-hash`, `data-local`,
 * `data-outbound`, `data-downloads`) is on when the attribute is present, even empty.
 */

/** Replaced at build time by `INGEST_PATH` from the wire protocol (see ../build.ts). */
declare const GLIMT_INGEST_PATH: string;

interface Data {
  site: string;
  api?: string;
  hash?: string;
  local?: string;
  outbound?: string;
  downloads?: string;
}

const script = document.currentScript as HTMLScriptElement;

export const data = script.dataset as DOMStringMap & Data;

/** Events go to the origin the script came from, unless `data-api` says otherwise. */
export const api: string | URL = data.api || new URL(GLIMT_INGEST_PATH, script.src);

/**
 * Nothing is sent under Global Privacy Control (https://privacycg.github.io/gpc-spec/,
 * not yet in TypeScript's DOM types), nor from a developer's machine without `data-local`:
 * localhost and *.localhost (RFC 6761), 127.*, and file: pages, which have no hostname.
 */
export const off: unknown =
  (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl ||
  (data.local == null && /^$|^127\.|localhost$/.test(location.hostname));
