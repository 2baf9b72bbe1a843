// Where the end-to-end server listens and the token it requires (fixed for tests; npm start makes a
// random one). UNFOLD_E2E_PORT overrides the port when 47910 is taken.
import os from 'node:os';
import path from 'node:path';

export const E2E_PORT = Number(process.env.UNFOLD_E2E_PORT || 47910);
export const E2E_TOKEN = 'e2e-token-4f1c9a7b2d3e6f80';
export const E2E_ORIGIN = `http://127.0.0.1:${E2E_PORT}`;
export const E2E_URL = `${E2E_ORIGIN}/?token=${E2E_TOKEN}`;
/** scratch space shared by the server and the specs (exports, truncated copies, settings) */
export const E2E_TMP = path.join(os.tmpdir(), `unfold-e2e-${E2E_PORT}`);
