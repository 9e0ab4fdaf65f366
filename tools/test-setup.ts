// Every test file runs on the backend named by BOLTZFLOW_BACKEND (default wasm), initialised once per worker.
import { initBackend } from '@boltzflow/core';
await initBackend();
