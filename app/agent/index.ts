export * from './agent-config.ts';
export * from './start-agent.ts';
export * from './agent-secrets.ts';
export * from './config-check.ts';
export * from './data-dir.ts';
export * from './product-images.ts';
