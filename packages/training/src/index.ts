// Flow matching (particle systems) lives in flowMatching/.
export * from './flowMatching/index.js';
