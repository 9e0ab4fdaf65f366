export { MLP, activate, type MLPOptions, type Activation } from './mlp.js';
