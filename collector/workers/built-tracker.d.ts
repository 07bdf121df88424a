/** The module `build-tracker.ts` writes, imported through the `glimt-tracker-script` alias. */
declare module 'glimt-tracker-script' {
  const tracker: { body: string; etag: string };
  export default tracker;
}

/** The module `build-dashboard.ts` writes, imported through the `glimt-dashboard-assets` alias. */
declare module 'glimt-dashboard-assets' {
  const dashboard: import('../core/routes/dashboard.ts').DashboardAssets;
  export default dashboard;
}
