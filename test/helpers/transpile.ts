import * as path from "node:path";

/** Node.js arguments that run a .ts file the way mocha's workers run the suite (test/helpers/transpile.cjs). */
export const TYPESCRIPT_ARGS = ["-r", path.join(__dirname, "transpile.cjs")];
