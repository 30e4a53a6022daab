/**
 * The start command's entry (`npm start`): runs the bundled gateway's `main()`.
 * `npm run build` bundles it (with everything it imports, lazy parts as
 * chunks loaded on first use) into `dist/bundle/start.js`, so a start reads a
 * few files instead of hundreds; `node dist/app.js` runs the same unbundled.
 */
import { main } from './app.js'

await main()
