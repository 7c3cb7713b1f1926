/**
 * Keys are data: the command catalogue, the default bindings, key-spec
 * parsing, the dotfile's overrides and a pure resolver. The help screen and
 * docs/keys.md are generated from here.
 */
export * from './commands.js';
export * from './defaults.js';
export * from './keymap.js';
export * from './keys.js';
export * from './resolver.js';
