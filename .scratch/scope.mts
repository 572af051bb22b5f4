import { measureScopeCompile } from '../bench/scope-compile.js';
console.log(await measureScopeCompile());
