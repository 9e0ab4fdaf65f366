export { LogisticMixtureCDF, type LogisticMixtureCDFOptions } from './logisticMixtureCDF.js';
