// How the suite's TypeScript runs (mocha's `require`, and the node processes tests start from .ts files): ts-node
// transpiling with swc. TypeScript's own transpiler took about 2 s of CPU in each process loading the e2e helpers
// (the provider's and the emulator's sources); `npm run typecheck` checks the types.
/* global require */
require("ts-node").register({ transpileOnly: true, swc: true });
