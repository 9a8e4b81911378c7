#!/usr/bin/env node
// electron-builder `afterPack` hook: flips the Electron fuses of the packed binary with
// @electron/fuses (through electron-builder's own `addElectronFuses`), before signing. Without
// it any local program could start the signed app as plain Node (ELECTRON_RUN_AS_NODE, or
// NODE_OPTIONS / --inspect into it) and act with its identity, e.g. read its keychain items.
// `fusesFor` is the decision, read by the tests; the hook only carries it out.
import fuses from '@electron/fuses';

const { FuseV1Options, FuseVersion, getCurrentFuseWire } = fuses;

/** Platforms where Electron checks the embedded asar integrity (Linux has no such check). */
const ASAR_INTEGRITY = new Set(['darwin', 'mas', 'win32']);

/**
 * The fuses for an electron-builder platform name ('darwin', 'mas', 'win32', 'linux'). The ones
 * left out keep Electron's default.
 */
export function fusesFor(platform) {
  return {
    version: FuseVersion.V1,
    // Flipping fuses breaks an ad-hoc signature (Apple silicon): make a new one; a real identity signs after.
    resetAdHocDarwinSignature: platform === 'darwin',
    // No `ELECTRON_RUN_AS_NODE=1 <app> script.js`: the built-in demo server runs in-process (electron/demo-server.ts).
    [FuseV1Options.RunAsNode]: false,
    // Cookies on disk are encrypted with a key from the OS keychain.
    [FuseV1Options.EnableCookieEncryption]: true,
    // No NODE_OPTIONS (--require of any script) and no --inspect into the main process.
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    // app.asar is checked against the hash electron-builder embeds (Info.plist, Windows resource).
    ...(ASAR_INTEGRITY.has(platform) ? { [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true } : {}),
    // Only app.asar is loaded: no resources/app folder beside it can replace the app.
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    // The settings window is http://127.0.0.1; file:// pages need no extra privileges.
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  };
}

/** Fuse names and states (enabled / disabled / removed / inherit) as read from a binary. */
export async function readFuses(executable) {
  const wire = await getCurrentFuseWire(executable);
  const states = { 48: 'disabled', 49: 'enabled', 114: 'removed', 144: 'inherit' };
  return Object.fromEntries(Object.entries(wire).filter(([k]) => k !== 'version').map(([k, v]) => [FuseV1Options[Number(k)], states[v] ?? String(v)]));
}

/** electron-builder `afterPack` hook. */
export default async function afterPack(context) {
  const config = fusesFor(context.electronPlatformName);
  await context.packager.addElectronFuses(context, config);
  const set = Object.entries(config).filter(([k]) => /^\d+$/.test(k)).map(([k, v]) => `${FuseV1Options[Number(k)]}=${v ? 'on' : 'off'}`);
  console.log(`  • electron fuses  ${context.electronPlatformName}: ${set.join(' ')}`);
}
