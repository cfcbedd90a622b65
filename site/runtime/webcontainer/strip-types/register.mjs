// Registered with `node --import` where the container's Node.js (20.6 to 22.5) cannot strip
// TypeScript types itself: sandbox `.ts` files then run as they do on Node 22.
import { register } from 'node:module';

register('./loader.mjs', import.meta.url);
