// A V8 code cache for the CommonJS modules a run loads (the bundle, cdk8s, zod, yaml, …): what
// Node 22's module.enableCompileCache() does, for Node 20. scripts/run-ts.cjs turns it on.
//
// Why: compiling those modules is about a sixth of `npm run synth`. V8 caches what it compiled,
// including the functions that ran, and the next run with the same source starts from that.
//
// One file per module under `dir`, named by the module's path and its content's sha256: V8 checks a
// cache only against the source's length, so a changed source must never find the old file. A
// module's older entries are removed when a new one is written. RUN_TS_CODE_CACHE=0 turns it off;
// RUN_TS_CODE_CACHE=stats prints, at exit, how many modules came from the cache.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

function enable(dir) {
  const mode = process.env.RUN_TS_CODE_CACHE;
  if (mode === '0') return;
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch {
    return; // a read-only checkout: no cache, as before
  }
  const compiled = []; // [script, file, prefix] of modules compiled without a usable cache
  let fromCache = 0;

  Module.prototype._compile = function compileWithCache(content, filename) {
    // Node strips a shebang line before it compiles; so must we.
    const source = content.startsWith('#!') ? `//${content.slice(2)}` : content;
    const prefix = `${sha256(`${process.version}\0${filename}`).slice(0, 24)}-`;
    const file = path.join(dir, `${prefix}${sha256(source).slice(0, 24)}`);
    let cachedData;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    const script = new vm.Script(Module.wrap(source), {
      filename,
      cachedData,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cachedData && !script.cachedDataRejected) fromCache += 1;
    else compiled.push([script, file, prefix]);
    // What Node gives a module: its own require, resolved from its own folder.
    const require = (id) => this.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, this, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, this);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return script.runInThisContext({ displayErrors: true })
      .call(this.exports, this.exports, require, this, filename, path.dirname(filename));
  };

  // At exit, the functions that ran are compiled too and go into the cache with the rest.
  process.on('exit', () => {
    if (mode === 'stats') console.error(`code cache: ${fromCache} modules from the cache, ${compiled.length} compiled`);
    if (compiled.length === 0) return;
    const names = fs.readdirSync(dir);
    for (const [script, file, prefix] of compiled) {
      try {
        for (const old of names.filter((n) => n.startsWith(prefix))) fs.rmSync(path.join(dir, old), { force: true });
        const partial = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, script.createCachedData());
        fs.renameSync(partial, file);
      } catch {
        // A cache that cannot be written only makes the next run slower.
      }
    }
  });
}

module.exports = { enable };
