/** The module `build-tracker.ts` writes, imported through the `glimt-tracker-script` alias. */
declare module 'glimt-tracker-script' {
  const tracker: { body: string; etag: string };
  export default tracker;
}
