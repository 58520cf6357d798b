#!/usr/bin/env node
// Launcher: runs the TypeScript entry point through tsx so the program works straight from a checkout.
import { register } from 'tsx/esm/api';

register();
await import('../cli/alipay-sim.ts');
