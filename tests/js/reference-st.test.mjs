// llama.cpp parity of the single-threaded WebAssembly build (tests/c/test_reference.c's criteria).
import { referenceSuite } from './helpers/reference-suite.mjs';

referenceSuite('st', 1);
