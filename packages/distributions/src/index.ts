// MeanFreeNormal lives in its own file (particle systems).
export * from './meanFreeNormal.js';
