#!/usr/bin/env node
// The `hidden-atlas` command; the implementation is compiled from src/cli/ to dist/cli/.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
