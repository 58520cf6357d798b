export * from './agent-config.ts';
export * from './start-agent.ts';
export * from './agent-secrets.ts';
