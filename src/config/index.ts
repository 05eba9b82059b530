export * from './configuration-error.js';
export * from './environment.js';
export * from './setting.decorator.js';
export * from './validate-environment.js';
export * from './app-config.module.js';
export * from './settings-table.js';
