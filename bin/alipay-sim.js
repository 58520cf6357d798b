#!/usr/bin/env node
// Launcher: the bundled program (dist/cli, npm run build) under plain node, else the TypeScript through tsx.
import { launch } from './launch.js';

await launch('alipay-sim');
