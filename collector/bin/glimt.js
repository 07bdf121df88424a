#!/usr/bin/env node
// The `glimt` command. Glimt is written in TypeScript; tsx compiles it on load.
import { register } from 'tsx/esm/api';

register();
await import('../node/cli.ts');
