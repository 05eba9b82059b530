#!/usr/bin/env node
// Rewrites the configuration table of README.md from src/config/environment.ts.
// Usage: npm run build && node scripts/settings-table.mjs
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable, SETTINGS_TABLE_MARKERS } from '../dist/src/config/index.js';

const [start, end] = SETTINGS_TABLE_MARKERS;
const readme = readFileSync('README.md', 'utf8');
const before = readme.slice(0, readme.indexOf(start) + start.length);
const after = readme.slice(readme.indexOf(end));
writeFileSync('README.md', `${before}\n${settingsTable()}\n${after}`);
console.log('README.md configuration table updated');
