#!/usr/bin/env node
import "reflect-metadata";
import { runAsProcess } from "./process-entry.js";

await runAsProcess();
