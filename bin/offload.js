#!/usr/bin/env node
// The `offload` command: runs the TypeScript CLI (scripts/cli/main.ts) through tsx, so no build step is needed.
import { register } from "tsx/esm/api";

register();
await import("../scripts/cli/main.ts");
