// Scratch: decode cost per bench image, inference cost per batch size (wasm, models/default).
import { readFileSync, readdirSync } from 'node:fs';
import sharp from 'sharp';
import { selectBackend, loadModel, preprocessImage, classifyBatch } from '#vision';
import { prepareImages } from './dist/bench/src/assets.js';
sharp.cache(false); sharp.concurrency(1);
const images = await prepareImages('/tmp/scratch14/jpegs');
await selectBackend('wasm');
const model = await loadModel('models/default');
const opts = { size: model.input, preprocessing: model.preprocessing };
for (const image of images) {
  for (let i = 0; i < 3; i++) await preprocessImage(image.bytes, opts);
  const t = performance.now();
  for (let i = 0; i < 20; i++) await preprocessImage(image.bytes, opts);
  console.log(image.name, image.bytes.length, 'decode', ((performance.now() - t) / 20).toFixed(2), 'ms');
}
const pre = await Promise.all(images.map((i) => preprocessImage(i.bytes, opts)));
for (const n of [1, 2, 4, 8, 16]) {
  const batch = Array.from({ length: n }, (_, i) => pre[i % pre.length]);
  for (let i = 0; i < 3; i++) await classifyBatch(model, batch);
  const t = performance.now();
  for (let i = 0; i < 20; i++) await classifyBatch(model, batch);
  console.log('batch', n, 'inference per image', ((performance.now() - t) / 20 / n).toFixed(2), 'ms');
}
// Two decodes at once
const t2 = performance.now();
for (let r = 0; r < 10; r++) await Promise.all(images.map((i) => preprocessImage(i.bytes, opts)));
console.log('all images, concurrent decodes: per image', ((performance.now() - t2) / 10 / images.length).toFixed(2), 'ms');
