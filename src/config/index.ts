export type { Config, PresenceConfig, RateLimit, DatabaseConfig } from './types.js';
export { defaultConfig } from './defaults.js';
export { ConfigError } from './parse.js';
export { loadConfig, buildConfig, registrationOpen, isLoopback, ENV_KEYS, type ConfigOverrides } from './load.js';
export { generateConfigYaml } from './generate.js';
