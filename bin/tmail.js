#!/usr/bin/env node
import '../dist/tmail.js';
