export * from './agent-config.ts';
export * from './start-agent.ts';
