// Converts every message of an HL7 v2 file with bench/peers/adt_a01.jsonata,
// on jsonata or on fumifier, NDJSON out (like `ferry run`):
//   node run_jsonata.mjs jsonata|fumifier|er7-only CORPUS.hl7 [-o OUT]
// Per message: ER7 → JSON (er7.mjs), evaluate, JSON.stringify. A message that
// fails is counted and reported on stderr; exit 3 if any failed. `er7-only`
// does the ER7 → JSON step alone (no mapping, no output): the share of the
// two engines' time that is parsing.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { er7ToJson, splitMessages } from './er7.mjs';
import { functions } from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const [engine, input, ...rest] = process.argv.slice(2);
const outIdx = rest.indexOf('-o');
const output = outIdx >= 0 ? rest[outIdx + 1] : '/dev/stdout';
// The engines are installed by peers.sh under bench/.peers/node_modules.
const require = createRequire(join(here, '..', '.peers', 'package.json'));
const source = readFileSync(join(here, 'adt_a01.jsonata'), 'utf8');

let compiled;
if (engine === 'jsonata') {
  const jsonata = require('jsonata');
  compiled = jsonata(source);
  for (const [name, fn] of Object.entries(functions)) compiled.registerFunction(name, fn);
} else if (engine === 'fumifier') {
  const mod = require('fumifier');
  const fumifier = typeof mod === 'function' ? mod : mod.default;
  compiled = await fumifier(source);
  for (const [name, fn] of Object.entries(functions)) compiled.registerFunction(name, fn);
} else if (engine === 'er7-only') {
  compiled = { evaluate: async (json) => (json.PID ? null : undefined) };
} else {
  console.error('usage: run_jsonata.mjs jsonata|fumifier|er7-only CORPUS.hl7 [-o OUT]');
  process.exit(2);
}

const messages = splitMessages(readFileSync(input, 'utf8'));
const lines = [];
let failed = 0;
for (let i = 0; i < messages.length; i++) {
  try {
    const result = await compiled.evaluate(er7ToJson(messages[i]));
    if (result === undefined) throw new Error('no output');
    if (result !== null) lines.push(JSON.stringify(result));
  } catch (e) {
    failed += 1;
    if (failed <= 5) console.error(`message ${i + 1}: ${e.message ?? e.code ?? e}`);
  }
}
writeFileSync(output, lines.length ? lines.join('\n') + '\n' : '');
console.error(`${engine}: converted ${messages.length - failed}, failed ${failed} (of ${messages.length} messages)`);
process.exit(failed ? 3 : 0);
