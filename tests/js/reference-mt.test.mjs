// llama.cpp parity of the threaded WebAssembly build, 2 threads (tests/c/test_reference.c's criteria).
import { referenceSuite } from './helpers/reference-suite.mjs';

referenceSuite('mt', 2);
