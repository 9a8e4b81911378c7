// Types of scripts/electron-fuses.mjs, for the tests that read the fuse wiring.
/** The @electron/fuses V1 config: fuse index (FuseV1Options) → on/off, plus version and signing flags. */
export interface FuseConfig {
  version: string;
  resetAdHocDarwinSignature?: boolean;
  [fuse: number]: boolean | undefined;
}
/** The fuses for an electron-builder platform name ('darwin', 'mas', 'win32', 'linux'). */
export function fusesFor(platform: string): FuseConfig;
/** Fuse names (FuseV1Options) and states as read from a packed executable. */
export function readFuses(executable: string): Promise<Record<string, 'enabled' | 'disabled' | 'removed' | 'inherit' | string>>;
/** electron-builder `afterPack` hook. */
export default function afterPack(context: unknown): Promise<void>;
