'use strict';
// Loads the compiled addon and prints a few values computed natively.
const { fib } = require('./build/Release/fib.node');

const values = [10, 20, 40].map((n) => `fib(${n})=${fib(n)}`);
console.log(`node ${process.version} addon ok: ${values.join(' ')}`);
