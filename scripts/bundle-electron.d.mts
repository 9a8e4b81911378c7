// Types of scripts/bundle-electron.mjs, for the tests that bundle the main process.
export interface BundleOptions {
  /** The app root; default the checkout. */
  root?: string;
  /** Where main.mjs and preload.cjs go; default <root>/electron/dist. */
  outdir?: string;
  /** esbuild's log level; default "warning". */
  logLevel?: 'silent' | 'error' | 'warning' | 'info';
}
/** Builds the bundle; resolves with the files written. */
export function bundleElectron(options?: BundleOptions): Promise<string[]>;
/** electron-builder `beforePack` hook. */
export function beforePack(): Promise<void>;
export default beforePack;
