// An empty application: what `node [--require <preload>] build/bench/empty.js` costs is the preload's start-up.
export {};
