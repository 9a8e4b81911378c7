// `node --import ./register.mjs <main>`: the `electron` import resolves to the stand-in below.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
