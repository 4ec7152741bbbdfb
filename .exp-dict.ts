import zlib from 'node:zlib';
import { writeFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { duoAuthLogSchema } from './duo/schemas.js';
import { createDataset } from './simulator/dataset.js';
import { buildAuthEvent } from './simulator/events/auth.js';
const anchorMs = Date.now();
const data = createDataset({ seed: 11, users: 5000, groups: 40, authEvents: 40000, days: 179, anchorMs }, anchorMs);
const texts: string[] = [];
for (const key of data.timelines.auth.walk(data.timelines.auth.firstBucket * 60000, anchorMs - 1, 'asc')) texts.push(JSON.stringify(duoAuthLogSchema.parse(buildAuthEvent(data, key))));
console.log('events', texts.length, 'avg json', texts.reduce((a, t) => a + t.length, 0) / texts.length);
console.log(texts[0]);
const test = texts.slice(0, 5000);
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const measure = (label: string, d: Buffer) => console.log(label.padEnd(40), d.length, avg(test.map((t) => zlib.deflateRawSync(t, { level: 6, dictionary: d }).length)).toFixed(1));
rmSync('/tmp/exp/sim', { recursive: true, force: true }); mkdirSync('/tmp/exp/sim', { recursive: true });
texts.slice(20000, 24000).forEach((t, i) => writeFileSync(`/tmp/exp/sim/${i}.json`, t));
for (const size of [4096, 8192]) {
  execFileSync('zstd', ['--train', '-q', '-r', '/tmp/exp/sim', '-o', `/tmp/exp/simdict${size}`, `--maxdict=${size}`]);
  measure(`trained ${size}`, readFileSync(`/tmp/exp/simdict${size}`));
}
measure('4 sample events', Buffer.from(texts.slice(30000, 30004).join('')));
measure('8 sample events', Buffer.from(texts.slice(30000, 30008).join('')));
measure('hand', Buffer.from(readFileSync('/tmp/exp/hand.txt', 'utf8')));
const { AUTH_EVENT_DICTIONARY_V1 } = await import('./db/auth-event-dictionary.js');
measure('hand v1', AUTH_EVENT_DICTIONARY_V1);
for (const level of [1, 3, 6, 9]) console.log('level', level, avg(test.map((t) => zlib.deflateRawSync(t, { level, dictionary: AUTH_EVENT_DICTIONARY_V1 }).length)).toFixed(1));
// txid stripped
console.log('hand v1 without txid', avg(test.map((t) => { const o = JSON.parse(t); delete o.txid; return zlib.deflateRawSync(JSON.stringify(o), { level: 6, dictionary: AUTH_EVENT_DICTIONARY_V1 }).length; })).toFixed(1));
